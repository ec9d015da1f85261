// softirq's field tables: its key columns by --by (vector, cpu, or the kit's task keys),
// handler-time and delay statistics, the ksoftirqd share, slow runs, and softnet_stat.
import type { Field } from '../model/fields.js';
import { latencyStats, taskKeyFields, textField } from '../model/latency-fields.js';
import { SOFTNET_TITLE, taskByOf, type SoftirqBy, type SoftirqEvent, type SoftirqRow } from '../model/softirq.js';

const ns = <R>(name: string, header: string, value: (r: R) => number | null | undefined, width = 10): Field<R> => ({ name, header, kind: 'ns', align: 'right', width, value });
const count = <R>(name: string, header: string, value: (r: R) => number | null | undefined, width = 9): Field<R> => ({ name, header, kind: 'count', align: 'right', width, value });

function keyFields(by: SoftirqBy): Field<SoftirqRow>[] {
  const vector = textField<SoftirqRow>('vector', 'VECTOR', 9, (r) => r.vector);
  if (by === 'vector') return [vector];
  if (by === 'vector,cpu') return [vector, textField('cpu', 'CPU', 5, (r) => r.cpu)];
  return taskKeyFields<SoftirqRow>(taskByOf(by)!);
}

/** Runs and handler time (hist), raise→entry delay (hists.delay), share run in ksoftirqd. */
export function softirqFields(by: SoftirqBy): Field<SoftirqRow>[] {
  const run = (r: SoftirqRow) => latencyStats(r.hist);
  const delay = (r: SoftirqRow) => (r.hists?.delay?.count ? latencyStats(r.hists.delay) : undefined);
  return [
    ...keyFields(by),
    count('count', 'COUNT', (r) => r.hist.count),
    ns('total_ns', 'TOTAL', (r) => r.hist.sumNs),
    ns('avg_ns', 'AVG', (r) => run(r).avg),
    ns('p99_ns', 'P99', (r) => run(r).p99),
    ns('max_ns', 'MAX', (r) => run(r).max),
    ns('delay_p99_ns', 'DELAY-P99', (r) => delay(r)?.p99, 14),
    ns('delay_max_ns', 'DELAY-MAX', (r) => delay(r)?.max, 14),
    count('ksoftirqd_pct', 'KSOFTIRQD%', (r) => (r.hist.count ? Math.round((1000 * (r.counts?.ksoftirqd ?? 0)) / r.hist.count) / 10 : null), 10),
  ];
}

export const softirqEventFields: Field<SoftirqEvent>[] = [
  textField('cpu', 'CPU', 4, (e) => e.cpu),
  textField('vector', 'VECTOR', 8, (e) => e.vector),
  ns('handler_ns', 'HANDLER', (e) => e.handler_ns),
  ns('delay_ns', 'DELAY', (e) => e.delay_ns),
  textField('context', 'CONTEXT', 9, (e) => e.context),
  textField('pid', 'TID', 8, (e) => e.pid),
  textField('comm', 'COMM', 16, (e) => e.comm),
  textField('pod', 'POD', 24, (e) => e.pod),
];

/** softnet_stat's side table, per CPU. */
export const softnetFields: Field<Record<string, string | number | null>>[] = [
  textField('cpu', 'CPU', 5, (r) => r.cpu),
  count('processed', 'PROCESSED', (r) => r.processed as number, 10),
  count('dropped', 'DROPPED', (r) => r.dropped as number),
  count('time_squeeze', 'SQUEEZED', (r) => r.time_squeeze as number),
];

/** For report: softirq captures re-print with the fields of their --by. */
export const softirqReportFields = {
  fields: (meta: Record<string, unknown>) => softirqFields(meta.by as SoftirqBy) as unknown as Field<never>[],
  eventFields: softirqEventFields as unknown as Field<never>[],
  side: { softnet: { title: SOFTNET_TITLE, fields: softnetFields as unknown as Field<never>[] } },
  sortBy: 'total',
};
