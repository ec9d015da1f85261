// Every open BPF object is tracked here so that SIGINT, SIGTERM, SIGHUP and an uncaught
// exception all end with its links destroyed. (A SIGKILL needs nothing: links and
// programs are held only by our file descriptors, never pinned, so the kernel frees
// them when the process dies.)
interface Closable {
  close(): void;
}

const open = new Set<Closable>();

export function track(o: Closable): void {
  open.add(o);
}

export function untrack(o: Closable): void {
  open.delete(o);
}

/** Close everything still open; errors are swallowed, this runs on the way out. */
export function closeAll(): void {
  for (const o of [...open]) {
    try {
      o.close();
    } catch {
      /* on the way out: nothing better to do */
    }
    open.delete(o);
  }
}

export function openCount(): number {
  return open.size;
}
