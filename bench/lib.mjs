// bench/lib.mjs: what the BPF overhead benches (schedlat-overhead, softirq-overhead) share.
// Option parsing, child processes that are always cleaned up (also on Ctrl-C),
// kernel.bpf_stats_enabled saved and put back, BPF programs a process holds (from
// /proc/PID/fdinfo, since this bpftool has no pids field), per-program deltas, CPU% and
// peak RSS of a process, a looped load, and the report formatting. Node built-ins only.
// One bench per node process, so the state here (children, abort) is module-wide.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

export const HUATUO = fileURLToPath(new URL('../bin/huatuo', import.meta.url));
export const STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';
export const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100; } catch { return 100; } })();

let benchName = 'bench';

// ---------------------------------------------------------------- options
/**
 * parseArgs, or the usage and exit 2; --help prints the usage and exits 0.
 * `check(values)` returns an error text for bad values (also exit 2), or nothing.
 */
export function parseOptions(name, usage, options, check) {
  benchName = name;
  let values;
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h', default: false } } }).values;
  } catch (e) {
    process.stderr.write(`${e.message}\n${usage}\n`);
    process.exit(2);
  }
  if (values.help) { process.stdout.write(`${usage}\n`); process.exit(0); }
  const bad = check?.(values);
  if (bad) {
    process.stderr.write(`${bad}\n${usage}\n`);
    process.exit(2);
  }
  return values;
}

export function requireRoot(why) {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`${benchName}: needs root (${why})\n`);
    process.exit(1);
  }
}

/** Comma list → Set; the first name not in `allowed`, if any, as `.bad`. */
export function listOption(text, allowed) {
  const set = new Set(text.split(',').map((s) => s.trim()).filter(Boolean));
  set.bad = [...set].find((p) => !allowed.includes(p));
  return set;
}

// ---------------------------------------------------------------- abort + cleanup
export const abort = new AbortController();
export const children = new Set(); // { proc, name, group, tool }
const cleanups = new Set(); // run on exit, also after a forced second Ctrl-C
let statsPrev = null;
let interrupted = false;

export class Interrupted extends Error { constructor() { super('interrupted'); } }

export function sleep(ms, { abortable = true } = {}) {
  return new Promise((resolve, reject) => {
    if (abortable && abort.signal.aborted) return reject(new Interrupted());
    const t = setTimeout(() => { abort.signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(new Interrupted()); };
    if (abortable) abort.signal.addEventListener('abort', onAbort, { once: true });
  });
}

function signalChild(c, sig) {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  try {
    if (c.group) process.kill(-c.proc.pid, sig);
    else c.proc.kill(sig);
  } catch { /* already gone */ }
}

export function exited(c) { return c.proc.exitCode !== null || c.proc.signalCode !== null; }

export function waitExit(c, ms) {
  if (exited(c)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.proc.once('exit', () => { clearTimeout(t); resolve(true); });
  });
}

/** Tools get SIGINT and a grace period, loads get SIGKILL on their process group. */
export async function stopChild(c, graceMs = 5000) {
  if (!exited(c)) {
    signalChild(c, c.tool ? 'SIGINT' : 'SIGKILL');
    if (!(await waitExit(c, graceMs))) {
      signalChild(c, 'SIGKILL');
      await waitExit(c, 2000);
    }
  }
  // a killed load leaves its workers in the group: sweep it
  if (c.group) {
    for (let i = 0; i < 100; i++) { // until the group is empty (400 workers take a moment)
      try { process.kill(-c.proc.pid, 'SIGKILL'); } catch { break; /* ESRCH: empty group */ }
      await sleep(50, { abortable: false });
    }
  }
  children.delete(c);
  return { code: c.proc.exitCode, signal: c.proc.signalCode };
}

export function stopAll(graceMs) { return Promise.all([...children].map((c) => stopChild(c, graceMs))); }

/** Save kernel.bpf_stats_enabled (put back by restoreStats, on exit and on Ctrl-C too). */
export function saveStats() {
  statsPrev = readFileSync(STATS_SYSCTL, 'utf8').trim();
  return statsPrev;
}
export function setStats(on) { writeFileSync(STATS_SYSCTL, on ? '1' : statsPrev); }
export function restoreStats() {
  if (statsPrev === null) return;
  try { writeFileSync(STATS_SYSCTL, statsPrev); } catch (e) { process.stderr.write(`${benchName}: could not restore ${STATS_SYSCTL}: ${e.message}\n`); }
  statsPrev = null;
}

/** fn runs once at exit (normal, error or interrupt); it must be synchronous. */
export function onCleanup(fn) { cleanups.add(fn); }

