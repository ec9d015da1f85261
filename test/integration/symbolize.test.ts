// Symbolization of real processes: a compiled C program (its own functions, before and
// after it exits), libc through dlsym, the vDSO, node's JIT through --perf-basic-prof, and
// the running kernel's /proc/kallsyms. Reading other processes' maps/root/map_files needs
// the same user or root; nothing else is needed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { itUnless } from '../helpers/env.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Symbolizer } from '../../src/symbolize/index.js';
import { tempDir, cc, nm, run, fixture } from '../fixtures/symbolize/build.js';

let dir: string;
const children = new Set<ChildProcess>();
const perfMaps: string[] = [];

/** Start a program and wait for its first stdout line. */
function startAndRead(cmd: string, args: string[]): Promise<{ p: ChildProcess; line: string }> {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(p);
  p.on('exit', () => children.delete(p));
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ p, line: out.slice(0, nl) });
    });
    p.on('error', reject);
    p.on('exit', (code) => reject(new Error(`${cmd} exited (${code}) before printing`)));
  });
}

function kill(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

interface MapLine {
  start: number;
  end: number;
  offset: number;
  path: string;
}

function maps(pid: number): MapLine[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n').map((l) => {
    const f = l.split(/\s+/);
    const [s, e] = f[0].split('-').map((x) => parseInt(x, 16));
    return { start: s, end: e, offset: parseInt(f[2], 16), path: f.slice(5).join(' ') };
  });
}

/** The process address of a vaddr of `bin`, through readelf's PT_LOADs and the process's maps. */
function addressIn(pid: number, bin: string, vaddr: number): bigint {
  const load = run('readelf', ['-lW', bin]).split('\n').filter((l) => /^\s*LOAD/.test(l)).map((l) => l.trim().split(/\s+/))
    .map((f) => ({ offset: parseInt(f[1], 16), vaddr: parseInt(f[2], 16), filesz: parseInt(f[4], 16) }))
    .find((p) => vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz)!;
  const fileOff = vaddr - load.vaddr + load.offset;
  const m = maps(pid).find((x) => x.path === bin && fileOff >= x.offset && fileOff < x.offset + (x.end - x.start))!;
  return BigInt(m.start + fileOff - m.offset);
}

beforeAll(() => {
  dir = tempDir();
});

