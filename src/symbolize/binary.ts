// Mapped binaries, parsed once per run: the PT_LOAD segments (file offset → vaddr) and a
// function-symbol table from .symtab/.dynsym, or from a separate debug file when the binary
// is stripped. Binaries are keyed by (dev, inode) and their symbol tables by build-id, so a
// library shared by many processes (or containers) is read once, and nothing depends on the
// path still existing after its process exits. Address → frame is cached per binary.
import { statSync } from 'node:fs';
import type { CodeMapping, Frame } from '../model/stack.js';
import { FileSource, BufferSource, type ByteSource } from './byte-source.js';
import { parseElf, functionSymbolColumns, pltSymbols, hasSymtab, SHT_SYMTAB, SHT_DYNSYM, loadSegments, fileOffsetToVaddr, type ElfSegment, type ElfSymbol } from './elf-reader.js';
import { AddressTable, buildAddressTable, columnsOf, concatColumns, entriesOf, type SymbolColumns } from './address-table.js';
import { findDebugFile } from './debug-file.js';
import { unknownFrame } from './frames.js';
import { vdsoHelperSymbols } from './vdso.js';

export interface SymbolTable {
  table: AddressTable;
  /** Where the names came from: 'symtab', 'dynsym', or the debug file's path. */
  origin: string;
}

export function symbolTable(symbols: ElfSymbol[] | SymbolColumns, origin: string): SymbolTable {
  return {
    table: buildAddressTable(symbols),
    origin,
  };
}

const PAGE = 4096;

export class Binary {
  private readonly frames = new Map<number, Frame>();
  private readonly bySymbol: Frame[] = [];
  /** Lookups that missed the frame cache (binary searches). */
  lookups = 0;

  constructor(
    readonly module: string,
    readonly buildId: string | undefined,
    private readonly loads: ElfSegment[],
    readonly symbols: SymbolTable,
    private readonly onNewFrame: (f: Frame) => void,
    /** The binary's bytes again, for reading code (frame recovery); null when unreadable. */
    private readonly openBytes: () => ByteSource | null = () => null,
    /** The path its first process mapped it at ('' for the vDSO). */
    readonly path = '',
  ) {}

  private readonly mappings = new Map<ElfSegment, CodeMapping>();

  /** The vaddr (as in the symbol table) of a file offset, or undefined outside every segment. */
  vaddrOf(fileOffset: number): number | undefined {
    return fileOffsetToVaddr(this.loads, fileOffset);
  }

  /** pprof's mapping for the segment holding a vaddr: page-aligned, in the binary's own addresses. */
  codeMapping(vaddr: number): CodeMapping | undefined {
    const seg = this.loads.find((p) => vaddr >= p.vaddr && vaddr < p.vaddr + p.memsz);
    if (!seg) return undefined;
    let m = this.mappings.get(seg);
    if (!m) {
      const start = seg.vaddr - (seg.vaddr % PAGE);
      m = {
        file: this.path || this.module,
        ...(this.buildId ? { buildId: this.buildId } : {}),
        start: BigInt(start),
        limit: BigInt(Math.ceil((seg.vaddr + seg.memsz) / PAGE) * PAGE),
        // Loadable segments have vaddr ≡ offset (mod page): the page's file offset.
        offset: BigInt(seg.offset - (seg.vaddr - start)),
        native: this.path !== '',
      };
      this.mappings.set(seg, m);
    }
    return m;
  }

  private readonly code = new Map<number, Buffer | null>();

  /** `n` bytes of the file ending at a file offset (code before a return address), or null. */
  bytesBefore(fileOffset: number, n: number): Buffer | null {
    const key = fileOffset * 16 + n;
    if (this.code.has(key)) return this.code.get(key)!;
    let b: Buffer | null = null;
    if (fileOffset >= n) {
      let src: ByteSource | null = null;
      try {
        src = this.openBytes();
        if (src && fileOffset <= src.size) b = src.read(fileOffset - n, n);
      } catch {
        b = null;
      } finally {
        src?.close();
      }
    }
    this.code.set(key, b);
    return b;
  }

  /** The symbol holding a file offset: its start as a file offset, and its name. */
  symbolAt(fileOffset: number): { start: number; name: string } | undefined {
    const vaddr = fileOffsetToVaddr(this.loads, fileOffset);
    if (vaddr === undefined) return undefined;
    const i = this.symbols.table.find(vaddr);
    const name = i < 0 ? null : this.symbols.table.nameOf(i);
    return name === null ? undefined : { start: fileOffset - (vaddr - this.symbols.table.starts[i]), name };
  }

