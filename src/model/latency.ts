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

/** What a row measured (its histograms and counts): histogram/bpf-hist.ts does their arithmetic. */
export type { LatencyValues } from '../histogram/bpf-hist.js';
import type { LatencyValues } from '../histogram/bpf-hist.js';

/** Any tool's row: a unique key and what it measured (a counter tool's rows have no histogram). */
export type KeyedValues = { key: string } & LatencyValues;

/** A latency tool's row: it always has its histogram. */
export interface LatencyRow extends TaskKeyRow, LatencyValues {
  hist: Histogram;
}

/** A table beside the rows, per snapshot (softirq's softnet_stat deltas): same fields for every sink. */
export interface SideTable {
  /** JSON key of its rows in a record. */
  name: string;
  title: string;
  rows: SideRow[];
}

export type SideRow = Record<string, string | number | null>;

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
  /** Slow events that could not be sent since start; `rows_full`: values not counted, the rows map being full. */
  lost: { ringbuf_full: number; rate_limited: number; rows_full?: number };
  overhead: Overhead;
  /** Tables shown beside the rows (the interval's, or the whole run's for the summary). */
  side?: SideTable[];
}

/** How a latency tool's snapshots are shown: the same for every sink. */
export interface LatencyOutputSpec<R extends { key: string; hist?: Histogram }, E> {
  tool: string;
  /** Extra facts for every record (e.g. by, method). */
  meta: Record<string, string | number | boolean>;
  fields: Field<R>[];
  eventFields: Field<E>[];
  /** What the main histogram measures, for the drill-down's title (softirq: handler time). */
  histName?: string;
  /**
   * A counter tool's drill-down (rows without histograms): which of the latest events are
   * the row's (netdrop: same reason, location, pod …). The row's `stack`, if any, is shown too.
   */
  rowEvents?(row: R, e: E): boolean;
  /**
   * What a counter tool's rows count (netdrop: drops), for the status line; its events are
   * samples of what was counted, so events not sent are "not sent", not "lost".
   */
  countName?: string;
  /** Fields of the side tables, by table name (a table without fields is not shown). */
  sideFields?: Record<string, Field<SideRow>[]>;
  unit: DisplayUnit;
  sortBy: string;
}

/** Where snapshots go: NDJSON, plain tables, the live view. */
export interface LatencySink<R, E> {
  interval(s: LatencySnapshot<R, E>, total: LatencySnapshot<R, E>): void;
  summary(s: LatencySnapshot<R, E>): Promise<void> | void;
}
