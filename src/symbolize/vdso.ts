// The vDSO: the kernel's own little shared object, mapped into every process. It is the
// same image in every 64-bit process of a kernel, so huatuo reads its own copy
// (/proc/self/maps, /proc/self/mem) once, whether or not the sampled process still lives.
// The image carries only .dynsym, so its static functions (the paravirt clock reader
// under clock_gettime, say) have no names: they are named after the exported functions
// that call them.
import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import type { ByteSource } from './byte-source.js';
import { EM_X86_64, EM_AARCH64, type ElfFile, type ElfSymbol } from './elf-reader.js';
import { buildAddressTable } from './address-table.js';
import { parseMaps } from './proc-maps.js';

let own: Buffer | null | undefined;

/** huatuo's own vDSO image; null when there is none (or it cannot be read). */
export function ownVdso(): Buffer | null {
  if (own !== undefined) return own;
  own = null;
  try {
    const m = parseMaps(readFileSync('/proc/self/maps', 'utf8')).find((x) => x.path === '[vdso]');
    if (m) own = readMemory('/proc/self/mem', m.start, m.end - m.start);
  } catch {
    /* no /proc: each process's own copy is read instead */
  }
  return own;
}

export function readMemory(path: string, at: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, at + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Direct call targets in [start, end) of the code at vaddr `base`: x86-64 `call rel32`, aarch64 `bl`. */
function callTargets(code: Buffer, base: number, start: number, end: number, machine: number): number[] {
  const out: number[] = [];
  if (machine === EM_X86_64) {
    // Scanning bytes, not decoding: an E8 inside another instruction gives a random
    // rel32, which lands in a few-KB image with a chance of about one in a million.
    for (let o = start - base; o + 5 <= end - base; o++) if (code[o] === 0xe8) out.push(base + o + 5 + code.readInt32LE(o + 1));
  } else if (machine === EM_AARCH64) {
    for (let o = (start - base + 3) & ~3; o + 4 <= end - base; o += 4) {
      const insn = code.readUInt32LE(o);
      if ((insn & 0xfc000000) === 0x94000000) out.push(base + o + (((insn & 0x03ffffff) << 6) >> 4));
    }
  }
  return out;
}

/**
 * Symbols for the vDSO's unnamed functions: each direct call target in the text that no
 * exported function covers becomes `[vdso] helper of <its callers>` (callers found
 * through helpers too). Each runs to the next symbol, as size-0 symbols do.
 */
export function vdsoHelperSymbols(src: ByteSource, elf: ElfFile, exported: ElfSymbol[]): ElfSymbol[] {
  const text = elf.sections.find((s) => s.name === '.text');
  if (!text || !exported.length) return [];
  const code = src.read(text.offset, text.size);
  const textEnd = text.addr + text.size;
  const table = buildAddressTable(exported);
  const callers = new Map<number, Set<string>>(); // helper address → exported callers
  // Worklist of [start, end, names of the exported functions it runs for].
  const work: Array<[number, number, string[]]> = [];
  for (let i = 0; i < table.length; i++) {
    const name = table.nameOf(i);
    if (name !== null && table.starts[i] >= text.addr) work.push([table.starts[i], Math.min(table.ends[i], textEnd), [name]]);
  }
  const starts = () => [...table.starts, ...callers.keys()].sort((a, b) => a - b);
  while (work.length) {
    const [start, end, names] = work.pop()!;
    for (const t of callTargets(code, text.addr, start, end, elf.machine)) {
      if (t < text.addr || t >= textEnd || table.find(t) >= 0) continue;
      let set = callers.get(t);
      const isNew = !set;
      if (!set) callers.set(t, (set = new Set()));
      const before = set.size;
      for (const n of names) set.add(n);
      if (isNew || set.size > before) {
        const next = starts().find((s) => s > t) ?? textEnd;
        work.push([t, Math.min(next, textEnd), [...set]]);
      }
    }
  }
  return [...callers].map(([value, names]) => ({
    name: `[vdso] helper of ${[...names].sort().join(', ')}`,
    value,
    size: 0,
    bind: 0,
    sectionEnd: textEnd,
  }));
}
