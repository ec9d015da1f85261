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

/** Sum the per-CPU copies of a struct hist (each copy is round_up(size, 8) bytes apart). */
export function sumPerCpuHist(value: Buffer, off: HistOffsets): Histogram {
  const stride = Math.ceil(off.size / 8) * 8;
  const h = emptyHistogram();
  for (let base = 0; base + off.size <= value.length; base += stride) {
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

/** Keeps the previous cumulative histogram per key, to report what each interval added. */
export class IntervalHistograms<K extends string = string> {
  private previous = new Map<K, Histogram>();

  /** Per-key histograms of the interval since the last call (keys with no new events left out). */
  delta(current: Map<K, Histogram>): Map<K, Histogram> {
    const out = new Map<K, Histogram>();
    for (const [k, h] of current) {
      const prev = this.previous.get(k);
      const d = prev ? subtract(h, prev) : h;
      if (d.count > 0) out.set(k, d);
    }
    this.previous = current;
    return out;
  }
}

/** Merge rows that share a key (several cgroups of one pod, say) by adding their histograms. */
export function mergeRowsByKey<R extends { key: string; hist: Histogram }>(rows: R[]): R[] {
  const out = new Map<string, R>();
  for (const r of rows) {
    const prev = out.get(r.key);
    out.set(r.key, prev ? { ...prev, hist: merge(prev.hist, r.hist) } : r);
  }
  return [...out.values()];
}
