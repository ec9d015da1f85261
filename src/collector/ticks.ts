// The interval clock shared by every tool, and the stop signal (Ctrl-C, SIGTERM, SIGHUP).
// Ctrl-C is a normal end: the loop returns and the caller prints its final summary.
import { closeAll } from '../bpf-loader/lifetime.js';

export interface TickPlan {
  intervalS: number;
  /** Stop after this long (a last, shorter interval is reported). */
  durationS?: number;
  /** Stop after this many intervals. */
  count?: number;
}

export interface Stopper {
  signal: AbortSignal;
  stop(): void;
  dispose(): void;
}

/**
 * An AbortSignal raised by the first SIGINT/SIGTERM/SIGHUP. A second one ends the process
 * at once, after detaching: our handlers step aside and the signal is raised again, so the
 * process dies of it as any Unix tool would (the only exit outside src/cli.ts, and not a
 * process.exit: the kernel's default action).
 */
export function stopOnSignals(): Stopper {
  const ac = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) {
      closeAll();
      for (const s of sigs) process.removeAllListeners(s);
      process.kill(process.pid, sig);
      return;
    }
    ac.abort(sig);
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, handler);
  return {
    signal: ac.signal,
    /** End the run as Ctrl-C would (the live view's q key). */
    stop: () => ac.abort('quit'),
    dispose: () => sigs.forEach((s) => process.off(s, handler)),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Call onTick at each interval until the duration, the count or the signal ends it. */
export async function runTicks(plan: TickPlan, signal: AbortSignal, onTick: () => void | Promise<void>): Promise<void> {
  const start = Date.now();
  const end = plan.durationS !== undefined ? start + plan.durationS * 1000 : Infinity;
  let n = 0;
  for (;;) {
    const next = Math.min(start + (n + 1) * plan.intervalS * 1000, end);
    await sleep(Math.max(0, next - Date.now()), signal);
    if (signal.aborted) return;
    n++;
    await onTick();
    if (next >= end || (plan.count !== undefined && n >= plan.count)) return;
  }
}
