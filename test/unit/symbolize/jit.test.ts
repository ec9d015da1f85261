// JIT code without a perf map, on a fake host root: anonymous executable memory is labelled
// per runtime (told from the executable and libraries), V8-style reservations mapped after
// the snapshot count as JIT code too, runs of unnamed JIT frames collapse, and the user
// registers of a sample inside execve (the old program's) are not looked up.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { rmSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Symbolizer } from '../../../src/symbolize/symbolizer.js';
import { jitRuntimeOf } from '../../../src/symbolize/runtime.js';
import { tempDir } from '../../fixtures/symbolize/build.js';

const PID = 5151;
const CODE = 0x7f00_0000_0000; // committed JIT pages at the snapshot
const RESERVED = 0x7f00_0004_0000; // V8's code range beyond them: ---p until it compiles more
const hex = (n: number) => n.toString(16);

let dir: string;
let host: string;
const proc = () => join(host, 'proc', String(PID));

/** A process whose exe is `exe`, with JIT pages, a reservation after them, and libraries. */
function layOut(exe: string, libs: string[] = []): void {
  rmSync(proc(), { recursive: true, force: true });
  mkdirSync(join(proc(), 'root', 'tmp'), { recursive: true });
  symlinkSync(exe, join(proc(), 'exe'));
  writeFileSync(join(proc(), 'maps'), [
    ...libs.map((l, i) => `${hex(0x7e00_0000_0000 + i * 0x10000)}-${hex(0x7e00_0000_1000 + i * 0x10000)} r-xp 00000000 fe:01 ${900 + i} ${l}`),
    `${hex(CODE)}-${hex(RESERVED)} rwxp 00000000 00:00 0 `,
    `${hex(RESERVED)}-${hex(RESERVED + 0x100_0000)} ---p 00000000 00:00 0 `,
    '',
  ].join('\n'));
  writeFileSync(join(proc(), 'status'), `Name:\tx\nNSpid:\t${PID}\n`);
  writeFileSync(join(proc(), 'stat'), `${PID} (x) S ${'0 '.repeat(18)}777 0 0\n`);
}

const kallsyms = () => {
  const path = join(dir, 'kallsyms');
  writeFileSync(path, [
    'ffffffff81000000 T _stext',
    'ffffffff81000100 T do_syscall_64',
    'ffffffff81000200 t load_elf_binary',
    'ffffffff81000300 T _copy_to_user',
    'ffffffff81000400 T _etext',
    '',
  ].join('\n'));
  return path;
};

beforeEach(() => {
  dir = tempDir();
  host = join(dir, 'host');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('JIT frames without a perf map', () => {
  it('tells runtimes apart by library first, then by executable', () => {
    expect(jitRuntimeOf('/usr/bin/node', [])).toBe('node');
    expect(jitRuntimeOf('/usr/local/bin/nodejs (deleted)', [])).toBe('node');
    expect(jitRuntimeOf('/opt/app/launcher', ['libc.so.6', 'libjvm.so'])).toBe('java');
    expect(jitRuntimeOf('/usr/bin/electron-app', ['libnode.so.108'])).toBe('node');
    expect(jitRuntimeOf('/usr/bin/python3.12', [])).toBe('python');
    expect(jitRuntimeOf('/usr/share/dotnet/dotnet', ['libcoreclr.so'])).toBe('dotnet');
    expect(jitRuntimeOf('/usr/bin/nginx', ['libc.so.6', 'libpcre2-8.so.0'])).toBeUndefined();
    expect(jitRuntimeOf(undefined, [])).toBeUndefined();
  });

  it('labels anonymous code by runtime, and a reservation mapped after the snapshot as JIT too', () => {
    layOut('/usr/bin/node');
    const s = new Symbolizer({ hostRoot: host, kallsyms: kallsyms() });
    try {
      expect(s.snapshot(PID)).toBe(true);
      const node = { name: '[JIT] node', kind: 'jit', module: '[anon]' };
      expect(s.userFrame(PID, BigInt(CODE + 0x10))).toEqual(node);
      // Gone before the end: V8's code range was still ---p when the maps were read.
      rmSync(proc(), { recursive: true, force: true });
      expect(s.userFrame(PID, BigInt(RESERVED + 0x2345))).toEqual(node);
      expect(s.userFrame(PID, BigInt(RESERVED + 0x100_0000 + 8)).name).toBe(`[unknown] ([unmapped]+0x${hex(RESERVED + 0x100_0000 + 8)})`);
      expect(s.perfMapEntries(PID)).toBe(0);
    } finally {
      s.close();
    }
  });

  it('keeps reservations only for runtimes: in another process they are no code', () => {
    layOut('/usr/bin/nginx');
    const s = new Symbolizer({ hostRoot: host });
    try {
      s.snapshot(PID);
      expect(s.userFrame(PID, BigInt(CODE + 0x10))).toEqual({ name: '[JIT]', kind: 'jit', module: '[anon]' });
      expect(s.userFrame(PID, BigInt(RESERVED + 0x10)).kind).toBe('unknown');
    } finally {
      s.close();
    }
  });

  it('collapses a run of unnamed JIT frames into one, and names what the perf map names', () => {
    layOut('/usr/bin/java', ['/usr/lib/jvm/lib/server/libjvm.so']);
    writeFileSync(join(proc(), 'root', 'tmp', `perf-${PID}.map`), `${hex(CODE + 0x100)} 40 Lcom/shop/Cart;::total\n`);
    const s = new Symbolizer({ hostRoot: host, kallsyms: kallsyms() });
    try {
      const frames = s.symbolize({
        tgid: PID,
        // Leaf first: three unnamed JIT frames, a named one, two more unnamed ones.
        user: [CODE + 0x10, CODE + 0x20, CODE + 0x30, CODE + 0x110, CODE + 0x200, RESERVED + 0x300].map(BigInt),
        kernel: [],
      });
      expect(frames.map((f) => f.name)).toEqual(['[JIT] java', 'Lcom/shop/Cart;::total', '[JIT] java']);
      expect(frames.every((f) => f.kind === 'jit')).toBe(true);
      expect(s.perfMapEntries(PID)).toBe(1);
    } finally {
      s.close();
    }
  });

  it('does not look up the user stack of a sample inside execve', () => {
    layOut('/usr/bin/node');
    const s = new Symbolizer({ hostRoot: host, kallsyms: kallsyms() });
    try {
      const inExec = s.symbolize({ tgid: PID, user: [BigInt(CODE + 0x10)], kernel: [0xffffffff81000310n, 0xffffffff81000210n, 0xffffffff81000110n] });
      expect(inExec.map((f) => f.name)).toEqual(['do_syscall_64', 'load_elf_binary', '_copy_to_user']);
      const elsewhere = s.symbolize({ tgid: PID, user: [BigInt(CODE + 0x10)], kernel: [0xffffffff81000310n, 0xffffffff81000110n] });
      expect(elsewhere.map((f) => f.name)).toEqual(['[JIT] node', 'do_syscall_64', '_copy_to_user']);
    } finally {
      s.close();
    }
  });
});
