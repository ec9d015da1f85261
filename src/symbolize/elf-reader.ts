// A small ELF64 little-endian reader (x86_64, aarch64): section and program headers,
// function symbols from .symtab/.dynsym, the GNU build-id and .gnu_debuglink. Only what
// symbolization needs; no DWARF. Reads pieces through a ByteSource, never the whole file.
import type { ByteSource } from './byte-source.js';
import { concatColumns, entriesOf, type SymbolEntry, type SymbolColumns } from './address-table.js';

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

export const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const PT_NOTE = 4;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const NT_GNU_BUILD_ID = 3;

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

export interface ElfSection {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfFile {
  /** e_type: 2 executable (fixed addresses), 3 shared object or PIE. */
  type: number;
  machine: number;
  sections: ElfSection[];
  segments: ElfSegment[];
  /** NT_GNU_BUILD_ID as lowercase hex. */
  buildId?: string;
  /** .gnu_debuglink: the separate debug file's name and the CRC32 of its contents. */
  debuglink?: { file: string; crc: number };
}

export type ElfSymbol = SymbolEntry;

/** An unsigned 64-bit field as a number (exact below 2^53, which covers user addresses and sizes). */
function u64(b: Buffer, o: number): number {
  return b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 0x1_0000_0000;
}

function cstring(b: Buffer, at: number): string {
  if (at >= b.length) return '';
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end < 0 ? b.length : end);
}

function readExactly(src: ByteSource, offset: number, length: number, what: string): Buffer {
  const b = src.read(offset, length);
  if (b.length < length) throw new ElfError(`truncated ${what}`);
  return b;
}

export function parseElf(src: ByteSource): ElfFile {
  const h = src.read(0, 64);
  if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46) throw new ElfError('not an ELF file');
  if (h[4] !== 2) throw new ElfError('not ELF64');
  if (h[5] !== 1) throw new ElfError('not little-endian');
  const type = h.readUInt16LE(16);
  const machine = h.readUInt16LE(18);
  const phoff = u64(h, 32);
  const shoff = u64(h, 40);
  const phentsize = h.readUInt16LE(54);
  const phnum = h.readUInt16LE(56);
  const shentsize = h.readUInt16LE(58);
  let shnum = h.readUInt16LE(60);
  let shstrndx = h.readUInt16LE(62);

  const segments: ElfSegment[] = [];
  if (phoff && phnum && phentsize >= 56) {
    const ph = readExactly(src, phoff, phnum * phentsize, 'program headers');
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      segments.push({
        type: ph.readUInt32LE(o),
        flags: ph.readUInt32LE(o + 4),
        offset: u64(ph, o + 8),
        vaddr: u64(ph, o + 16),
        filesz: u64(ph, o + 32),
        memsz: u64(ph, o + 40),
      });
    }
  }

  const sections: ElfSection[] = [];
  if (shoff && shentsize >= 64) {
    // More than 0xff00 sections: the real count and string-table index live in section 0.
    if (shnum === 0 || shstrndx === SHN_XINDEX) {
      const s0 = readExactly(src, shoff, 64, 'section header 0');
      if (shnum === 0) shnum = u64(s0, 32);
      if (shstrndx === SHN_XINDEX) shstrndx = s0.readUInt32LE(40);
    }
    const sh = readExactly(src, shoff, shnum * shentsize, 'section headers');
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      nameOffsets.push(sh.readUInt32LE(o));
      sections.push({
        name: '',
        type: sh.readUInt32LE(o + 4),
        addr: u64(sh, o + 16),
        offset: u64(sh, o + 24),
        size: u64(sh, o + 32),
        link: sh.readUInt32LE(o + 40),
        entsize: u64(sh, o + 56),
      });
    }
    const strSec = sections[shstrndx];
    if (strSec && strSec.type !== SHT_NOBITS) {
      const names = src.read(strSec.offset, strSec.size);
      sections.forEach((s, i) => (s.name = cstring(names, nameOffsets[i])));
    }
  }

  const elf: ElfFile = { type, machine, sections, segments };
  elf.buildId = readBuildId(src, elf);
  elf.debuglink = readDebuglink(src, elf);
  return elf;
}

