// Binaries as the symbolizer opens them: stripped ones with their debug info elsewhere
// (.gnu_debuglink, .debug/, /usr/lib/debug/.build-id), one symbol table per build-id.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync, mkdirSync, renameSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { Frame } from '../../../src/model/stack.js';
import { FileSource } from '../../../src/symbolize/byte-source.js';
import { parseElf, loadSegments, type ElfFile } from '../../../src/symbolize/elf-reader.js';
import { BinaryStore, type BinaryRef } from '../../../src/symbolize/binary.js';
import { debugFileCandidates } from '../../../src/symbolize/debug-file.js';
import { tempDir, cc, nm, buildId, run, fixture } from '../../fixtures/symbolize/build.js';

let dir: string;
let full: string;
let ref: Map<string, number>;
let elf: ElfFile;

function offsetOf(vaddr: number): number {
  const p = loadSegments(elf).find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)!;
  return vaddr - p.vaddr + p.offset;
}

function binRef(path: string, debugRoots = [''], key = path): BinaryRef {
  return { key, module: path.split('/').pop()!, path, files: () => [path], debugRoots };
}

/** A stripped copy of the fixture in its own directory, with its debug file made by objcopy. */
function stripped(name: string, debuglink: boolean): { bin: string; debug: string } {
  const d = join(dir, name);
  mkdirSync(d);
  const bin = join(d, 'spin');
  copyFileSync(full, bin);
  const debug = join(d, 'spin.debug');
  run('objcopy', ['--only-keep-debug', bin, debug]);
  run('strip', ['--strip-all', bin]);
  if (debuglink) run('objcopy', [`--add-gnu-debuglink=${debug}`, bin]);
  return { bin, debug };
}

beforeAll(() => {
  dir = tempDir();
  full = cc(dir, 'spin', [fixture('spin.c')]);
  ref = nm(full);
  const src = new FileSource(full);
  elf = parseElf(src);
  src.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('binaries and debug files', () => {
  it('a stripped binary gets its names from the .gnu_debuglink file next to it', () => {
    const { bin, debug } = stripped('link', true);
    const store = new BinaryStore(() => {});
    const b = store.get(binRef(bin))!;
    expect(b.symbols.origin).toBe(debug);
    expect(b.frameAt(offsetOf(ref.get('spin_a')! + 2))).toEqual({ name: 'spin_a', kind: 'user', module: 'spin' });
  });

  it('…or in its .debug/ subdirectory', () => {
    const { bin, debug } = stripped('subdir', true);
    const moved = join(dirname(bin), '.debug', 'spin.debug');
    mkdirSync(dirname(moved));
    renameSync(debug, moved);
    const b = new BinaryStore(() => {}).get(binRef(bin))!;
    expect(b.symbols.origin).toBe(moved);
    expect(b.frameAt(offsetOf(ref.get('spin_b')!)).name).toBe('spin_b');
  });

  it('…or by build-id under <root>/usr/lib/debug/.build-id', () => {
    const { bin, debug } = stripped('buildid', false);
    const id = buildId(bin);
    const root = join(dir, 'root');
    const at = join(root, 'usr/lib/debug/.build-id', id.slice(0, 2), `${id.slice(2)}.debug`);
    mkdirSync(dirname(at), { recursive: true });
    renameSync(debug, at);
    const b = new BinaryStore(() => {}).get(binRef(bin, [root]))!;
    expect(b.symbols.origin).toBe(at);
    expect(b.buildId).toBe(id);
    expect(b.frameAt(offsetOf(ref.get('main')! + 8)).name).toBe('main');
  });

  it('refuses a debug file of another build and falls back to .dynsym', () => {
    const { bin, debug } = stripped('other', true);
    const otherDir = join(dir, 'other-build');
    mkdirSync(otherDir);
    const other = cc(otherDir, 'spin', [fixture('spin.c')], ['-DOTHER_BUILD=1', '-O1']);
    run('objcopy', ['--only-keep-debug', other, debug]);
    const b = new BinaryStore(() => {}).get(binRef(bin))!;
    expect(b.symbols.origin).toBe('dynsym');
    const f = b.frameAt(offsetOf(ref.get('spin_a')!));
    expect(f.kind).toBe('unknown');
    expect(f.name).toBe(`[unknown] (spin+0x${ref.get('spin_a')!.toString(16)})`);
  });

  it('a stripped copy and the full binary share a build-id, not a symbol table', () => {
    const { bin } = stripped('same-id', false);
    const store = new BinaryStore(() => {});
    const a = store.get(binRef(full))!;
    const b = store.get(binRef(bin))!;
    expect(a.buildId).toBe(b.buildId);
    expect([a.symbols.origin, b.symbols.origin, store.tablesBuilt]).toEqual(['symtab', 'dynsym', 2]);
  });

  it('without build-ids, checks the debuglink CRC32', () => {
    const d = join(dir, 'crc');
    mkdirSync(d);
    const bin = cc(d, 'nobuildid', [fixture('spin.c')], ['-Wl,--build-id=none']);
    const debug = `${bin}.debug`;
    run('objcopy', ['--only-keep-debug', bin, debug]);
    run('strip', ['--strip-all', bin]);
    run('objcopy', [`--add-gnu-debuglink=${debug}`, bin]);
    expect(new BinaryStore(() => {}).get(binRef(bin))!.symbols.origin).toBe(debug);
    run('objcopy', ['--add-section', '.junk=/dev/null', debug]); // same symbols, other bytes
    expect(new BinaryStore(() => {}).get(binRef(bin))!.symbols.origin).toBe('dynsym');
  });

  it('lists candidates in GDB order, in each root', () => {
    const c = debugFileCandidates({ roots: ['/proc/9/root', ''], path: '/usr/bin/x', buildId: 'abcdef', debuglink: { file: 'x.debug', crc: 0 } });
    expect(c.map((x) => x.path)).toEqual([
      '/proc/9/root/usr/lib/debug/.build-id/ab/cdef.debug',
      '/usr/lib/debug/.build-id/ab/cdef.debug',
      '/proc/9/root/usr/bin/x.debug',
      '/proc/9/root/usr/bin/.debug/x.debug',
      '/proc/9/root/usr/lib/debug/usr/bin/x.debug',
      '/usr/bin/x.debug',
      '/usr/bin/.debug/x.debug',
      '/usr/lib/debug/usr/bin/x.debug',
    ]);
  });

  it('parses each file once, each build-id once, and looks each address up once', () => {
    const lib = cc(dir, 'libdemo.so', [fixture('demo-lib.c')], ['-shared', '-fPIC']);
    const fresh: Frame[] = [];
    const store = new BinaryStore((f) => fresh.push(f));
    const a = store.get(binRef(lib, [''], 'dev:1'))!;
    expect(store.get(binRef(lib, [''], 'dev:1'))).toBe(a);
    const b = store.get(binRef(lib, [''], 'dev:2'))!; // same file under another key (a hard link)
    expect(store.parsed).toBe(2);
    expect(store.tablesBuilt).toBe(1);
    expect(b.symbols).toBe(a.symbols);
    const add = nm(lib, true).get('demo_lib_add')!; // text vaddr == file offset in a .so
    const f = a.frameAt(add + 1);
    expect(f.name).toBe('demo_lib_add');
    expect(a.frameAt(add + 1)).toBe(f);
    expect(a.lookups).toBe(1);
    expect(fresh).toEqual([f]);
    expect(store.get({ key: 'nope', module: 'nope', path: '/nonexistent', files: () => ['/nonexistent'], debugRoots: [] })).toBeNull();
  });
});
