// Processes a test starts: compiled workloads and huatuo itself. Every process is
// tracked and killed in cleanup, whatever happened to the test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { mkdtempSync, mkdirSync, existsSync, statSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/paths.js';

const buildDir = mkdtempSync(join(tmpdir(), 'huatuo-test-'));
const live = new Set<ChildProcess>();
// Whatever a test file does, its compiled workloads go with its process.
process.once('exit', () => rmSync(buildDir, { recursive: true, force: true }));

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
  /** Every BPF program and link the run held (see bpfLeft: they must all be gone). */
  held: HeldBpf;
}

export interface HuatuoOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  onStart?: (p: ChildProcess, bpf: { held: HeldBpf; attached: Promise<void> }) => void;
}

/** Run bin/huatuo to completion (bounded by timeoutMs), collecting its output and the BPF ids it held. */
export function huatuo(args: string[], opts: HuatuoOptions = {}): Promise<Run> {
  const p = start(process.execPath, [packagePath('bin', 'huatuo'), ...args], opts.env);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  const bpf = trackBpf(p);
  opts.onStart?.(p, bpf);
  const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve) => {
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, held: bpf.held });
    });
  });
}

/** Run huatuo to a successful end (exit 0, its stderr as the message) that left nothing in the kernel. */
export async function huatuoOk(args: string[], opts: HuatuoOptions = {}): Promise<Run> {
  const r = await huatuo(args, { timeoutMs: 60_000, ...opts });
  expect(r.code, r.stderr).toBe(0);
  await expectNothingLeft(r);
  return r;
}

/** A run's programs and links are all gone (polled: freeing takes an RCU grace period). */
export async function expectNothingLeft(r: Run): Promise<void> {
  const left = await bpfLeft(r.held);
  if (left.progs.length || left.links.length) {
    throw new Error(`left in the kernel after the run: programs ${left.progs.join(',') || '-'}, links ${left.links.join(',') || '-'}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** BPF programs and links one process holds: ids from its /proc/PID/fdinfo. */
export interface HeldBpf {
  progs: number[];
  links: number[];
}

export function bpfHeldBy(pid: number): HeldBpf {
  const progs = new Set<number>();
  const links = new Set<number>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return { progs: [], links: [] }; // gone
  }
  for (const fd of fds) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    const link = /^link_id:\s*(\d+)/m.exec(info);
    const prog = /^prog_id:\s*(\d+)/m.exec(info);
    if (link) links.add(Number(link[1]));
    if (prog) progs.add(Number(prog[1]));
  }
  return { progs: [...progs], links: [...links] };
}

/**
 * Watch a running process's BPF fds until it exits: every program and link it ever held
 * (the ids other BPF users on the machine cannot collide with), and a promise that
 * resolves when it first holds a link, i.e. is attached.
 */
export function trackBpf(p: ChildProcess): { held: HeldBpf; attached: Promise<void> } {
  const held: HeldBpf = { progs: [], links: [] };
  let onAttached!: () => void;
  const attached = new Promise<void>((r) => (onAttached = r));
  const poll = () => {
    if (!p.pid) return;
    const now = bpfHeldBy(p.pid);
    for (const id of now.progs) if (!held.progs.includes(id)) held.progs.push(id);
    for (const id of now.links) if (!held.links.includes(id)) held.links.push(id);
    if (held.links.length) onAttached();
  };
  const t = setInterval(poll, 20);
  p.on('exit', () => clearInterval(t));
  poll();
  return { held, attached };
}

function bpftoolIds(kind: 'prog' | 'link'): Set<number> {
  const r = spawnSync('bpftool', ['-j', kind, 'list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bpftool ${kind} list failed: ${r.stderr}`);
  return new Set((JSON.parse(r.stdout || '[]') as Array<{ id: number }>).map((x) => x.id));
}

/**
 * Of what a process held, what still exists: programs are freed an RCU grace period after
 * their last fd closes, so poll until nothing is left or the time runs out.
 */
export async function bpfLeft(held: HeldBpf, timeoutMs = 3000): Promise<HeldBpf> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const progs = bpftoolIds('prog');
    const links = bpftoolIds('link');
    const left = { progs: held.progs.filter((id) => progs.has(id)), links: held.links.filter((id) => links.has(id)) };
    if ((!left.progs.length && !left.links.length) || Date.now() > end) return left;
    await sleep(50);
  }
}

/**
 * Runs of these programs so far (the kernel counts them while some process holds
 * BPF_ENABLE_STATS, as huatuo does while it runs).
 */
export function bpfRunCount(progIds: number[]): number {
  let n = 0;
  for (const id of progIds) {
    const r = spawnSync('bpftool', ['-j', 'prog', 'show', 'id', String(id)], { encoding: 'utf8' });
    if (r.status === 0) n += (JSON.parse(r.stdout) as { run_cnt?: number }).run_cnt ?? 0;
  }
  return n;
}

/** The command name a process runs as now (the kernel's 15 bytes), '' once it is gone. */
export function commOf(pid: number | undefined): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Wait until a process we started runs under its own name (exec'd past taskset, chrt, nice). */
export async function waitForComm(p: ChildProcess, comm: string, timeoutMs = 10_000): Promise<ChildProcess> {
  await waitFor(`${comm} to start`, () => commOf(p.pid) === comm.slice(0, 15), timeoutMs);
  return p;
}

/** Wait for a condition, polling, with a deadline (never a fixed sleep standing in for it). */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

