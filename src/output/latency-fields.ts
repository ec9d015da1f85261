// Field tables of the latency tools: key columns chosen by --by, then the statistics of
// each row's histogram. Statistics are computed once per row and cached.
import type { Field } from './fields.js';
import { average, percentile, type Histogram } from '../histogram/loglinear.js';

export interface LatencyStats {
  count: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const statsCache = new WeakMap<Histogram, LatencyStats>();

export function latencyStats(h: Histogram): LatencyStats {
  let s = statsCache.get(h);
  if (!s) {
    s = { count: h.count, avg: average(h), p50: percentile(h, 0.5), p90: percentile(h, 0.9), p99: percentile(h, 0.99), max: h.maxNs };
    statsCache.set(h, s);
  }
  return s;
}

export interface HistRow {
  hist: Histogram;
}

/** COUNT AVG P50 P90 P99 MAX, for any row with a histogram. */
export function statFields<R extends HistRow>(): Field<R>[] {
  const stat = (name: string, header: string, pick: (s: LatencyStats) => number, kind: 'count' | 'ns' = 'ns'): Field<R> => ({
    name, header, kind, align: 'right', width: kind === 'count' ? 9 : 10, value: (r) => pick(latencyStats(r.hist)),
  });
  return [
    stat('count', 'COUNT', (s) => s.count, 'count'),
    stat('avg_ns', 'AVG', (s) => s.avg),
    stat('p50_ns', 'P50', (s) => s.p50),
    stat('p90_ns', 'P90', (s) => s.p90),
    stat('p99_ns', 'P99', (s) => s.p99),
    stat('max_ns', 'MAX', (s) => s.max),
  ];
}

export function textField<R>(name: string, header: string, width: number, value: (r: R) => string | number | undefined): Field<R> {
  return { name, header, kind: 'text', align: 'left', width, value };
}
