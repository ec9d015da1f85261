// memreclaim's field tables: the key columns by --by, the kind, stall statistics, pages,
// order and flags seen most, the cgroup's memory; slow stalls; the per-cgroup memory table.
import type { Field } from '../model/fields.js';
import type { SideRow } from '../model/latency.js';
import { latencyStats, taskKeyFields, textField } from '../model/latency-fields.js';
import { MEMORY_TITLE, type MemreclaimBy, type MemreclaimEvent, type MemreclaimRow } from '../model/memreclaim.js';

const ns = <R>(name: string, header: string, value: (r: R) => number | null | undefined): Field<R> => ({ name, header, kind: 'ns', align: 'right', width: 10, value });
const count = <R>(name: string, header: string, value: (r: R) => number | null | undefined, width = 9): Field<R> => ({ name, header, kind: 'count', align: 'right', width, value });
const bytes = <R>(name: string, header: string, value: (r: R) => number | null | undefined): Field<R> => ({ name, header, kind: 'bytes', align: 'right', width: 8, value });

export function memreclaimFields(by: MemreclaimBy): Field<MemreclaimRow>[] {
  const s = (r: MemreclaimRow) => latencyStats(r.hist);
  const memory = by === 'cgroup' || by === 'pod' || by === 'container'
    ? [textField<MemreclaimRow>('limited_by', 'LIMITED-BY', 20, (r) => r.limited_by), bytes<MemreclaimRow>('limit_bytes', 'LIMIT', (r) => r.limit_bytes), bytes<MemreclaimRow>('usage_bytes', 'USAGE', (r) => r.usage_bytes), count<MemreclaimRow>('psi_some_avg10', 'PSI', (r) => r.psi_some_avg10, 6)]
    : [];
  return [
    ...taskKeyFields<MemreclaimRow>(by),
    textField('kind', 'KIND', 10, (r) => r.kind),
    count('count', 'STALLS', (r) => r.hist.count),
    ns('total_ns', 'TOTAL', (r) => r.hist.sumNs),
    ns('avg_ns', 'AVG', (r) => s(r).avg),
    ns('p99_ns', 'P99', (r) => s(r).p99),
    ns('max_ns', 'MAX', (r) => s(r).max),
    count('pages', 'PAGES', (r) => r.counts.pages),
    count('order', 'ORDER', (r) => r.order, 5),
    textField('gfp', 'GFP', 22, (r) => r.gfp),
    ...memory,
  ];
}

export const memreclaimEventFields: Field<MemreclaimEvent>[] = [
  textField('pid', 'TID', 8, (e) => e.pid),
  textField('comm', 'COMM', 16, (e) => e.comm),
  textField('kind', 'KIND', 10, (e) => e.kind),
  ns('stall_ns', 'STALL', (e) => e.stall_ns),
  count('pages', 'PAGES', (e) => e.pages),
  textField('pod', 'POD', 20, (e) => e.pod),
  // The innermost user frames, root first as in a folded stack: where the allocation came from.
  textField('user_frames', 'USER', 32, (e) => (e.user_stack.length ? e.user_stack.slice(0, 3).reverse().join(';') : null)),
  textField('cgroup', 'CGROUP', 30, (e) => e.cgroup),
];

export const memoryFields: Field<SideRow>[] = [
  textField('cgroup', 'CGROUP', 30, (r) => r.cgroup),
  textField('limited_by', 'LIMITED-BY', 24, (r) => r.limited_by),
  bytes('limit_bytes', 'LIMIT', (r) => r.limit_bytes as number | null),
  bytes('usage_bytes', 'USAGE', (r) => r.usage_bytes as number | null),
  count('max', 'MAX-HITS', (r) => r.max as number | null),
  count('oom_kill', 'OOM-KILL', (r) => r.oom_kill as number | null),
  count('pgscan', 'PGSCAN', (r) => r.pgscan as number | null),
  count('pgsteal', 'PGSTEAL', (r) => r.pgsteal as number | null),
  count('psi_some_avg10', 'PSI-SOME', (r) => r.psi_some_avg10 as number | null),
  textField('psi_source', 'PSI-FROM', 8, (r) => r.psi_source),
];

/** For report: memreclaim captures re-print with the fields of their --by. */
export const memreclaimReportFields = {
  fields: (meta: Record<string, unknown>) => memreclaimFields(meta.by as MemreclaimBy) as unknown as Field<never>[],
  eventFields: memreclaimEventFields as unknown as Field<never>[],
  side: { memory: { title: MEMORY_TITLE, fields: memoryFields as unknown as Field<never>[] } },
  sortBy: 'total',
};
