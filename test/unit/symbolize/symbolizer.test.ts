// The Symbolizer on a fake host root: a process whose /proc entry (maps, root, map_files,
// status) is laid out in a temp dir, as huatuo sees processes from a pod with hostRoot.
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { rmSync, mkdirSync, copyFileSync, writeFileSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource } from '../../../src/symbolize/byte-source.js';
import { parseElf, loadSegments, type ElfFile } from '../../../src/symbolize/elf-reader.js';
import { Symbolizer } from '../../../src/symbolize/symbolizer.js';
import { tempDir, cc, nm, fixture } from '../../fixtures/symbolize/build.js';

const PID = 4242;
const NSPID = 7;
const EXE_BASE = 0x5555_5555_4000;
const LIB_BASE = 0x7f10_0000_0000;
const JIT = 0x7f20_0000_0000;
const hex = (n: number) => n.toString(16);

let dir: string;
let host: string;
let exe: Map<string, number>;
let lib: Map<string, number>;
let exeText: { start: number; vaddr: number };

function elfOf(path: string): ElfFile {
  const src = new FileSource(path);
  try {
    return parseElf(src);
  } finally {
    src.close();
  }
}

/** The maps line for the executable PT_LOAD of a binary loaded at base. */
function textMapping(path: string, base: number, inode: number, name: string): { line: string; start: number; end: number; vaddr: number } {
  const p = loadSegments(elfOf(path)).find((s) => s.flags & 1)!;
  const start = base + (p.vaddr & ~0xfff);
  const end = base + Math.ceil((p.vaddr + p.memsz) / 0x1000) * 0x1000;
  return { line: `${hex(start)}-${hex(end)} r-xp ${hex(p.offset & ~0xfff).padStart(8, '0')} fe:01 ${inode} ${name}`, start, end, vaddr: p.vaddr & ~0xfff };
}

function layOut(): void {
  const proc = join(host, 'proc', String(PID));
  for (const d of ['root/usr/bin', 'root/tmp', 'map_files']) mkdirSync(join(proc, d), { recursive: true });
  const bin = cc(dir, 'spin', [fixture('spin.c')]);
  const so = cc(dir, 'libdemo.so', [fixture('demo-lib.c')], ['-shared', '-fPIC']);
  exe = nm(bin);
  lib = nm(so, true);
  const inRoot = join(proc, 'root/usr/bin/spin');
  copyFileSync(bin, inRoot);
  const e = textMapping(bin, EXE_BASE, statSync(inRoot).ino, '/usr/bin/spin');
  exeText = { start: e.start, vaddr: e.vaddr };
  // The library's path is gone from the container's root: only map_files has it.
  const l = textMapping(so, LIB_BASE, 999_999, '/usr/lib/gone.so (deleted)');
  copyFileSync(so, join(proc, 'map_files', `${hex(l.start)}-${hex(l.end)}`));
  writeFileSync(join(proc, 'maps'), [
    `${hex(EXE_BASE)}-${hex(e.start)} r--p 00000000 fe:01 ${statSync(inRoot).ino} /usr/bin/spin`,
    e.line,
    l.line,
    `${hex(JIT)}-${hex(JIT + 0x10000)} rwxp 00000000 00:00 0 `,
    '7ffd1000-7ffd2000 rw-p 00000000 00:00 0                          [stack]',
    'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
    '',
  ].join('\n'));
  writeFileSync(join(proc, 'status'), `Name:\tspin\nNSpid:\t${PID}\t${NSPID}\n`);
  writeFileSync(join(proc, 'stat'), `${PID} (spin (x)) S ${'0 '.repeat(18)}12345 0 0\n`);
  writeFileSync(join(proc, `root/tmp/perf-${NSPID}.map`), `${hex(JIT + 0x100)} 80 JS:*hot [eval]:1:1\n`);
}

/** A process address for a symbol of the executable (vaddr from nm). */
const exeAddr = (name: string, plus = 0) => BigInt(exeText.start + exe.get(name)! - exeText.vaddr + plus);

