// The ELF reader against what nm and readelf say about binaries gcc builds here.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { FileSource, BufferSource } from '../../../src/symbolize/byte-source.js';
import { parseElf, functionSymbols, pltSymbols, loadSegments, fileOffsetToVaddr, hasSymtab, ElfError, EM_X86_64, EM_AARCH64, type ElfFile } from '../../../src/symbolize/elf-reader.js';
import { symbolTable } from '../../../src/symbolize/binary.js';
import { tempDir, cc, nm, buildId, run, fixture } from '../../fixtures/symbolize/build.js';

const machine = process.arch === 'arm64' ? EM_AARCH64 : EM_X86_64;
let dir: string;
let pie: string;
let noPie: string;
let lib: string;

function read(path: string): { elf: ElfFile; src: FileSource } {
  const src = new FileSource(path);
  return { elf: parseElf(src), src };
}

/** The file offset of a vaddr, through its PT_LOAD (the inverse of what the symbolizer does). */
function offsetOf(elf: ElfFile, vaddr: number): number {
  const p = loadSegments(elf).find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)!;
  return vaddr - p.vaddr + p.offset;
}

beforeAll(() => {
  dir = tempDir();
  pie = cc(dir, 'spin-pie', [fixture('spin.c')], ['-fPIE', '-pie']);
  noPie = cc(dir, 'spin-nopie', [fixture('spin.c')], ['-fno-PIE', '-no-pie']);
  lib = cc(dir, 'libdemo.so', [fixture('demo-lib.c')], ['-shared', '-fPIC']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ELF reader', () => {
  it('names the PLT stubs of an executable, a library and a system binary as objdump does', () => {
    const bins = [pie, noPie, lib, '/usr/bin/bash', cc(dir, 'spin-ibt', [fixture('spin.c')], ['-fcf-protection=full'])];
    for (const bin of bins) {
      const ref = new Map<number, string>(); // objdump's <name@plt> labels
      for (const l of run('objdump', ['-d', '-j', '.plt', '-j', '.plt.sec', bin]).split('\n')) {
        const m = /^([0-9a-f]+) <(.+@plt)>:$/.exec(l);
        if (m) ref.set(parseInt(m[1], 16), m[2].replace(/@[^@]*@plt$/, '@plt'));
      }
      const { elf, src } = read(bin);
      try {
        const got = new Map(pltSymbols(src, elf).map((p) => [p.value, p.name]));
        expect(ref.size, bin).toBeGreaterThan(0);
        expect(got, bin).toEqual(ref);
      } finally {
        src.close();
      }
    }
  });

  it('reads a PIE: type, machine, build-id, function symbols as nm has them', () => {
    const { elf, src } = read(pie);
    try {
      expect(elf.type).toBe(3);
      expect(elf.machine).toBe(machine);
      expect(elf.buildId).toBe(buildId(pie));
      expect(hasSymtab(elf)).toBe(true);
      const syms = functionSymbols(src, elf);
      const ref = nm(pie);
      for (const name of ['main', 'spin_a', 'spin_b', '_ZN3foo3barEi']) {
        const s = syms.find((x) => x.name === name);
        expect(s, name).toBeDefined();
        expect(s!.value).toBe(ref.get(name));
        expect(s!.size).toBeGreaterThan(0);
      }
    } finally {
      src.close();
    }
  });

  it('maps file offsets to vaddrs through PT_LOAD in a -no-pie executable', () => {
    const { elf, src } = read(noPie);
    src.close();
    expect(elf.type).toBe(2);
    const spinA = nm(noPie).get('spin_a')!;
    expect(spinA).toBeGreaterThanOrEqual(0x400000);
    const off = offsetOf(elf, spinA);
    expect(off).not.toBe(spinA); // fixed-address: vaddr and offset differ
    expect(fileOffsetToVaddr(loadSegments(elf), off)).toBe(spinA);
    expect(fileOffsetToVaddr(loadSegments(elf), 1e12)).toBeUndefined();
  });

  it('takes IFUNC symbols and bounds size-0 ones by the next symbol', () => {
    const { elf, src } = read(pie);
    const syms = functionSymbols(src, elf);
    src.close();
    const ref = nm(pie);
    expect(syms.find((s) => s.name === 'nosize_fn')!.size).toBe(0);
    expect(syms.some((s) => s.name === 'picked')).toBe(true);
    const { table } = symbolTable(syms, 'symtab');
    const nosize = ref.get('nosize_fn')!;
    expect(table.name(nosize + 3)).toBe('nosize_fn');
    // The next symbol starts right after its 5 bytes of code.
    expect(table.name(ref.get('_ZN3foo3barEi')!)).toBe('_ZN3foo3barEi');
    // An ifunc and its resolver share an address: the global name wins.
    expect(table.name(ref.get('picked')!)).toBe('picked');
    expect(table.name(ref.get('spin_a')! + 1)).toBe('spin_a');
    expect(table.name(1)).toBeNull();
  });

  it('reads a shared library: .symtab, or .dynsym once stripped', () => {
    const { elf, src } = read(lib);
    const syms = functionSymbols(src, elf);
    src.close();
    expect(elf.type).toBe(3);
    const add = nm(lib, true).get('demo_lib_add')!;
    expect(syms.filter((s) => s.name === 'demo_lib_add').map((s) => s.value)).toEqual([add]);
    expect(syms.some((s) => s.name === 'frame_dummy')).toBe(true); // local: only in .symtab
    expect(symbolTable(syms, 'symtab').table.name(add + 4)).toBe('demo_lib_add');
    run('strip', ['--strip-all', lib]);
    const stripped = read(lib);
    const dyn = functionSymbols(stripped.src, stripped.elf);
    stripped.src.close();
    expect(hasSymtab(stripped.elf)).toBe(false);
    expect(dyn.map((s) => s.name).sort()).toEqual(['demo_lib_add', 'demo_lib_twice']);
  });

  it('rejects what is not an ELF file', () => {
    expect(() => parseElf(new BufferSource(Buffer.alloc(0)))).toThrow(ElfError);
    expect(() => parseElf(new BufferSource(Buffer.from('#!/bin/sh\necho not an ELF file at all, really, no.\n'.repeat(2))))).toThrow(/not an ELF/);
  });
});
