// Processes a test starts: compiled workloads and huatuo itself. Every process is
// tracked and killed in cleanup, whatever happened to the test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/paths.js';

const buildDir = mkdtempSync(join(tmpdir(), 'huatuo-test-'));
const live = new Set<ChildProcess>();

/**
 * Compile test/fixtures/workloads/<name>.c once per test run, with -O1 unless other cc
 * flags are given (each set of flags gets its own binary).
 */
export function workload(name: string, flags: string[] = ['-O1']): string {
  const src = packagePath('test', 'fixtures', 'workloads', `${name}.c`);
  // Other flags build in a directory of their own: the binary keeps its name (and comm).
  const dir = flags.join(' ') === '-O1' ? buildDir : join(buildDir, flags.join('').replace(/[^A-Za-z0-9]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, name);
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    const r = spawnSync('cc', [...flags, '-o', bin, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot compile ${src}: ${r.stderr}`);
  }
  return bin;
}

export function start(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(p);
  p.on('exit', () => live.delete(p));
  return p;
}

/** Kill everything still running (SIGCONT first, for stopped ones). */
export async function killAll(): Promise<void> {
  const waits = [...live].map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    try { p.kill('SIGCONT'); p.kill('SIGKILL'); } catch { resolve(); }
  }));
  await Promise.all(waits);
}

export function cleanupBuildDir(): void {
  rmSync(buildDir, { recursive: true, force: true });
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run bin/huatuo to completion (bounded by timeoutMs), collecting its output. */
export function huatuo(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; onStart?: (p: ChildProcess) => void } = {}): Promise<Run> {
  const p = start(process.execPath, [packagePath('bin', 'huatuo'), ...args], opts.env);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  opts.onStart?.(p);
  const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve) => {
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Names of the BPF programs loaded right now (bpftool prog list). */
export function loadedProgramNames(): string[] {
  const r = spawnSync('bpftool', ['-j', 'prog', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bpftool prog list failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<{ name?: string }>).map((p) => p.name ?? '');
}

/** Program ids that bpf links point at right now (bpftool link list). */
export function linkedProgramIds(): number[] {
  const r = spawnSync('bpftool', ['-j', 'link', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bpftool link list failed: ${r.stderr}`);
  return (JSON.parse(r.stdout || '[]') as Array<{ prog_id: number }>).map((l) => l.prog_id);
}

/**
 * Programs are freed after an RCU grace period, a little after their last fd closes:
 * poll until none matches (or the time runs out) and return what is still loaded.
 */
export async function programsLeft(match: (name: string) => boolean, timeoutMs = 3000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = loadedProgramNames().filter(match);
    if (left.length === 0 || Date.now() > end) return left;
    await sleep(50);
  }
}
