// The latency tools' model: rows with histograms, slow events, snapshots. Plain data,
// the same live and read back from a capture; collectors make it, sinks and views show it.
import type { Histogram } from '../histogram/loglinear.js';
import type { Overhead } from './overhead.js';
import type { DisplayUnit, Field } from './fields.js';

/** --by values every latency tool offers; pod and container are cgroup keys relabelled in user space. */
export const TASK_BY = ['comm', 'pid', 'tid', 'cpu', 'cgroup', 'pod', 'container'] as const;
export type TaskBy = (typeof TASK_BY)[number];

/** A row's key labels; which are set depends on --by (the rest stay undefined: null in JSON). */
export interface TaskKeyRow {
  /** Unique among a snapshot's rows. */
  key: string;
  comm?: string;
  pid?: number;
  tid?: number;
  cpu?: number;
  cgroup_id?: number;
  cgroup?: string;
  pod?: string;
  namespace?: string;
  container?: string;
  container_id?: string;
}

export interface LatencyRow extends TaskKeyRow {
  hist: Histogram;
}

export interface LatencySnapshot<R, E> {
  kind: 'interval' | 'summary';
  /** Wall-clock time of the snapshot (ISO 8601). */
  time: string;
  elapsed_s: number;
  /** Length of the window the rows cover: the interval, or the whole run for the summary. */
  window_s: number;
  rows: R[];
  events: E[];
  /** Histogram entries counted in the window per second. */
  events_per_s: number;
  /** Slow events that could not be sent since start. */
  lost: { ringbuf_full: number; rate_limited: number };
  overhead: Overhead;
}

/** How a latency tool's snapshots are shown: the same for every sink. */
export interface LatencyOutputSpec<R extends { key: string; hist: Histogram }, E> {
  tool: string;
  /** Extra facts for every record (e.g. by, method). */
  meta: Record<string, string | number | boolean>;
  fields: Field<R>[];
  eventFields: Field<E>[];
  unit: DisplayUnit;
  sortBy: string;
}

/** Where snapshots go: NDJSON, plain tables, the live view. */
export interface LatencySink<R, E> {
  interval(s: LatencySnapshot<R, E>, total: LatencySnapshot<R, E>): void;
  summary(s: LatencySnapshot<R, E>): Promise<void> | void;
}
