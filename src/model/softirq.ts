// softirq's own model: rows (a latency row with the raise→entry delay histogram and the
// ksoftirqd count), slow runs (struct softirq_event of bpf/softirq.h, decoded, labelled).
import type { LatencyRow, TaskBy } from './latency.js';

/** --by values: the softirq's own keys, then the kit's task keys (the task it ran on top of). */
export const SOFTIRQ_BY = ['vector', 'cpu', 'vector,cpu', 'comm', 'pid', 'tid', 'cgroup', 'pod', 'container'] as const;
export type SoftirqBy = (typeof SOFTIRQ_BY)[number];

/** The task keys among them (keyed in the kernel by struct task_key). */
export function taskByOf(by: SoftirqBy): TaskBy | undefined {
  return by === 'vector' || by === 'vector,cpu' ? undefined : by;
}

/** hist: handler time (entry → exit); hists.delay: raise → entry; counts.ksoftirqd: runs in ksoftirqd. */
export interface SoftirqRow extends LatencyRow {
  vector?: string;
  hists: { delay: import('../histogram/loglinear.js').Histogram };
  counts: { ksoftirqd: number };
}

/** A run whose handler time or delay was at or over --threshold. */
export interface SoftirqEvent {
  ts_ns: number;
  cpu: number;
  vector: string;
  handler_ns: number;
  /** null: its raise was not seen (raised before attach). */
  delay_ns: number | null;
  context: 'ksoftirqd' | 'inline';
  /** The task it ran on top of: ksoftirqd itself for runs there. */
  pid: number;
  tgid: number;
  comm: string;
  cgroup_id: number;
  pod: string | null;
}

/** One CPU's /proc/net/softnet_stat counters over a window. */
export interface SoftnetRow {
  cpu: number;
  processed: number;
  dropped: number;
  time_squeeze: number;
}

/** Title of the softnet_stat side table. */
export const SOFTNET_TITLE = 'softnet_stat per CPU (NET_RX backlog)';
