// Kernel symbols from /proc/kallsyms, core kernel and modules (`[module]` column), read once
// per process. Only text symbols (t T w W) give names; the others end the text symbol before
// them. A symbol spans to the next one of its own region (core kernel, one module, bpf);
// an address past the last symbol of a region is unknown.
import { readFileSync } from 'node:fs';
import type { Frame } from '../profile/model.js';
import { AddressTable, aliasRank } from './address-table.js';
import { KERNEL_MODULE, unknownFrame } from './frames.js';

/**
 * Kernel addresses are kept as numbers relative to this base: x86_64 and arm64 kernel
 * addresses are at or above it, and the 52 bits below it are exact in a double.
 */
export const KERNEL_BASE = 0xfff0_0000_0000_0000n;

const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);
/** Text-typed markers that end text rather than name a function. */
const END_MARKER = /^(_etext|_einittext|_end|__\w*text_end)$/;

export class KernelSymbols {
  private readonly frames = new Map<number, Frame>();
  /** One frame object per function. */
  private readonly bySymbol: Frame[] = [];

  constructor(
    private readonly table: AddressTable,
    /** Per entry: '' core kernel, else the module (or `bpf`, `__builtin__ftrace`). */
    private readonly regions: ReadonlyArray<string>,
    /** Per entry: the first address of the run of its region it belongs to. */
    private readonly runStarts: Float64Array,
  ) {}

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

  private resolve(a: number): Frame {
    const t = this.table;
    const i = t.find(a);
    const name = i < 0 ? null : t.names[i];
    if (name !== null) return (this.bySymbol[i] ??= { name, kind: 'kernel', module: this.regions[i] || KERNEL_MODULE });
    // Unknown: relative to the start of the region run that precedes it.
    let lo = 0;
    let hi = t.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t.starts[mid] <= a) lo = mid + 1;
      else hi = mid;
    }
    const j = lo - 1;
    if (j < 0) return unknownFrame('[kernel]', BigInt(a) + KERNEL_BASE);
    const region = this.regions[j];
    return unknownFrame(region ? `[${region}]` : KERNEL_MODULE, a - this.runStarts[j]);
  }
}

export function parseKallsyms(text: string): KernelSymbols {
  const starts: number[] = [];
  const names: Array<string | null> = [];
  const regions: string[] = [];
  const ranks: number[] = [];
  let region = '';
  let regionText = '';
  for (let at = 0; at < text.length; ) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const line = text.slice(at, nl);
    at = nl + 1;
    // "ffffffff816da390 t do_sys_poll" or "ffffffffc0201000 t name\t[module]"
    if (line.length < 20 || line.charCodeAt(16) !== 32 || !line.startsWith('fff')) continue;
    const type = line[17];
    if (type === 'a' || type === 'A' || type === 'U') continue;
    const tab = line.indexOf('\t', 19);
    const name = tab < 0 ? line.slice(19) : line.slice(19, tab);
    if (tab >= 0) {
      const m = line.slice(tab + 1).trim();
      if (m !== regionText) (regionText = m), (region = m.startsWith('[') && m.endsWith(']') ? m.slice(1, -1) : m);
    } else region = '';
    const isText = TEXT_TYPES.has(type) && !(name.charCodeAt(0) === 95 && END_MARKER.test(name));
    starts.push(parseInt(line.slice(3, 16), 16));
    names.push(isText ? name : null);
    regions.push(region);
    ranks.push(isText ? aliasRank(name, type === 'T' ? 1 : type === 'W' || type === 'w' ? 2 : 0) : 1e9);
  }
  const order = Array.from(starts.keys()).sort((x, y) => starts[x] - starts[y] || ranks[x] - ranks[y]);
  const s: number[] = [];
  const n: Array<string | null> = [];
  const r: string[] = [];
  for (const i of order) {
    if (s.length && s[s.length - 1] === starts[i]) continue; // aliases: the best-ranked came first
    s.push(starts[i]);
    n.push(names[i]);
    r.push(regions[i]);
  }
  const count = s.length;
  const ends = new Float64Array(count);
  const runStarts = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    ends[i] = i + 1 < count && r[i + 1] === r[i] ? s[i + 1] : s[i] + 1;
    runStarts[i] = i > 0 && r[i - 1] === r[i] ? runStarts[i - 1] : s[i];
  }
  return new KernelSymbols(new AddressTable(Float64Array.from(s), ends, n), r, runStarts);
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