  /** The frame at a file offset of this binary (address - map start + map offset). */
  frameAt(fileOffset: number): Frame {
    const vaddr = fileOffsetToVaddr(this.loads, fileOffset);
    if (vaddr === undefined) return unknownFrame(this.module, fileOffset);
    let f = this.frames.get(vaddr);
    if (f) return f;
    this.lookups++;
    const i = this.symbols.table.find(vaddr);
    const name = i < 0 ? null : this.symbols.table.nameOf(i);
    if (name === null) f = unknownFrame(this.module, vaddr);
    else if (!(f = this.bySymbol[i])) {
      // One frame object per function, whatever the address inside it.
      f = this.bySymbol[i] = { name, kind: 'user', module: this.module };
      this.onNewFrame(f);
    }
    this.frames.set(vaddr, f);
    return f;
  }
}

/** How to reach one mapped file. */
export interface BinaryRef {
  /** Cache key: `dev:inode`, or `[vdso]` (`[vdso]:PID` for a process's own copy). */
  key: string;
  module: string;
  /** Path as the process sees it, for finding debug files next to it. */
  path: string;
  /** Files to try, in order (through /proc/PID/root, then /proc/PID/map_files). */
  files: () => string[];
  /** Instead of files: the bytes (the vDSO, read from memory). */
  bytes?: () => Buffer;
  /** The vDSO: its unexported functions are named after their callers (vdso.ts). */
  vdso?: boolean;
  /** Roots to look for separate debug files in. */
  debugRoots: string[];
}

export class BinaryStore {
  private readonly byKey = new Map<string, Binary | null>();
  private readonly byBuildId = new Map<string, SymbolTable>();
  /** ELF files opened and parsed (headers), and symbol tables built. */
  parsed = 0;
  tablesBuilt = 0;

  constructor(private readonly onNewFrame: (f: Frame) => void) {}

  /** The binary for a mapping, parsed the first time its key is seen; null if unreadable. */
  get(ref: BinaryRef): Binary | null {
    const known = this.byKey.get(ref.key);
    if (known !== undefined) return known;
    let b: Binary | null = null;
    try {
      b = this.open(ref);
    } catch {
      b = null;
    }
    this.byKey.set(ref.key, b);
    return b;
  }

  private open(ref: BinaryRef): Binary | null {
    const src = openRef(ref);
    if (!src) return null;
    try {
      const elf = parseElf(src);
      this.parsed++;
      // Same build-id, same code; the size check keeps a stripped copy and the full
      // binary (one build-id, different symbol tables) apart.
      const tables = elf.sections.filter((x) => x.type === SHT_SYMTAB || x.type === SHT_DYNSYM).map((x) => x.size).join(',');
      const key = elf.buildId ? `${elf.buildId}/${tables}/${src.size}` : undefined;
      let symbols = key ? this.byBuildId.get(key) : undefined;
      if (!symbols) {
        symbols = this.readSymbols(src, elf, ref);
        this.tablesBuilt++;
        if (key) this.byBuildId.set(key, symbols);
      }
      return new Binary(ref.module, elf.buildId, loadSegments(elf), symbols, this.onNewFrame, () => openRef(ref), ref.path);
    } finally {
      src.close();
    }
  }

  private readSymbols(src: ByteSource, elf: ReturnType<typeof parseElf>, ref: BinaryRef): SymbolTable {
    const own = concatColumns([functionSymbolColumns(src, elf), columnsOf(pltSymbols(src, elf))]);
    if (hasSymtab(elf)) return symbolTable(own, 'symtab');
    const dbg = findDebugFile({ roots: ref.debugRoots, path: ref.path, buildId: elf.buildId, debuglink: elf.debuglink });
    if (!dbg && ref.vdso) return symbolTable(concatColumns([own, columnsOf(vdsoHelperSymbols(src, elf, entriesOf(own)))]), 'dynsym');
    if (!dbg) return symbolTable(own, 'dynsym');
    try {
      return symbolTable(concatColumns([own, functionSymbolColumns(dbg.source, dbg.elf)]), dbg.path);
    } finally {
      dbg.source.close();
    }
  }

  /** Symbol-table searches so far, over all binaries. */
  get lookups(): number {
    let n = 0;
    for (const b of this.byKey.values()) n += b?.lookups ?? 0;
    return n;
  }
}

/** The bytes of a mapped file: from memory (the vDSO), else the first of its files that opens. */
function openRef(ref: BinaryRef): ByteSource | null {
  if (ref.bytes) return new BufferSource(ref.bytes());
  for (const f of ref.files()) {
    try {
      return new FileSource(f);
    } catch {
      /* next */
    }
  }
  return null;
}

/** The inode of a path, or undefined if it cannot be stat'ed. */
export function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}
