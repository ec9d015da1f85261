// Field tables of the latency tools: key columns chosen by --by, then the statistics of
// each row's histogram. Statistics are computed once per row and cached.
import type { Field } from './fields.js';
import { average, percentile, type Histogram } from '../histogram/loglinear.js';
import type { TaskBy, TaskKeyRow } from './latency.js';

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

export function textField<R>(name: string, header: string, width: number, value: (r: R) => string | number | null | undefined): Field<R> {
  return { name, header, kind: 'text', align: 'left', width, value };
}

/** The key columns of a task-keyed row, per --by. */
export function taskKeyFields<R extends TaskKeyRow>(by: TaskBy): Field<R>[] {
  switch (by) {
    case 'pid': return [textField('pid', 'PID', 8, (r) => r.pid), textField('comm', 'COMM', 16, (r) => r.comm)];
    case 'tid': return [textField('tid', 'TID', 8, (r) => r.tid), textField('comm', 'COMM', 16, (r) => r.comm)];
    case 'cpu': return [textField('cpu', 'CPU', 5, (r) => r.cpu)];
    case 'cgroup': return [textField('cgroup_id', 'CGROUP-ID', 10, (r) => r.cgroup_id), textField('cgroup', 'CGROUP', 30, (r) => r.cgroup)];
    case 'pod': return [textField('namespace', 'NAMESPACE', 12, (r) => r.namespace), textField('pod', 'POD', 24, (r) => r.pod)];
    case 'container':
      return [
        textField('namespace', 'NAMESPACE', 12, (r) => r.namespace),
        textField('pod', 'POD', 20, (r) => r.pod),
        textField('container', 'CONTAINER', 14, (r) => r.container),
        textField('container_id', 'ID', 12, (r) => r.container_id),
      ];
    default: return [textField('comm', 'COMM', 16, (r) => r.comm)];
  }
}
