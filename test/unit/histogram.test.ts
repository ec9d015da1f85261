import { describe, it, expect } from 'vitest';
import {
  slotOf, slotLow, slotHigh, percentile, emptyHistogram, addValue, merge, subtract,
  HIST_SLOTS, HIST_SUBS, sparseSlots, fromSparse,
} from '../../src/histogram/loglinear.js';
import { rng } from '../helpers/rng.js';


describe('slotOf', () => {
  it('puts every value inside [slotLow, slotHigh) of its slot', () => {
    const r = rng(1);
    for (let i = 0; i < 20000; i++) {
      const v = Math.floor(2 ** (r() * 40));
      const s = slotOf(v);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(HIST_SLOTS);
      expect(v).toBeGreaterThanOrEqual(slotLow(s));
      expect(v).toBeLessThan(slotHigh(s));
    }
  });

  it('is monotonic and contiguous across slots', () => {
    for (let s = 0; s < HIST_SLOTS - 1; s++) {
      expect(slotHigh(s)).toBe(slotLow(s + 1));
      expect(slotOf(slotLow(s))).toBe(s);
      expect(slotOf(slotHigh(s) - 1)).toBe(s);
    }
  });

  it('keeps small values exact and slots no wider than 1/8 of their low bound above', () => {
    for (let v = 0; v < HIST_SUBS; v++) expect(slotOf(v)).toBe(v);
    for (let s = HIST_SUBS; s < HIST_SLOTS - 1; s++) {
      expect((slotHigh(s) - slotLow(s)) / slotLow(s)).toBeLessThanOrEqual(1 / HIST_SUBS);
    }
  });

  it('clamps huge values into the last slot', () => {
    expect(slotOf(2 ** 50)).toBe(HIST_SLOTS - 1);
    expect(slotOf(Number.MAX_SAFE_INTEGER)).toBe(HIST_SLOTS - 1);
  });
});

describe('percentile', () => {
  function bruteForce(values: number[], q: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
  }

  for (const [name, gen] of [
    ['log-uniform', (r: () => number) => Math.floor(2 ** (8 + r() * 20))],
    ['bimodal', (r: () => number) => (r() < 0.8 ? 20_000 + r() * 5_000 : 4_000_000 + r() * 4_000_000)],
    ['exponential', (r: () => number) => Math.floor(-Math.log(1 - r()) * 50_000) + 1],
  ] as const) {
    it(`is within 10% of the exact quantile (${name})`, () => {
      const r = rng(name.length * 7919);
      for (let trial = 0; trial < 20; trial++) {
        const values = Array.from({ length: 50 + Math.floor(r() * 5000) }, () => gen(r));
        const h = emptyHistogram();
        values.forEach((v) => addValue(h, v));
        for (const q of [0.5, 0.9, 0.99]) {
          const exact = bruteForce(values, q);
          const est = percentile(h, q);
          expect(Math.abs(est - exact) / exact).toBeLessThanOrEqual(0.1);
        }
      }
    });
  }

  it('is 0 on an empty histogram and never exceeds the max', () => {
    expect(percentile(emptyHistogram(), 0.99)).toBe(0);
    const h = emptyHistogram();
    addValue(h, 1000);
    expect(percentile(h, 0.99)).toBeLessThanOrEqual(1000);
  });
});

describe('merge, subtract, sparse', () => {
  it('round-trips', () => {
    const r = rng(42);
    const a = emptyHistogram();
    const b = emptyHistogram();
    for (let i = 0; i < 1000; i++) addValue(a, Math.floor(r() * 1e7));
    for (let i = 0; i < 500; i++) addValue(b, Math.floor(r() * 1e5));
    const m = merge(a, b);
    expect(m.count).toBe(1500);
    const back = subtract(m, a);
    expect(back.slots).toEqual(b.slots);
    expect(back.count).toBe(b.count);
    expect(back.sumNs).toBe(b.sumNs);
    expect(back.maxNs).toBeLessThan(slotHigh(slotOf(b.maxNs)));
    const sp = fromSparse(sparseSlots(m), m.count, m.sumNs, m.maxNs);
    expect(sp).toEqual(m);
  });
});
