// /proc/PID/maps and the bits of /proc/PID/status and /proc/PID/stat the symbolizer needs.

export interface Mapping {
  start: number;
  end: number;
  /** As written in maps (hex), for /proc/PID/map_files/<start>-<end>. */
  range: string;
  perms: string;
  offset: number;
  /** "major:minor" in hex, as maps writes it. */
  dev: string;
  inode: number;
  /** Without a " (deleted)" suffix; '' for anonymous memory. */
  path: string;
  deleted: boolean;
}

const LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/;

/** The mappings of a maps text; those above 2^53 (the x86_64 [vsyscall] page) are left out. */
export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const start = parseInt(m[1], 16);
    const end = parseInt(m[2], 16);
    if (!Number.isSafeInteger(end)) continue;
    let path = m[7];
    const deleted = path.endsWith(' (deleted)');
    if (deleted) path = path.slice(0, -' (deleted)'.length);
    out.push({ start, end, range: `${m[1]}-${m[2]}`, perms: m[3], offset: parseInt(m[4], 16), dev: m[5], inode: Number(m[6]), path, deleted });
  }
  return out;
}

/** The pid inside the process's own pid namespace: the last NSpid field of /proc/PID/status. */
export function nsPidOf(statusText: string): number | undefined {
  const m = /^NSpid:\s*(.+)$/m.exec(statusText);
  if (!m) return undefined;
  const f = m[1].trim().split(/\s+/);
  const n = Number(f[f.length - 1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks): tells a reused pid apart. */
export function startTimeOf(statText: string): string | undefined {
  const close = statText.lastIndexOf(')');
  if (close < 0) return undefined;
  return statText.slice(close + 2).split(' ')[19];
}
