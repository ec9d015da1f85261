// Log-linear histogram, the user-space twin of bpf/hist.h (same slot mapping; the
// integration test test/integration/hist.test.ts checks the two agree value by value).
// Below HIST_SUBS every value has its own slot; above, each power of two is split in
// HIST_SUBS equal sub-buckets.

export const HIST_SUB_BITS = 3;
export const HIST_SUBS = 1 << HIST_SUB_BITS;
export const HIST_MAX_EXP = 40;
export const HIST_SLOTS = (HIST_MAX_EXP - HIST_SUB_BITS + 2) * HIST_SUBS;

/** A latency histogram in nanoseconds: slot counts plus exact count, sum and max. */
export interface Histogram {
  slots: number[];
  count: number;
  sumNs: number;
  maxNs: number;
}

export function emptyHistogram(): Histogram {
  return { slots: new Array<number>(HIST_SLOTS).fill(0), count: 0, sumNs: 0, maxNs: 0 };
}

function log2floor(v: number): number {
  // Exact for integers up to 2^53; Math.log2 can round up just below a power of two.
  let e = Math.floor(Math.log2(v));
  if (2 ** e > v) e--;
  else if (2 ** (e + 1) <= v) e++;
  return e;
}

/** The slot a value (ns) falls in, exactly as hist_slot() in bpf/common.h. */
export function slotOf(v: number): number {
  if (v < HIST_SUBS) return Math.max(0, Math.floor(v));
  const e = log2floor(v);
  if (e > HIST_MAX_EXP) return HIST_SLOTS - 1;
  const sub = Math.floor(v / 2 ** (e - HIST_SUB_BITS)) & (HIST_SUBS - 1);
  return (e - HIST_SUB_BITS + 1) * HIST_SUBS + sub;
}

/** Smallest value that falls in a slot. */
export function slotLow(slot: number): number {
  if (slot < HIST_SUBS) return slot;
  const e = Math.floor(slot / HIST_SUBS) + HIST_SUB_BITS - 1;
  const sub = slot % HIST_SUBS;
  return 2 ** e + sub * 2 ** (e - HIST_SUB_BITS);
}

/** One past the largest value of a slot (the last slot also holds everything above). */
export function slotHigh(slot: number): number {
  return slot < HIST_SUBS ? slot + 1 : slotLow(slot + 1);
}

export function addValue(h: Histogram, v: number): void {
  h.slots[slotOf(v)]++;
  h.count++;
  h.sumNs += v;
  if (v > h.maxNs) h.maxNs = v;
}

/** a + b into a new histogram. */
export function merge(a: Histogram, b: Histogram): Histogram {
  return {
    slots: a.slots.map((n, i) => n + (b.slots[i] ?? 0)),
    count: a.count + b.count,
    sumNs: a.sumNs + b.sumNs,
    maxNs: Math.max(a.maxNs, b.maxNs),
  };
}

/**
 * a − b for cumulative histograms read at two times (b earlier). Max is not
 * subtractable: the interval's max is taken as the top of its highest non-empty slot,
 * capped by the cumulative max.
 */
export function subtract(a: Histogram, b: Histogram): Histogram {
  const slots = a.slots.map((n, i) => Math.max(0, n - (b.slots[i] ?? 0)));
  let top = -1;
  for (let i = slots.length - 1; i >= 0; i--) if (slots[i] > 0) { top = i; break; }
  const maxNs = top < 0 ? 0 : a.maxNs > b.maxNs ? a.maxNs : Math.min(a.maxNs, slotHigh(top) - 1);
  return { slots, count: Math.max(0, a.count - b.count), sumNs: Math.max(0, a.sumNs - b.sumNs), maxNs };
}

/**
 * The q-quantile (0 < q ≤ 1) in ns: the slot holding the ceil(q·n)-th smallest value,
 * interpolated linearly inside the slot, and never above the exact max.
 */
export function percentile(h: Histogram, q: number): number {
  const total = h.slots.reduce((s, n) => s + n, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < h.slots.length; i++) {
    const n = h.slots[i];
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lo = slotLow(i);
      const hi = slotHigh(i);
      if (hi - lo <= 1) return Math.min(lo, h.maxNs || lo);
      const v = lo + ((rank - seen - 0.5) / n) * (hi - lo);
      return h.maxNs ? Math.min(v, h.maxNs) : v;
    }
    seen += n;
  }
  return h.maxNs;
}

export function average(h: Histogram): number {
  return h.count ? h.sumNs / h.count : 0;
}

/** Non-empty slots as [low_ns, count] pairs: the compact form used in JSON and captures. */
export function sparseSlots(h: Histogram): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  h.slots.forEach((n, i) => { if (n) out.push([slotLow(i), n]); });
  return out;
}

export function fromSparse(pairs: Array<[number, number]>, count: number, sumNs: number, maxNs: number): Histogram {
  const h = emptyHistogram();
  for (const [low, n] of pairs) h.slots[slotOf(low)] += n;
  return { ...h, count, sumNs, maxNs };
}
