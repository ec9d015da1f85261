// Kernel symbols from /proc/kallsyms, core kernel and modules (`[module]` column), read once
// per process. Only text symbols (t T w W) give names; the others end the text symbol before
// them. A symbol spans to the next one of its own region (core kernel, one module, bpf);
// an address past the last symbol of a region is unknown.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Frame } from '../model/stack.js';
import { AddressTable, aliasRank, upperBound } from './address-table.js';
import { KERNEL_MODULE, unknownFrame } from './frames.js';

/**
 * Kernel addresses are kept as numbers relative to this base: x86_64 and arm64 kernel
 * addresses are at or above it, and the 52 bits below it are exact in a double.
 */
export const KERNEL_BASE = 0xfff0_0000_0000_0000n;

const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);
/** Data, bss and read-only data: where static locks live. */
const DATA_TYPES = new Set(['d', 'D', 'b', 'B', 'r', 'R']);
/** Text-typed markers that end text rather than name a function. */
const END_MARKER = /^(_etext|_einittext|_end|__\w*text_end)$/;

/** The tracer's own frames at the leaf end of a kernel stack (the BPF program, unnamed without bpf_jit_kallsyms, and the tracepoint's glue). */
const TRACER_FRAME = /^(bpf_prog_|bpf_trace_run\d|__bpf_trace_|__traceiter_|trace_call_bpf|\[unknown\])/;

/** Whether a kernel frame is the tracer's own (see dropTracerFrames). */
export function isTracerFrame(name: string): boolean {
  return TRACER_FRAME.test(name);
}

/** A kernel stack (leaf first) without the tracer's frames at its leaf end. */
export function dropTracerFrames(leafFirst: string[]): string[] {
  let i = 0;
  while (i < leafFirst.length && TRACER_FRAME.test(leafFirst[i])) i++;
  return leafFirst.slice(i);
}

export class KernelSymbols {
  private readonly frames = new Map<number, Frame>();
  /** One frame object per function. */
  private readonly bySymbol: Frame[] = [];

  constructor(
    private readonly table: AddressTable,
    /** Per entry: its name (only text symbols have one), made when first asked for. */
    private readonly nameOf: (i: number) => string | null,
    /** Per entry: '' core kernel, else the module (or `bpf`, `__builtin__ftrace`). */
    private readonly regionOf: (i: number) => string,
    /** Per entry: the first address of the run of its region it belongs to. */
    private readonly runStarts: Float64Array,
    /** Per entry: the name of a core-kernel data symbol (d, D, b, B, r, R), else null. */
    private readonly dataNameOf: (i: number) => string | null = () => null,
  ) {}

  /** "variable+0xoff" of a static kernel object (a lock in .data or .bss), or null. */
  dataOffset(addr: bigint): string | null {
    if (addr <= KERNEL_BASE) return null;
    const a = Number(addr - KERNEL_BASE);
    const i = this.table.find(a);
    const name = i < 0 ? null : this.dataNameOf(i);
    if (name === null) return null;
    const off = a - this.table.starts[i];
    return off ? `${name}+0x${off.toString(16)}` : name;
  }

  /** Distinct addresses looked up so far (in this process). */
  get looked(): number {
    return this.frames.size;
  }

  /** Symbols with an address (0 when kallsyms hides addresses from us). */
  get size(): number {
    return this.table.length;
  }

  /** The frame at addr; at addr - 1 for a return address. */
  frame(addr: bigint, returnAddress = false): Frame {
    if (addr < KERNEL_BASE) return unknownFrame('[kernel]', returnAddress ? addr - 1n : addr);
    const a = Number(addr - KERNEL_BASE) - (returnAddress ? 1 : 0);
    const cached = this.frames.get(a);
    if (cached) return cached;
    const f = this.resolve(a);
    this.frames.set(a, f);
    return f;
  }

  /**
   * "function+0xoff" of a return address (a drop location: the instruction after the call), or
   * null when no symbol covers it. The function is the one holding the call (addr - 1).
   */
  functionOffset(addr: bigint): string | null {
    if (addr <= KERNEL_BASE) return null;
    const a = Number(addr - KERNEL_BASE);
    const i = this.table.find(a - 1);
    const name = i < 0 ? null : this.nameOf(i);
    return name === null ? null : `${name}+0x${(a - this.table.starts[i]).toString(16)}`;
  }

  private resolve(a: number): Frame {
    const t = this.table;
    const i = t.find(a);
    const name = i < 0 ? null : this.nameOf(i);
    if (name !== null) return (this.bySymbol[i] ??= { name, kind: 'kernel', module: this.regionOf(i) || KERNEL_MODULE });
    // Unknown: relative to the start of the region run that precedes it.
    const j = upperBound(t.starts, a) - 1;
    if (j < 0) return unknownFrame('[kernel]', BigInt(a) + KERNEL_BASE);
    const region = this.regionOf(j);
    return unknownFrame(region ? `[${region}]` : KERNEL_MODULE, a - this.runStarts[j]);
  }
}

const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) HEX['0123456789abcdef'.charCodeAt(c)] = c;

/**
 * Parsed in one pass over the text, by character codes, keeping offsets rather than
 * strings: a node has over 100k kernel symbols and a run looks up a few hundred, so
 * names are cut out of the text only when one is asked for.
 */
