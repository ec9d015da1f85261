// What one process looks like to the symbolizer: its executable mappings, each with its
// parsed binary (or marked anonymous, for JIT code), its JIT perf map, and which JIT
// runtime it is. Taken when the process is first seen, re-read on a miss while it lives,
// and kept after it exits.
import { readFileSync, readlinkSync } from 'node:fs';
import type { Frame } from '../model/stack.js';
import { parseMaps, nsPidOf, startTimeOf, type Mapping } from './proc-maps.js';
import { inodeOf, type Binary, type BinaryStore } from './binary.js';
import { PerfMap } from './perf-map.js';
import { moduleName } from './frames.js';
import { jitRuntimeOf, type JitRuntime } from './runtime.js';
import { ownVdso, readMemory } from './vdso.js';

export interface Region {
  start: number;
  end: number;
  offset: number;
  module: string;
  /**
   * file: an ELF (or the vDSO); anon: anonymous executable memory, where JIT code lives;
   * reserved: an inaccessible anonymous reservation of a JIT runtime, where it maps code
   * later (V8's code range): code sampled there was mapped after this snapshot;
   * other: [uprobes] and such.
   */
  kind: 'file' | 'anon' | 'reserved' | 'other';
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
  /** The JIT runtime, told from the executable and libraries (runtime.ts). */
  runtime: JitRuntime | undefined;

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
    const mappings = parseMaps(maps);
    for (const m of mappings) {
      if (!m.perms.includes('x')) continue;
      regions.push(this.region(m, store, host));
    }
    let exe: string | undefined;
    try {
      exe = readlinkSync(`${this.proc}/exe`);
    } catch { /* a kernel thread, or gone */ }
    this.runtime = jitRuntimeOf(exe, new Set(regions.map((r) => r.module)));
    if (this.runtime) {
      for (const m of mappings) {
        if (m.perms.startsWith('---') && m.inode === 0 && !m.path) regions.push({ start: m.start, end: m.end, offset: 0, module: moduleName(''), kind: 'reserved', binary: null });
      }
    }
    this.regions = regions.sort((a, b) => a.start - b.start);
    if (!this.jit && regions.some((r) => r.kind === 'anon' || r.kind === 'reserved')) {
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
      // One image per kernel: ours, unless this one differs in size (a 32-bit process's).
      const self = ownVdso();
      const mine = self !== null && self.length === m.end - m.start;
      const mem = `${this.proc}/mem`;
      r.binary = store.get({
        key: mine ? '[vdso]' : `[vdso]:${this.pid}`,
        module: '[vdso]',
        path: '',
        files: () => [],
        bytes: () => (mine ? self : readMemory(mem, m.start, m.end - m.start)),
        debugRoots,
        vdso: true,
      });
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
