// memreclaim's own model: rows (a latency row per key and kind of stall, with the pages
// reclaimed, the order and GFP flags seen most, and the cgroup's memory gauges), slow
// stalls with their stacks, and the per-cgroup memory counters beside the rows.
import type { LatencyRow, TaskBy } from './latency.js';

/** --by values: the kit's task keys without cpu (a stall belongs to a task); cgroup first. */
export const MEMRECLAIM_BY = ['cgroup', 'pod', 'container', 'comm', 'pid', 'tid'] as const satisfies readonly TaskBy[];
export type MemreclaimBy = (typeof MEMRECLAIM_BY)[number];

/** enum memreclaim_kind of bpf/memreclaim.h, by name (lower case, as shown). */
export const MEMRECLAIM_KINDS = ['direct', 'memcg', 'softlimit', 'throttled', 'compaction'] as const;
export type MemreclaimKind = (typeof MEMRECLAIM_KINDS)[number];

export interface MemreclaimRow extends LatencyRow {
  kind: MemreclaimKind;
  /** The allocation order and GFP flags of most of the row's stalls (throttled: the reason). */
  order: number | null;
  gfp: string | null;
  counts: { pages: number };
  /** The cgroup's memory when the row is keyed by one (cgroup, pod, container): gauges at read time. */
  limit_bytes?: number | null;
  usage_bytes?: number | null;
  limited_by?: string | null;
  psi_some_avg10?: number | null;
}

/** A stall at or over --threshold, with the stalled task's stacks (leaf first). */
export interface MemreclaimEvent {
  ts_ns: number;
  kind: MemreclaimKind;
  stall_ns: number;
  pages: number;
  order: number | null;
  gfp: string | null;
  pid: number;
  tgid: number;
  comm: string;
  cgroup_id: number;
  cgroup: string | null;
  pod: string | null;
  kernel_stack: string[];
  user_stack: string[];
}

/** Title of the per-cgroup memory side table. */
export const MEMORY_TITLE = 'memory of the cgroups above (events and scans in the window)';