function killAllNow() {
  for (const c of children) { signalChild(c, 'SIGKILL'); if (c.group) { try { process.kill(-c.proc.pid, 'SIGKILL'); } catch { /* gone */ } } }
  restoreStats();
  for (const fn of cleanups) { try { fn(); } catch { /* best effort */ } }
  cleanups.clear();
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) { killAllNow(); process.exit(130); } // second signal: no more grace
    interrupted = true;
    process.stderr.write(`\n${benchName}: ${sig}, cleaning up (again to force)\n`);
    abort.abort();
  });
}

export function track(proc, name, { group = true, tool = false } = {}) {
  const c = { proc, name, group, tool, stderr: '', stdoutBytes: 0 };
  proc.stdout?.on('data', (d) => { c.stdoutBytes += d.length; });
  proc.stderr?.on('data', (d) => { c.stderr = (c.stderr + d.toString()).slice(-4000); });
  proc.on('error', (e) => { c.error = e; });
  children.add(c);
  return c;
}

/** A tool under test: its own process group, stdout drained, SIGINT to stop. */
export function startTool(name, cmd, args) {
  return track(spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }), name, { tool: true });
}

/**
 * Stop huatuo (`ours`, which must exit 0 on SIGINT unless we were interrupted) and the other
 * tool at once.
 */
export async function stopTools(ours, what, theirs) {
  const stops = [];
  if (ours) stops.push(stopChild(ours).then((r) => { if (r.code !== 0 && !abort.signal.aborted) throw new Error(`${what} exited ${r.code ?? r.signal} on SIGINT: ${ours.stderr.trim().slice(-300)}`); }));
  if (theirs) stops.push(stopChild(theirs));
  await Promise.all(stops);
}

/**
 * main() resolves to the exit status. An interrupt stops every child and exits 130; an
 * error is printed and exits 1.
 */
export function runMain(main) {
  main().then(
    (code) => { process.exitCode = code; },
    async (e) => {
      if (e instanceof Interrupted) {
        await stopAll(2000);
        restoreStats();
        process.exit(130);
      }
      process.stderr.write(`${benchName}: ${e.stack ?? e}\n`);
      killAllNow();
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------- results
/** The figures' record: time, machine, options; phases add theirs, errors and notes. */
export function newResults(options, notes) {
  if (!existsSync(HUATUO)) throw new Error(`${HUATUO} missing`);
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) throw new Error('dist/cli.js missing: run ./scripts/setup');
  return {
    time: new Date().toISOString(),
    machine: { kernel: `Linux ${os.release()}`, cpus: os.cpus().length, node: process.version, loadavg_start: os.loadavg() },
    options,
    errors: {},
    notes,
  };
}

/**
 * run(name, fn): fn's figures, or undefined with the error in r.errors[name] (an interrupt
 * is passed on). `failed` tells whether any failed.
 */
export function phaseRunner(r) {
  const runner = {
    failed: false,
    async run(name, fn) {
      try { return await fn(); } catch (e) { if (e instanceof Interrupted) throw e; r.errors[name] = e.message; runner.failed = true; return undefined; }
    },
  };
  return runner;
}

/** Stop the load and every child, put kernel.bpf_stats_enabled back and record it. */
export async function teardown(load, r) {
  await load.stop();
  await stopAll();
  restoreStats();
  r.bpf_stats_enabled_restored = readProc(STATS_SYSCTL)?.trim();
  r.machine.loadavg_end = os.loadavg();
}

// ---------------------------------------------------------------- /proc and bpftool
export function readProc(path) { try { return readFileSync(path, 'utf8'); } catch { return null; } }

/** BPF programs and links a process holds, from /proc/PID/fd + fdinfo (bpftool here has no pids). */
export function bpfFds(pid) {
  const progs = new Set();
  const links = [];
  let fds;
  try { fds = readdirSync(`/proc/${pid}/fd`); } catch { return { progs, links }; }
  for (const fd of fds) {
    let target;
    try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    if (target !== 'anon_inode:bpf-prog' && target !== 'anon_inode:bpf_link') continue;
    const info = readProc(`/proc/${pid}/fdinfo/${fd}`);
    const progId = info && /^prog_id:\s*(\d+)/m.exec(info);
    if (!progId) continue;
    if (target === 'anon_inode:bpf-prog') progs.add(Number(progId[1]));
    else links.push({ link: Number(/^link_id:\s*(\d+)/m.exec(info)?.[1]), prog: Number(progId[1]) });
  }
  return { progs, links };
}

export function bpftoolJson(...args) {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { maxBuffer: 64 << 20 }).toString() || '[]');
}

