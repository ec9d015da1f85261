// A tool's --json output as records, and its summary record (a missing one fails with the run's stderr).
import type { Run } from './processes.js';

export function records<R>(stdout: string): R[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as R);
}

export function summaryOf<R extends { type: string }>(r: Run): R {
  const s = records<R>(r.stdout).find((x) => x.type === 'summary');
  if (!s) throw new Error(`no summary (exit ${r.code}): ${r.stderr.slice(0, 400)}`);
  return s;
}
