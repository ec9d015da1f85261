// A test file's scratch: a temporary directory removed when the file is done, workloads
// killed and cleanups run (last registered first) after each test, pass or fail.
import { afterAll, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { killAll } from './processes.js';

export function testScratch(prefix: string): { out: string; track: (p: ChildProcess) => ChildProcess; cleanups: Array<() => void> } {
  const out = mkdtempSync(join(tmpdir(), prefix));
  const workloads: ChildProcess[] = [];
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const p of workloads.splice(0)) p.kill('SIGKILL');
    for (const c of cleanups.splice(0).reverse()) c();
  });
  afterAll(async () => {
    await killAll();
    rmSync(out, { recursive: true, force: true });
  });
  return { out, track: (p) => (workloads.push(p), p), cleanups };
}
