// What one process looks like to the symbolizer: its executable mappings, each with its
// parsed binary (or marked anonymous, for JIT code), and its JIT perf map. Taken once,
// when the process is first seen, and kept after it exits.
import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import type { Frame } from '../profile/model.js';
import { parseMaps, nsPidOf, startTimeOf, type Mapping } from './proc-maps.js';
import { inodeOf, type Binary, type BinaryStore } from './binary.js';
import { PerfMap } from './perf-map.js';
import { moduleName } from './frames.js';

export interface Region {
  start: number;
  end: number;
  offset: number;
  module: string;
  /** file: an ELF (or the vDSO); anon: anonymous memory, where JIT code lives; other: [uprobes] and such. */
  kind: 'file' | 'anon' | 'other';
  binary: Binary | null;
}

export class ProcessImage {
  /** Lookup address → frame, for this process. */
  readonly frames = new Map<number, Frame>();
  regions: Region[] = [];
  jit: PerfMap | null = null;
  /** When the maps were last read (ms), for re-reading them when an address is in none. */
  readAt = 0;
  startTime: string | undefined;

  constructor(
    readonly pid: number,
    private readonly proc: string,
  ) {}

  /** Read maps and parse the binaries; false when the process cannot be read (gone). */
  read(store: BinaryStore, host: string): boolean {
    this.readAt = Date.now();
    let maps: string;
    let stat: string;
    let status = '';
    try {
      stat = readFileSync(`${this.proc}/stat`, 'utf8');
      maps = readFileSync(`${this.proc}/maps`, 'utf8');
      status = readFileSync(`${this.proc}/status`, 'utf8');
    } catch {
      return false;
    }
    const start = startTimeOf(stat);
    if (this.startTime !== undefined && start !== this.startTime) return false; // pid reused
    this.startTime = start;
    const regions: Region[] = [];
    for (const m of parseMaps(maps)) {
      if (!m.perms.includes('x')) continue;
      regions.push(this.region(m, store, host));
    }
    this.regions = regions.sort((a, b) => a.start - b.start);
    if (!this.jit && regions.some((r) => r.kind === 'anon')) {
      const nspid = nsPidOf(status) ?? this.pid;
      const paths = [`${this.proc}/root/tmp/perf-${nspid}.map`];
      // After exit /proc/PID/root is gone; a process in our own pid namespace wrote to our /tmp.
      if (nspid === this.pid) paths.push(`${host}/tmp/perf-${this.pid}.map`);
      this.jit = new PerfMap(paths);
      this.jit.open();
    }
    return true;
  }

  private region(m: Mapping, store: BinaryStore, host: string): Region {
    const r: Region = { start: m.start, end: m.end, offset: m.offset, module: moduleName(m.path), kind: 'other', binary: null };
    const debugRoots = [`${this.proc}/root`, host];
    const special = m.path.startsWith('[') && !m.path.startsWith('[anon') && m.path !== '[heap]' && m.path !== '[stack]';
    if (m.path === '[vdso]') {
      r.kind = 'file';
      r.offset = 0;
      const mem = `${this.proc}/mem`;
      r.binary = store.get({ key: `[vdso]:${m.end - m.start}`, module: '[vdso]', path: '', files: () => [], bytes: () => readMemory(mem, m.start, m.end - m.start), debugRoots });
    } else if (special) {
      r.kind = 'other';
    } else if (!m.path || m.path.startsWith('[') || m.inode === 0) {
      r.kind = 'anon';
    } else {
      r.kind = 'file';
      const viaRoot = `${this.proc}/root${m.path}`;
      const viaMapFiles = `${this.proc}/map_files/${m.range}`;
      r.binary = store.get({
        key: `${m.dev}:${m.inode}`,
        module: r.module,
        path: m.path,
        // When the path now names another file (replaced, deleted): the mapped inode itself first.
        files: () => (!m.deleted && inodeOf(viaRoot) === m.inode ? [viaRoot, viaMapFiles] : [viaMapFiles, viaRoot]),
        debugRoots,
      });
    }
    return r;
  }

  find(addr: number): Region | undefined {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rs[mid].start <= addr) lo = mid + 1;
      else hi = mid;
    }
    const r = rs[lo - 1];
    return r && addr < r.end ? r : undefined;
  }

  close(): void {
    this.jit?.close();
  }
}

function readMemory(path: string, at: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, at);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