afterAll(async () => {
  await Promise.all([...children].map(kill));
  for (const f of perfMaps) rmSync(f, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('symbolize (real processes)', () => {
  it('names a C program\'s functions, and still does after it exited and its file is gone', async () => {
    const bin = cc(dir, 'spin', [fixture('spin.c')]);
    const syms = nm(bin);
    const { p } = await startAndRead(bin, []);
    const pid = p.pid!;
    const s = new Symbolizer();
    try {
      expect(s.snapshot(pid)).toBe(true);
      const a = addressIn(pid, bin, syms.get('spin_a')! + 4);
      const b = addressIn(pid, bin, syms.get('spin_b')! + 6);
      const main = addressIn(pid, bin, syms.get('main')! + 10);
      expect(s.userFrame(pid, a)).toEqual({ name: 'spin_a', kind: 'user', module: 'spin' });
      expect(s.userFrame(pid, b).name).toBe('spin_b');
      expect(s.userFrame(pid, addressIn(pid, bin, syms.get('_ZN3foo3barEi')!)).name).toBe('foo::bar(int)');

      await kill(p);
      rmSync(bin);
      expect(existsSync(`/proc/${pid}`)).toBe(false);
      // Addresses not looked up before the exit: answered from the snapshot's tables.
      expect(s.userFrame(pid, b + 1n).name).toBe('spin_b');
      expect(s.userFrame(pid, main).name).toBe('main');
      expect(s.symbolize({ tgid: pid, user: [b, a + 1n, main], kernel: [] }).map((f) => f.name)).toEqual(['main', 'spin_a', 'spin_b']);
    } finally {
      s.close();
    }
  });

  it('names a libc function (getppid from dlsym) and a vDSO function', async () => {
    const bin = cc(dir, 'getppid-addr', [fixture('getppid-addr.c')], ['-ldl']);
    const { p, line } = await startAndRead(bin, []);
    const pid = p.pid!;
    const addr = BigInt(line.split(' ')[1]);
    const s = new Symbolizer();
    try {
      s.snapshot(pid);
      const f = s.userFrame(pid, addr);
      expect(f.kind).toBe('user');
      expect(f.module).toMatch(/^libc\.so/);
      expect(['getppid', '__getppid']).toContain(f.name);

      // The vDSO: dump it from the process's memory and ask nm where clock_gettime is.
      const vdso = maps(pid).find((m) => m.path === '[vdso]')!;
      const image = join(dir, 'vdso.so');
      const fd = openSync(`/proc/${pid}/mem`, 'r');
      const buf = Buffer.alloc(vdso.end - vdso.start);
      readSync(fd, buf, 0, buf.length, vdso.start);
      closeSync(fd);
      writeFileSync(image, buf);
      const vsyms = nm(image, true);
      const at = vsyms.get('__vdso_clock_gettime') ?? vsyms.get('clock_gettime')!;
      const aliases = [...vsyms].filter(([, v]) => v === at).map(([n]) => n);
      const vf = s.userFrame(pid, BigInt(vdso.start + at + 1));
      expect(vf.module).toBe('[vdso]');
      expect(aliases).toContain(vf.name);
    } finally {
      s.close();
    }
  });

  it('names node JIT code from /tmp/perf-PID.map as jit frames', async () => {
    const script = 'function hotLoop(){let s=0;for(let i=0;i<1e6;i++)s+=i%7;return s}' +
      'for(let i=0;i<200;i++)hotLoop();console.log(process.pid);setInterval(hotLoop,5)';
    const { p } = await startAndRead(process.execPath, ['--perf-basic-prof', '-e', script]);
    const pid = p.pid!;
    const mapFile = `/tmp/perf-${pid}.map`;
    perfMaps.push(mapFile);
    const line = readFileSync(mapFile, 'utf8').split('\n').find((l) => /JS:\*hotLoop/.test(l)) ??
      readFileSync(mapFile, 'utf8').split('\n').find((l) => /hotLoop/.test(l))!;
    const [start, size] = line.split(' ').map((x) => parseInt(x, 16));
    const s = new Symbolizer();
    try {
      s.snapshot(pid);
      const f = s.userFrame(pid, BigInt(start + Math.floor(size / 2)));
      expect(f.kind).toBe('jit');
      expect(f.name).toContain('hotLoop');
      expect(f.name).toBe(line.split(' ').slice(2).join(' '));
    } finally {
      s.close();
      await kill(p);
    }
  });

  itUnless(process.getuid?.() === 0 ? null : 'kallsyms shows addresses to root only', 'names kernel addresses from /proc/kallsyms', () => {
    const text = readFileSync('/proc/kallsyms', 'utf8');
    const want = ['do_sys_poll', 'vfs_read', 'schedule', 'do_syscall_64'];
    const found = text.split('\n').map((l) => l.split(/\s+/)).filter((f) => /^[tT]$/.test(f[1] ?? '') && want.includes(f[2]) && f.length === 3);
    expect(found.length).toBeGreaterThan(0);
    // As root (describeBpf) the addresses are visible; zeros would make this test prove nothing.
    expect(found[0][0], 'kallsyms shows zero addresses: kptr_restrict hides them from this user').not.toMatch(/^0+$/);
    const s = new Symbolizer();
    try {
      for (const [addr, , name] of found) {
        expect(s.kernelFrame(BigInt(`0x${addr}`) + 2n)).toEqual({ name, kind: 'kernel', module: '[kernel.kallsyms]' });
      }
      // As the last entry of a kernel stack (leaf first), a return address: looked up minus one.
      const frames = s.symbolize({ tgid: 0, user: [], kernel: [BigInt(`0x${found[0][0]}`) + 2n, BigInt(`0x${found[0][0]}`) + 1n] });
      expect(frames.map((f) => f.name)).toEqual([found[0][2], found[0][2]]);
    } finally {
      s.close();
    }
  });
});
