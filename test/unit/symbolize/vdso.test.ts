// The vDSO from huatuo's own mapping: any process's [vdso] is symbolized from it, even one
// whose memory cannot be read (gone, or a fake /proc here), and its unexported functions
// are named after the exported ones that call them. objdump is the reference.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownVdso, vdsoHelperSymbols } from '../../../src/symbolize/vdso.js';
import { BufferSource } from '../../../src/symbolize/byte-source.js';
import { parseElf, functionSymbols } from '../../../src/symbolize/elf-reader.js';
import { parseMaps } from '../../../src/symbolize/proc-maps.js';
import { Symbolizer } from '../../../src/symbolize/symbolizer.js';
import { tempDir, run } from '../../fixtures/symbolize/build.js';

let dir: string;
let image: Buffer;
beforeAll(() => {
  dir = tempDir();
  image = ownVdso()!;
  writeFileSync(join(dir, 'vdso.so'), image);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** objdump's direct calls in the image: [call site, target]. */
function objdumpCalls(): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const l of run('objdump', ['-d', join(dir, 'vdso.so')]).split('\n')) {
    const m = /^\s*([0-9a-f]+):.*\s(?:call|bl)\s+([0-9a-f]+)\s/.exec(l);
    if (m) out.push([parseInt(m[1], 16), parseInt(m[2], 16)]);
  }
  return out;
}

/** nm -D -S: exported functions as [start, end, name]. */
function exported(): Array<[number, number, string]> {
  return run('nm', ['-D', '-S', '--defined-only', join(dir, 'vdso.so')]).split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 4 && /[tTiW]/.test(f[2]))
    .map((f): [number, number, string] => [parseInt(f[0], 16), parseInt(f[0], 16) + parseInt(f[1], 16), f[3].replace(/@.*/, '')]);
}

describe('vDSO', () => {
  it('reads its own image: an ELF of exactly the size of its [vdso] mapping', () => {
    const m = parseMaps(readFileSync('/proc/self/maps', 'utf8')).find((x) => x.path === '[vdso]')!;
    expect(image.length).toBe(m.end - m.start);
    expect(image.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });

  it('names each function only called, never exported, after its exported callers', (ctx) => {
    const src = new BufferSource(image);
    const elf = parseElf(src);
    const helpers = vdsoHelperSymbols(src, elf, functionSymbols(src, elf));
    const fns = exported();
    const inFn = (a: number) => fns.filter(([s, e]) => a >= s && a < e);
    // The reference: call targets objdump shows that start no exported function.
    const expected = new Map<number, Set<number>>(); // target → starts of exported callers
    for (const [site, target] of objdumpCalls()) {
      if (fns.some(([s]) => s === target)) continue;
      const callers = inFn(site);
      if (!callers.length) continue; // a helper calling a helper: named by its own callers
      const set = expected.get(target) ?? new Set<number>();
      for (const [s] of callers) set.add(s);
      expected.set(target, set);
    }
    // A TSC-clocked host may inline everything; a paravirt clock (this project's VMs) does not.
    if (expected.size === 0) ctx.skip('this vDSO calls no unexported function');
    // And nothing else: a helper is called from an exported function or from another helper.
    for (const h of helpers) expect(expected.has(h.value) || objdumpCalls().some(([site, t]) => t === h.value && !inFn(site).length)).toBe(true);
    for (const [target, callers] of expected) {
      const h = helpers.find((x) => x.value === target)!;
      expect(h, `helper at 0x${target.toString(16)}`).toBeDefined();
      expect(h.name.startsWith('[vdso] helper of ')).toBe(true);
      const named = h.name.slice('[vdso] helper of '.length).split(', ');
      // Each caller by one of its aliases (clock_gettime, __vdso_clock_gettime).
      for (const start of callers) expect(named.some((n) => fns.some(([s, , name]) => s === start && name === n))).toBe(true);
    }
  });

  it('symbolizes a process\'s [vdso] from its own image, without that process\'s memory', () => {
    const pid = 6262;
    const proc = join(dir, 'host', 'proc', String(pid));
    mkdirSync(proc, { recursive: true });
    const base = 0x7ffd_0000_0000;
    writeFileSync(join(proc, 'maps'), `${base.toString(16)}-${(base + image.length).toString(16)} r-xp 00000000 00:00 0   [vdso]\n`);
    writeFileSync(join(proc, 'status'), `Name:\tx\nNSpid:\t${pid}\n`);
    writeFileSync(join(proc, 'stat'), `${pid} (x) S ${'0 '.repeat(18)}1 0 0\n`);
    const s = new Symbolizer({ hostRoot: join(dir, 'host') });
    try {
      const [start] = exported().find(([, , n]) => n === 'clock_gettime' || n === '__vdso_clock_gettime')!;
      expect(s.userFrame(pid, BigInt(base + start + 1))).toMatchObject({ kind: 'user', module: '[vdso]' });
      expect(s.userFrame(pid, BigInt(base + start + 1)).name).toMatch(/clock_gettime$/);
      const src = new BufferSource(image);
      const elf = parseElf(src);
      for (const h of vdsoHelperSymbols(src, elf, functionSymbols(src, elf))) {
        expect(s.userFrame(pid, BigInt(base + h.value + 2))).toEqual({ name: h.name, kind: 'user', module: '[vdso]' });
      }
    } finally {
      s.close();
    }
  });
});