/** The GNU build-id in a block of ELF notes (a note section, /sys/kernel/notes). */
export function buildIdInNotes(b: Buffer): string | undefined {
  let o = 0;
  while (o + 12 <= b.length) {
    const namesz = b.readUInt32LE(o);
    const descsz = b.readUInt32LE(o + 4);
    const ntype = b.readUInt32LE(o + 8);
    const nameAt = o + 12;
    const descAt = nameAt + ((namesz + 3) & ~3);
    if (descAt + descsz > b.length) return undefined;
    if (ntype === NT_GNU_BUILD_ID && b.toString('latin1', nameAt, nameAt + namesz).replace(/\0+$/, '') === 'GNU') {
      return b.toString('hex', descAt, descAt + descsz);
    }
    o = descAt + ((descsz + 3) & ~3);
  }
  return undefined;
}

function readBuildId(src: ByteSource, elf: ElfFile): string | undefined {
  const notes = elf.sections.filter((s) => s.type === SHT_NOTE);
  // .note.gnu.build-id first; any note section, then PT_NOTE when sections are stripped.
  notes.sort((a, b) => Number(b.name === '.note.gnu.build-id') - Number(a.name === '.note.gnu.build-id'));
  for (const s of notes) {
    const id = buildIdInNotes(src.read(s.offset, Math.min(s.size, 1 << 16)));
    if (id) return id;
  }
  for (const p of elf.segments.filter((x) => x.type === PT_NOTE)) {
    const id = buildIdInNotes(src.read(p.offset, Math.min(p.filesz, 1 << 16)));
    if (id) return id;
  }
  return undefined;
}

function readDebuglink(src: ByteSource, elf: ElfFile): ElfFile['debuglink'] {
  const s = elf.sections.find((x) => x.name === '.gnu_debuglink');
  if (!s || s.type === SHT_NOBITS || s.size < 8) return undefined;
  const b = src.read(s.offset, Math.min(s.size, 4096));
  const end = b.indexOf(0);
  if (end <= 0) return undefined;
  const crcAt = (end + 4) & ~3;
  if (crcAt + 4 > b.length) return undefined;
  return { file: b.toString('utf8', 0, end), crc: b.readUInt32LE(crcAt) };
}

/** Whether the file has a full symbol table (not stripped). */
export function hasSymtab(elf: ElfFile): boolean {
  return elf.sections.some((s) => s.type === SHT_SYMTAB && s.size > 0);
}

/**
 * Function symbols (STT_FUNC and STT_GNU_IFUNC, defined, non-zero address), names without
 * their `@VERSION` suffix: from .symtab, or from .dynsym when there is no .symtab (as perf
 * does: the dynamic symbols are a subset of the full table). Kept in columns, names cut
 * from the string table when asked for: a large binary (node: 86k functions) is read in
 * a tenth of the time its symbol objects would take, and a run asks for a few hundred names.
 */
export function functionSymbolColumns(src: ByteSource, elf: ElfFile): SymbolColumns {
  const want = hasSymtab(elf) ? SHT_SYMTAB : SHT_DYNSYM;
  const parts: SymbolColumns[] = [];
  for (const tab of elf.sections) {
    if (tab.type !== want || tab.size === 0) continue;
    const strs = elf.sections[tab.link];
    if (!strs || strs.type === SHT_NOBITS) continue;
    const entsize = tab.entsize || 24;
    const syms = src.read(tab.offset, tab.size);
    const names = src.read(strs.offset, strs.size);
    const cap = Math.floor(syms.length / entsize);
    const values = new Float64Array(cap);
    const sizes = new Float64Array(cap);
    const binds = new Uint8Array(cap);
    const sectionEnds = new Float64Array(cap);
    const nameAt = new Int32Array(cap);
    let n = 0;
    for (let o = entsize; o + 24 <= syms.length; o += entsize) {
      const info = syms[o + 4];
      const stype = info & 0xf;
      if (stype !== STT_FUNC && stype !== STT_GNU_IFUNC) continue;
      const shndx = syms.readUInt16LE(o + 6);
      if (shndx === 0) continue;
      const value = u64(syms, o + 8);
      if (value === 0 || value > Number.MAX_SAFE_INTEGER) continue;
      const at = syms.readUInt32LE(o);
      if (at >= names.length || names[at] === 0) continue; // no name
      const sec = shndx < SHN_LORESERVE ? elf.sections[shndx] : undefined;
      values[n] = value;
      sizes[n] = u64(syms, o + 16);
      binds[n] = info >> 4;
      sectionEnds[n] = sec && sec.addr <= value ? sec.addr + sec.size : NaN;
      nameAt[n] = at;
      n++;
    }
    parts.push({
      count: n,
      values: values.subarray(0, n),
      sizes: sizes.subarray(0, n),
      binds: binds.subarray(0, n),
      sectionEnds: sectionEnds.subarray(0, n),
      name: (i) => {
        const name = cstring(names, nameAt[i]);
        const v = name.indexOf('@');
        return v > 0 ? name.slice(0, v) : name;
      },
    });
  }
  return concatColumns(parts);
}