/** id → {name, ns, cnt, pids?} for every loaded program. */
export function progSnapshot() {
  const m = new Map();
  for (const p of bpftoolJson('prog', 'show')) {
    m.set(p.id, { name: p.name, ns: p.run_time_ns ?? 0, cnt: p.run_cnt ?? 0, pids: p.pids });
  }
  return m;
}

/** ΣΔrun_time_ns and ΣΔrun_cnt of programs `ids` between snapshots A and B. */
export function progDelta(A, B, ids) {
  const s = { ns: 0, cnt: 0 };
  for (const id of ids) {
    const x = A.get(id), y = B.get(id);
    if (!x || !y) throw new Error(`program ${id} vanished during the window`);
    s.ns += y.ns - x.ns; s.cnt += y.cnt - x.cnt;
  }
  return s;
}

/** Links on these tracepoints whose programs are not in ownProgIds (someone else's tools). */
export function foreignLinks(tracepoints, ownProgIds) {
  try {
    return bpftoolJson('link', 'show').filter((l) => tracepoints.has(l.tp_name) && !ownProgIds.has(l.prog_id));
  } catch { return []; }
}

export function procStat(pid) {
  const s = readProc(`/proc/${pid}/stat`);
  if (!s) return null;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')) };
}

export function vmHWM(pid) {
  const m = /^VmHWM:\s*(\d+) kB/m.exec(readProc(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) * 1024 : null;
}

function pidDirs() { return readdirSync('/proc').filter((d) => /^\d+$/.test(d)); }

export function descendants(root) {
  const kids = new Map();
  for (const d of pidDirs()) {
    const st = procStat(d);
    if (!st) continue;
    if (!kids.has(st.ppid)) kids.set(st.ppid, []);
    kids.get(st.ppid).push({ pid: Number(d), comm: st.comm });
  }
  const out = [];
  const walk = (p) => { for (const k of kids.get(p) ?? []) { out.push(k); walk(k.pid); } };
  walk(root);
  return out;
}

/** Pids of processes whose comm is `comm` (optionally only among `pids`). */
export function pidsNamed(comm, pids) {
  const list = pids ? [...pids].map(String) : pidDirs();
  return list.filter((p) => existsSync(`/proc/${p}`) && procStat(p)?.comm === comm).map(Number);
}

/** prog id → "comm[pid]" of a process holding it, over all processes. */
export function progOwners() {
  const owners = new Map();
  for (const d of pidDirs()) {
    for (const id of bpfFds(d).progs) owners.set(id, `${procStat(d)?.comm ?? '?'}[${d}]`);
  }
  return owners;
}

/**
 * Wait until pid (or, with findNode, a node descendant of pid) holds `expect` attached links.
 * Returns { pid, progs: attached prog ids, links, ms: time waited }.
 */
export async function waitAttached(c, expect, what, { findNode = false, timeoutMs = 30000 } = {}) {
  const t0 = performance.now();
  for (;;) {
    if (c.error) throw new Error(`${what}: ${c.error.message}`);
    if (exited(c)) throw new Error(`${what} exited (${c.proc.exitCode ?? c.proc.signalCode}) before attaching: ${c.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    let pid = c.proc.pid;
    if (findNode) pid = descendants(c.proc.pid).find((d) => d.comm === 'node')?.pid;
    if (pid) {
      const { links } = bpfFds(pid);
      if (links.length >= expect) return { pid, progs: [...new Set(links.map((l) => l.prog))], links, ms: performance.now() - t0 };
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not attached after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * CPU% of one core (utime+stime from /proc/PID/stat) of pid over a window of `ms`, and its
 * peak RSS (VmHWM) at the end of the window.
 */
export async function cpuWindow(pid, ms, what) {
  const s0 = procStat(pid), t0 = performance.now();
  await sleep(ms);
  const s1 = procStat(pid), t1 = performance.now();
  const hwm = vmHWM(pid);
  if (!s0 || !s1) throw new Error(`${what} went away during the window`);
  const ticks = s1.utime + s1.stime - s0.utime - s0.stime;
  const secs = (t1 - t0) / 1000;
  return { cpu_pct: (ticks / CLK_TCK) / secs * 100, cpu_resolution_pct: (1 / CLK_TCK) / secs * 100, peak_rss_bytes: hwm, seconds: secs };
}

/** Loaded programs named prefix* that are not in `ours`, with the process holding each. */
export function otherPrograms(snap, prefix, ours) {
  const others = [...snap].filter(([id, p]) => p.name.startsWith(prefix) && !ours.has(id));
  if (!others.length) return [];
  const owners = progOwners();
  return others.map(([id, p]) => ({ id, name: p.name, owner: owners.get(id) ?? 'none (pinned or being freed)' }));
}

/** Wait (a little: program release is deferred after the fd closes) until none of ids is loaded. */
export async function progsLeft(ids) {
  let snap, left;
  for (let i = 0; i < 20; i++) {
    snap = progSnapshot();
    left = [...ids].filter((id) => snap.has(id));
    if (left.length === 0) break;
    await sleep(100, { abortable: false });
  }
  return { left, snap };
}

// ---------------------------------------------------------------- UDP floods
/** Local UDP ports in use (v4 and v6 sockets). */
export function udpPortsInUse() {
  const ports = new Set();
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of (readProc(f) ?? '').split('\n').slice(1)) {
      const m = /^\s*\d+:\s+[0-9A-F]+:([0-9A-F]{4})\s/i.exec(line);
      if (m) ports.add(parseInt(m[1], 16));
    }
  }
  return ports;
}

/** A UDP port nobody listens on, for a flood to drop at. */
export function freeUdpPort() {
  const used = udpPortsInUse();
  for (let i = 0; i < 1000; i++) {
    const p = 40000 + Math.floor(Math.random() * 20000);
    if (!used.has(p)) return p;
  }
  throw new Error('no free UDP port found');
}

/** test/fixtures/workloads/<name>.c compiled with cc -O1 into a temp dir removed on exit; its path. */
export function compileWorkload(name, tmpPrefix) {
  const src = fileURLToPath(new URL(`../test/fixtures/workloads/${name}.c`, import.meta.url));
  const dir = mkdtempSync(join(os.tmpdir(), tmpPrefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, name);
  try {
    execFileSync('cc', ['-O1', '-o', bin, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`cc -O1 ${src} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
  return bin;
}

// ---------------------------------------------------------------- load
/**
 * A load command run again and again until stop(). Three failures, each within a second of
 * the start, make check() throw.
 */
export class Load {
  constructor(name, cmd, args) {
    Object.assign(this, { name, cmd, args, running: false, iterations: 0, fastFails: 0, cur: null, error: null });
    this.pids = new Set(); // every run's pid, for the leftover check
  }
  start() { this.running = true; this.spawnOne(); }
  spawnOne() {
    const t = performance.now();
    const proc = spawn(this.cmd, this.args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const c = track(proc, this.name);
    if (proc.pid) this.pids.add(proc.pid);
    this.cur = c;
    proc.on('exit', (code) => {
      children.delete(c);
      if (!this.running) return;
      if (code === 0) this.iterations++;
      if (code !== 0 && performance.now() - t < 1000) {
        if (++this.fastFails >= 3) { this.error = `${this.name} fails: ${c.stderr.trim().slice(-200)}`; this.running = false; return; }
      }
      this.spawnOne();
    });
  }
  check() { if (this.error) throw new Error(this.error); }
  async stop() {
    this.running = false;
    if (this.cur) await stopChild(this.cur);
    this.cur = null;
  }
}

// ---------------------------------------------------------------- report
export const f1 = (x) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(1));
export const f2 = (x) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(2));
export const f0 = (x) => (x == null || !Number.isFinite(x) ? '-' : Math.round(x).toString());
export const mib = (b) => (b == null ? '-' : `${(b / 1048576).toFixed(1)} MiB`);
export const pad = (s, n) => String(s).padStart(n);
export const padr = (s, n) => String(s).padEnd(n);
export const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/** Word-wrap to 80 columns, continuation lines indented. */
export function wrap(text, indent = '   ') {
  const out = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > 80) { out.push(line); line = indent + w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/**
 * The cleanup lines: `left` is [[what, pids or ids], ...] of ours still there; `others` the
 * programs of that name that are someone else's (left alone).
 */
export function cleanupLines(r, left, others, othersWhat) {
  const L = [];
  const ok = left.every(([, xs]) => xs.length === 0);
  const names = left.map(([what]) => what);
  const what = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  L.push(...wrap(`cleanup: ${ok ? `ok, no ${what} of ours left` : `LEFT: ${left.map(([w, xs]) => `${w} ${xs.join(',')}`).join(' ')}`}` +
    `; bpf_stats_enabled back to ${r.bpf_stats_enabled_restored}`));
  if (others.length) {
    L.push(...wrap(`   (${othersWhat} programs not ours, left alone: ${others.map((p) => `${p.id} ${p.owner}`).join(', ')})`, '     '));
  }
  return L;
}

/** The report, then the figures as JSON to opts.json or after it on stdout. */
export function printResults(text, r, jsonFile) {
  process.stdout.write(`${text}\n`);
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify(r, null, 2)}\n`);
    process.stdout.write(`figures written to ${jsonFile}\n`);
  } else {
    process.stdout.write(`\n--- JSON ---\n${JSON.stringify(r, null, 2)}\n`);
  }
}