beforeAll(() => {
  dir = tempDir();
  host = join(dir, 'host');
  layOut();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Symbolizer', () => {
  it('resolves user frames through /proc/PID/root, map_files and the perf map of the nspid', () => {
    const s = new Symbolizer({ hostRoot: host, kallsyms: fixture('kallsyms.txt') });
    try {
      expect(s.snapshot(PID)).toBe(true);
      expect(s.userFrame(PID, exeAddr('spin_a', 3))).toEqual({ name: 'spin_a', kind: 'user', module: 'spin' });
      const libAddr = BigInt(LIB_BASE + lib.get('demo_lib_twice')! + 2); // .so text: vaddr == offset
      expect(s.userFrame(PID, libAddr)).toEqual({ name: 'demo_lib_twice', kind: 'user', module: 'gone.so' });
      expect(s.userFrame(PID, BigInt(JIT + 0x120))).toEqual({ name: 'JS:*hot [eval]:1:1', kind: 'jit', module: '[anon]' });
      // Anonymous executable memory no perf map names: JIT code of a runtime not told apart.
      expect(s.userFrame(PID, BigInt(JIT + 0x2000))).toEqual({ name: '[JIT]', kind: 'jit', module: '[anon]' });
      expect(s.userFrame(PID, 0x1000n).name).toBe('[unknown] ([unmapped]+0x1000)');
      expect(s.userFrame(PID, 0xffffffffff600000n).kind).toBe('unknown');
    } finally {
      s.close();
    }
  });

  it('symbolizes a stack root first, return addresses minus one, demangled', () => {
    const s = new Symbolizer({ hostRoot: host, kallsyms: fixture('kallsyms.txt') });
    try {
      const frames = s.symbolize({
        tgid: PID,
        // Leaf first, then return addresses. The last one is the first byte of spin_a: as a
        // return address it belongs to the call just before it, at the end of spin_b
        // (defined right before spin_a in spin.c).
        user: [exeAddr('spin_b', 4), exeAddr('_ZN3foo3barEi', 2), exeAddr('_ZN4demo4work17h0123456789abcdefE', 1), exeAddr('main', 9), exeAddr('spin_a')],
        kernel: [0xffffffff81000305n, 0xffffffff81000300n], // the return address at do_sys_poll's start: weak_thing's call
      });
      expect(frames.map((f) => f.name)).toEqual(['spin_b', 'main', 'demo::work', 'foo::bar(int)', 'spin_b', 'weak_thing', 'do_sys_poll']);
      expect(frames.map((f) => f.kind)).toEqual(['user', 'user', 'user', 'user', 'user', 'kernel', 'kernel']);
      expect(s.stats()).toMatchObject({ processes: 1, binariesParsed: 2, uniqueAddresses: 7, cxxfiltRuns: 1 });
    } finally {
      s.close();
    }
  });

  it('re-reads the maps for an address mapped after the snapshot (dlopen), at most every 250 ms', () => {
    const s = new Symbolizer({ hostRoot: host });
    const mapsFile = join(host, 'proc', String(PID), 'maps');
    const before = readFileSync(mapsFile, 'utf8');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      s.snapshot(PID);
      const later = 0x7f30_0000_0000;
      const addr = BigInt(later + lib.get('demo_lib_add')! + 1);
      const l = textMapping(join(dir, 'libdemo.so'), later, 999_998, '/usr/lib/later.so');
      writeFileSync(join(host, 'proc', String(PID), 'map_files', `${hex(l.start)}-${hex(l.end)}`), readFileSync(join(dir, 'libdemo.so')));
      writeFileSync(mapsFile, before + l.line + '\n');
      expect(s.userFrame(PID, addr).kind).toBe('unknown'); // just read: not again yet
      vi.advanceTimersByTime(300);
      expect(s.userFrame(PID, addr)).toEqual({ name: 'demo_lib_add', kind: 'user', module: 'later.so' });
    } finally {
      vi.useRealTimers();
      writeFileSync(mapsFile, before);
      s.close();
    }
  });

  it('keeps names mangled when told not to demangle', () => {
    const s = new Symbolizer({ hostRoot: host, cxxfilt: false });
    try {
      expect(s.userFrame(PID, exeAddr('_ZN3foo3barEi')).name).toBe('_ZN3foo3barEi');
    } finally {
      s.close();
    }
  });

  it('still symbolizes after the process is gone, thanks to snapshot()', () => {
    const s = new Symbolizer({ hostRoot: host, kallsyms: fixture('kallsyms.txt') });
    try {
      s.snapshot(PID);
      rmSync(join(host, 'proc', String(PID)), { recursive: true, force: true });
      expect(s.snapshot(PID)).toBe(true); // idempotent: nothing re-read
      expect(s.userFrame(PID, exeAddr('spin_b', 1)).name).toBe('spin_b');
      expect(s.userFrame(PID, BigInt(LIB_BASE + lib.get('demo_lib_add')!)).name).toBe('demo_lib_add');
      expect(s.userFrame(PID, BigInt(JIT + 0x100)).kind).toBe('jit'); // the map was opened at snapshot
      expect(s.stats().binariesParsed).toBe(2);
    } finally {
      s.close();
      layOut();
    }
  });

  it('a process never seen and gone: unknown frames, not errors', () => {
    const s = new Symbolizer({ hostRoot: host, kallsyms: fixture('kallsyms.txt') });
    try {
      expect(s.snapshot(99_999)).toBe(false);
      const f = s.symbolize({ tgid: 99_999, user: [0x401000n], kernel: [0xffffffff81000300n] });
      expect(f).toEqual([
        { name: '[unknown] ([unmapped]+0x401000)', kind: 'unknown', module: '[unmapped]' },
        { name: 'do_sys_poll', kind: 'kernel', module: '[kernel.kallsyms]' },
      ]);
    } finally {
      s.close();
    }
  });
});