const SHT_RELA = 4;

/**
 * Names for the PLT's stubs (`clock_gettime@plt`), which no symbol table has: stub i
 * jumps through .rela.plt's entry i, to that entry's dynamic symbol. The stubs are 16
 * bytes, in .plt.sec when the binary has one (x86 IBT), else in .plt after its header
 * (16 bytes on x86-64, 32 on aarch64). As perf synthesizes them.
 */
export function pltSymbols(src: ByteSource, elf: ElfFile): ElfSymbol[] {
  const rela = elf.sections.find((x) => x.name === '.rela.plt' && x.type === SHT_RELA);
  const dynsym = rela && elf.sections[rela.link];
  const dynstr = dynsym && elf.sections[dynsym.link];
  const sec = elf.sections.find((x) => x.name === '.plt.sec');
  const plt = elf.sections.find((x) => x.name === '.plt');
  if (!rela || !dynsym || !dynstr || (!sec && !plt) || rela.entsize < 24 || dynstr.type === SHT_NOBITS) return [];
  const header = sec ? 0 : elf.machine === EM_AARCH64 ? 32 : elf.machine === EM_X86_64 ? 16 : -1;
  if (header < 0) return [];
  const base = (sec ?? plt)!.addr + header;
  const end = (sec ?? plt)!.addr + (sec ?? plt)!.size;
  const relocs = src.read(rela.offset, rela.size);
  const syms = src.read(dynsym.offset, dynsym.size);
  const names = src.read(dynstr.offset, dynstr.size);
  const symEnt = dynsym.entsize || 24;
  const out: ElfSymbol[] = [];
  for (let i = 0, o = 0; o + 24 <= relocs.length; i++, o += rela.entsize) {
    const value = base + i * 16;
    if (value + 16 > end) break;
    const sym = relocs.readUInt32LE(o + 12); // r_info >> 32
    if (sym === 0) {
      // R_*_IRELATIVE (an IFUNC called in the binary itself): named by its resolver, as objdump does.
      out.push({ name: `*ABS*+0x${u64(relocs, o + 16).toString(16)}@plt`, value, size: 16, bind: 1 });
      continue;
    }
    if ((sym + 1) * symEnt > syms.length) continue;
    let name = cstring(names, syms.readUInt32LE(sym * symEnt));
    if (!name) continue;
    const at = name.indexOf('@');
    if (at > 0) name = name.slice(0, at);
    out.push({ name: `${name}@plt`, value, size: 16, bind: 1 });
  }
  return out;
}

/** The same as objects (small tables, tests). */
export function functionSymbols(src: ByteSource, elf: ElfFile): ElfSymbol[] {
  return entriesOf(functionSymbolColumns(src, elf));
}

/** The PT_LOAD segments, which map file offsets to virtual addresses. */
export function loadSegments(elf: ElfFile): ElfSegment[] {
  return elf.segments.filter((p) => p.type === PT_LOAD);
}

/**
 * The virtual address (as in the symbol table) of a file offset, through the PT_LOAD that
 * contains it; undefined when no segment holds that offset.
 */
export function fileOffsetToVaddr(loads: ElfSegment[], fileOffset: number): number | undefined {
  for (const p of loads) {
    if (fileOffset >= p.offset && fileOffset < p.offset + Math.max(p.filesz, 1)) return fileOffset - p.offset + p.vaddr;
  }
  return undefined;
}