export function parseKallsyms(text: string): KernelSymbols {
  const cap = Math.ceil(text.length / 20) + 1; // a line is at least 20 characters
  const starts = new Float64Array(cap);
  const nameAt = new Int32Array(cap);
  const nameEnd = new Int32Array(cap);
  const types = new Uint8Array(cap);
  const regionIx = new Int32Array(cap);
  const regionNames: string[] = [''];
  let regionText = '';
  let region = 0;
  let n = 0;
  for (let at = 0; at < text.length; ) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const line = at;
    at = nl + 1;
    // "ffffffff816da390 t do_sys_poll" or "ffffffffc0201000 t name\t[module]"
    if (nl - line < 20 || text.charCodeAt(line + 16) !== 32 || !text.startsWith('fff', line)) continue;
    const type = text.charCodeAt(line + 17);
    if (type === 97 /* a */ || type === 65 /* A */ || type === 85 /* U */) continue;
    let v = 0;
    let ok = true;
    for (let c = line + 3; c < line + 16; c++) {
      const d = HEX[text.charCodeAt(c)] ?? -1;
      if (d < 0) ok = false;
      v = v * 16 + d;
    }
    if (!ok) continue;
    let tab = -1; // within the line: indexOf would run on to the modules, far below
    for (let c = line + 19; c < nl; c++) {
      if (text.charCodeAt(c) === 9) {
        tab = c;
        break;
      }
    }
    if (tab >= 0) {
      const m = text.slice(tab + 1, nl).trim();
      if (m !== regionText) {
        regionText = m;
        const name = m.startsWith('[') && m.endsWith(']') ? m.slice(1, -1) : m;
        region = regionNames.indexOf(name);
        if (region < 0) region = regionNames.push(name) - 1;
      }
    } else region = 0;
    starts[n] = v;
    nameAt[n] = line + 19;
    nameEnd[n] = tab < 0 ? nl : tab;
    types[n] = type;
    regionIx[n] = region;
    n++;
  }
  const name = (i: number) => text.slice(nameAt[i], nameEnd[i]);
  const isText = (i: number) => TEXT_TYPES.has(String.fromCharCode(types[i])) && !(text.charCodeAt(nameAt[i]) === 95 && END_MARKER.test(name(i)));
  const rank = (i: number) => {
    if (!isText(i)) return 1e9;
    const t = String.fromCharCode(types[i]);
    return aliasRank(name(i), t === 'T' ? 1 : t === 'W' || t === 'w' ? 2 : 0);
  };
  // /proc/kallsyms is sorted by address (modules too, on the kernels seen): sort only if not.
  let order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 1; i < n; i++) {
    if (starts[i] < starts[i - 1]) {
      order = order.sort((x, y) => starts[x] - starts[y] || x - y);
      break;
    }
  }
  // One entry per address: among aliases, the best-ranked.
  const keep: number[] = [];
  for (let k = 0; k < n; ) {
    let best = order[k];
    let j = k + 1;
    if (j < n && starts[order[j]] === starts[best]) {
      let bestRank = rank(best);
      for (; j < n && starts[order[j]] === starts[best]; j++) {
        const r = rank(order[j]);
        if (r < bestRank) (best = order[j]), (bestRank = r);
      }
    }
    keep.push(best);
    k = j;
  }
  const count = keep.length;
  const s = new Float64Array(count);
  const regions = new Int32Array(count);
  for (let i = 0; i < count; i++) (s[i] = starts[keep[i]]), (regions[i] = regionIx[keep[i]]);
  const ends = new Float64Array(count);
  const runStarts = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    ends[i] = i + 1 < count && regions[i + 1] === regions[i] ? s[i + 1] : s[i] + 1;
    runStarts[i] = i > 0 && regions[i - 1] === regions[i] ? runStarts[i - 1] : s[i];
  }
  return new KernelSymbols(
    new AddressTable(s, ends, () => null), // names come from nameOf below
    (i) => (isText(keep[i]) ? name(keep[i]) : null),
    (i) => regionNames[regions[i]],
    runStarts,
    (i) => (DATA_TYPES.has(String.fromCharCode(types[keep[i]])) && regions[i] === 0 ? name(keep[i]) : null),
  );
}

const loaded = new Map<string, KernelSymbols>();

/** The kernel's symbols, read from `path` the first time and cached for the process. */
export function loadKallsyms(path = '/proc/kallsyms'): KernelSymbols {
  let k = loaded.get(path);
  if (!k) {
    let text = '';
    try {
      text = readFileSync(path, 'latin1');
    } catch {
      /* no kallsyms (or not allowed): every kernel frame is unknown */
    }
    k = parseKallsyms(text);
    loaded.set(path, k);
  }
  return k;
}

// A worker that reads a file in one go and hands it over in one message.
const READER = `const { parentPort, workerData } = require('node:worker_threads');
let text = null;
try { text = require('node:fs').readFileSync(workerData, 'latin1'); } catch {}
parentPort.postMessage(text);`;

/**
 * The same, without blocking the event loop for the read: the kernel writes
 * /proc/kallsyms out a page per read(2), some 1300 of them and 100-300 ms on a busy node,
 * so a worker thread reads it while sampling goes on, and hands the text over in one
 * message (a pipe would take an event-loop turn per 64 KiB). Only the parse blocks.
 */
export function loadKallsymsAsync(path = '/proc/kallsyms'): Promise<KernelSymbols> {
  const k = loaded.get(path);
  if (k) return Promise.resolve(k);
  return new Promise((resolve) => {
    let w: Worker;
    try {
      w = new Worker(READER, { eval: true, workerData: path });
    } catch {
      return resolve(loadKallsyms(path));
    }
    w.unref();
    w.once('message', (text: string | null) => {
      void w.terminate();
      resolve(loaded.get(path) ?? loaded.set(path, parseKallsyms(text ?? '')).get(path)!);
    });
    w.once('error', () => resolve(loadKallsyms(path)));
  });
}
