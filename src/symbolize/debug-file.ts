// Separate debug info for stripped binaries, where GDB looks for it:
//   <root>/usr/lib/debug/.build-id/xx/yyyy.debug        (by NT_GNU_BUILD_ID)
//   <dir>/<debuglink>, <dir>/.debug/<debuglink>, <root>/usr/lib/debug/<dir>/<debuglink>
// in each root (the process's own / first, then the host's). A candidate counts when it has a
// .symtab and its build-id matches (or, without build-ids, its CRC32 matches the debuglink's).
import { dirname, posix } from 'node:path';
import { FileSource, type ByteSource } from './byte-source.js';
import { parseElf, hasSymtab, type ElfFile } from './elf-reader.js';

export interface DebugLookup {
  /** Roots to look in, in order; '' is the host's /. */
  roots: string[];
  /** The binary's path as its process sees it (from /proc/PID/maps). */
  path: string;
  buildId?: string;
  debuglink?: { file: string; crc: number };
}

export interface DebugCandidate {
  path: string;
  via: 'build-id' | 'debuglink';
}

export function debugFileCandidates(l: DebugLookup): DebugCandidate[] {
  const out: DebugCandidate[] = [];
  const roots = l.roots.map((r) => r.replace(/\/+$/, ''));
  if (l.buildId && l.buildId.length > 2) {
    const rel = `/usr/lib/debug/.build-id/${l.buildId.slice(0, 2)}/${l.buildId.slice(2)}.debug`;
    for (const r of roots) out.push({ path: r + rel, via: 'build-id' });
  }
  if (l.debuglink) {
    const dir = dirname(l.path);
    const name = l.debuglink.file;
    for (const r of roots) {
      for (const p of [posix.join(dir, name), posix.join(dir, '.debug', name), posix.join('/usr/lib/debug', dir, name)]) {
        if (p !== l.path) out.push({ path: r + p, via: 'debuglink' });
      }
    }
  }
  return out;
}

let crcTable: Int32Array | undefined;

/** CRC32 as .gnu_debuglink records it (zlib's). */
export function crc32(src: ByteSource): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const t = crcTable;
  let crc = -1;
  const chunk = 1 << 20;
  for (let off = 0; off < src.size; off += chunk) {
    const b = src.read(off, chunk);
    for (let i = 0; i < b.length; i++) crc = t[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

export interface DebugFile {
  path: string;
  source: FileSource;
  elf: ElfFile;
}

/** The first candidate that is really this binary's debug file, opened; null if none is. */
export function findDebugFile(l: DebugLookup): DebugFile | null {
  for (const c of debugFileCandidates(l)) {
    let src: FileSource;
    try {
      src = new FileSource(c.path);
    } catch {
      continue;
    }
    try {
      const elf = parseElf(src);
      let ok = hasSymtab(elf);
      if (ok && l.buildId && elf.buildId) ok = l.buildId === elf.buildId;
      else if (ok && c.via === 'debuglink' && l.debuglink) ok = crc32(src) === l.debuglink.crc;
      else if (ok && c.via === 'build-id') ok = elf.buildId === undefined || elf.buildId === l.buildId;
      if (ok) return { path: c.path, source: src, elf };
    } catch {
      /* not an ELF we can read */
    }
    src.close();
  }
  return null;
}
