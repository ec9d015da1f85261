// Reading struct hist (bpf/hist.h) out of a per-CPU map value, and turning cumulative
// per-key histograms into per-interval ones. Shared by every latency tool.
import { HIST_SLOTS, emptyHistogram, merge, subtract, type Histogram } from './loglinear.js';

export interface HistOffsets {
  slots: number;
  count: number;
  sumNs: number;
  maxNs: number;
  size: number;
}

/**
 * What a row measured: a latency tool's histogram (and for some tools more histograms and
 * counts), or a counter tool's counts alone (netdrop's packets and bytes) with their rates.
 */
export interface LatencyValues {
  /** The row's main histogram (COUNT and the statistics columns); absent in counter rows. */
  hist?: Histogram;
  /** Further histograms by name (softirq's raise→entry `delay`). */
  hists?: Record<string, Histogram>;
  /** Counts by name (softirq's runs in `ksoftirqd`, netdrop's `packets`). */
  counts?: Record<string, number>;
  /** Text fields of the map value (netdrop's device name), as the first CPU that set them has them. */
  texts?: Record<string, string>;
  /** Counts per second over the snapshot's window, for the counts the tool rates (netdrop). */
  rates?: Record<string, number>;
}

/** What a row counted: its histogram's entries, else its first count (a counter row's packets). */
export function rowCount(r: LatencyValues): number {
  if (r.hist) return r.hist.count;
  for (const n of Object.values(r.counts ?? {})) return n;
  return 0;
}

/** The row with per-second rates of the named counts over a window of `seconds`. */
export function withRates<R extends LatencyValues>(r: R, names: readonly string[], seconds: number): R {
  return { ...r, rates: Object.fromEntries(names.map((n) => [n, seconds > 0 ? (r.counts?.[n] ?? 0) / seconds : 0])) };
}

/** What histOffsets needs of a struct's layout (the loader's StructLayout has it). */
export interface HistLayout {
  size: number;
  field(name: string): { offset: number; type: { kind: string; nelems?: number } };
}

/** Offsets of struct hist from the object's BTF; throws if the C side drifted from loglinear.ts. */
export function histOffsets(layout: HistLayout): HistOffsets {
  const slots = layout.field('slots');
  if (slots.type.kind !== 'array' || slots.type.nelems !== HIST_SLOTS) {
    throw new Error(`struct hist has ${slots.type.kind === 'array' ? slots.type.nelems : '?'} slots, TypeScript expects ${HIST_SLOTS}`);
  }
  return {
    slots: slots.offset,
    count: layout.field('count').offset,
    sumNs: layout.field('sum_ns').offset,
    maxNs: layout.field('max_ns').offset,
    size: layout.size,
  };
}

function u64(b: Buffer, o: number): number {
  return b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 0x100000000;
}

/**
 * Sum the per-CPU copies of a struct hist found `at` bytes into a map value struct of
 * `size` bytes (each CPU's copy is round_up(size, 8) bytes apart; by default the value is
 * the struct hist itself).
 */
export function sumPerCpuHist(value: Buffer, off: HistOffsets, at = 0, size = off.size): Histogram {
  const stride = Math.ceil(size / 8) * 8;
  const h = emptyHistogram();
  for (let base = at; base - at + size <= value.length; base += stride) {
    h.count += u64(value, base + off.count);
    h.sumNs += u64(value, base + off.sumNs);
    h.maxNs = Math.max(h.maxNs, u64(value, base + off.maxNs));
    for (let i = 0, o = base + off.slots; i < HIST_SLOTS; i++, o += 8) {
      // Most slots are zero: skip the high word read for them.
      const lo = value.readUInt32LE(o);
      const hi = value.readUInt32LE(o + 4);
      if (lo || hi) h.slots[i] += lo + hi * 0x100000000;
    }
  }
  return h;
}

/** Sum the per-CPU copies of a u64 found `at` bytes into a value struct of `size` bytes. */
export function sumPerCpuU64(value: Buffer, at: number, size: number): number {
  const stride = Math.ceil(size / 8) * 8;
  let n = 0;
  for (let base = 0; base + size <= value.length; base += stride) n += u64(value, base + at);
  return n;
}

function mapValues<T>(a: Record<string, T> | undefined, b: Record<string, T> | undefined, f: (x: T, y: T | undefined) => T): Record<string, T> | undefined {
  if (!a) return undefined;
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, f(v, b?.[k])]));
}

/** What a row gained since `prev` (its histograms and counts), or undefined if nothing. */
export function rowDelta<R extends LatencyValues>(cur: R, prev: R | undefined): R | undefined {
  if (!prev) return hasValues(cur) ? cur : undefined;
  const d: R = {
    ...cur,
    hist: cur.hist && prev.hist ? subtract(cur.hist, prev.hist) : cur.hist,
    hists: mapValues(cur.hists, prev.hists, (h, p) => (p ? subtract(h, p) : h)),
    counts: mapValues(cur.counts, prev.counts, (n, p) => n - (p ?? 0)),
  };
  return hasValues(d) ? d : undefined;
}

/** Whether a row measured anything: a histogram entry or a count. */
export function hasValues(r: LatencyValues): boolean {
  return (r.hist?.count ?? 0) > 0 || Object.values(r.hists ?? {}).some((h) => h.count > 0) || Object.values(r.counts ?? {}).some((n) => n > 0);
}

/** Keeps the previous cumulative row per key, to report what each interval added. */
export class IntervalRows<R extends LatencyValues & { key: string }> {
  private previous = new Map<string, R>();

  /** Rows of the interval since the last call (keys with nothing new left out). */
  delta(current: R[]): R[] {
    const out: R[] = [];
    for (const r of current) {
      const d = rowDelta(r, this.previous.get(r.key));
      if (d) out.push(d);
    }
    this.previous = new Map(current.map((r) => [r.key, r]));
    return out;
  }
}

/** Merge rows that share a key (several cgroups of one pod, say) by adding their histograms and counts. */
export function mergeRowsByKey<R extends LatencyValues & { key: string }>(rows: R[]): R[] {
  const out = new Map<string, R>();
  for (const r of rows) {
    const prev = out.get(r.key);
    out.set(r.key, prev ? {
      ...prev,
      hist: prev.hist && r.hist ? merge(prev.hist, r.hist) : prev.hist ?? r.hist,
      hists: mapValues(prev.hists, r.hists, (h, o) => (o ? merge(h, o) : h)),
      counts: mapValues(prev.counts, r.counts, (n, o) => n + (o ?? 0)),
    } : r);
  }
  return [...out.values()];
}
