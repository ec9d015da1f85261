// `huatuo report` on a latency tool's capture: the summary table again, offline.
// Rows are rebuilt from the capture's records (sparse histograms included), so the
// table is the one the live run printed.
import type { Capture } from '../model/capture.js';
import { HuatuoError, ExitCode } from '../errors.js';
import { fromSparse, type Histogram } from '../histogram/loglinear.js';
import type { LatencySnapshot, SideRow } from '../model/latency.js';
import type { Field } from '../model/fields.js';
import { plainSink } from './latency-output.js';
import { writeNdjson } from './ndjson.js';
import { results } from './results.js';

type Row = { key: string; hist?: Histogram } & Record<string, unknown>;

/** A latency tool's field tables for its captures (from its definition in src/registry.ts). */
export interface LatencyTables {
  fields(meta: Record<string, unknown>): Field<never>[];
  eventFields: Field<never>[];
  /** Side tables by name (softirq's softnet): title and fields. */
  side?: Record<string, { title: string; fields: Field<never>[] }>;
  /** A counter tool's unit (netdrop: drops). */
  countName?: string;
  /** The tool's default sort. */
  sortBy?: string;
}

type SparseHist = { count: number; sum_ns: number; max_ns: number; slots: Array<[number, number]> };

interface RecordRow {
  count: number;
  avg_ns: number;
  max_ns: number;
  /** Absent in a counter tool's rows (counts and rates only). */
  hist?: Array<[number, number]>;
  hists?: Record<string, SparseHist>;
  counts?: Record<string, number>;
  [k: string]: unknown;
}

export function reprintLatencyCapture(c: Capture, json: boolean, tables: LatencyTables | undefined): void {
  const data = c.data as { meta?: Record<string, unknown>; summary?: Record<string, unknown> };
  if (!tables || !data.summary) throw new HuatuoError(`report cannot re-render ${c.tool} captures yet`, ExitCode.Runtime);
  if (json) {
    writeNdjson(data.summary);
    return;
  }
  const meta = data.meta ?? {};
  const fields = tables.fields(meta) as unknown as Field<Row>[];
  const eventFields = tables.eventFields as unknown as Field<unknown>[];
  const rec = data.summary as unknown as LatencySnapshot<RecordRow, unknown> & { rows: RecordRow[] };
  const rows: Row[] = rec.rows.map(({ hist: _h, ...r }, i): Row => ({
    ...r,
    key: String(i),
    ...(_h ? { hist: fromSparse(_h, r.count, r.avg_ns * r.count, r.max_ns) } : {}),
    ...(r.hists ? { hists: Object.fromEntries(Object.entries(r.hists).map(([n, h]) => [n, fromSparse(h.slots, h.count, h.sum_ns, h.max_ns)])) } : {}),
  }));
  const summary = data.summary as Record<string, unknown>;
  const side = Object.keys(tables.side ?? {}).filter((name) => Array.isArray(summary[name]))
    .map((name) => ({ name, title: tables.side![name].title, rows: summary[name] as SideRow[] }));
  results().write(`${c.tool} capture from ${c.host} (${c.kernel}), ${c.started} → ${c.ended}: huatuo ${c.args.join(' ')}\n`);
  const sideFields = Object.fromEntries(Object.entries(tables.side ?? {}).map(([n, t]) => [n, t.fields as unknown as Field<SideRow>[]]));
  void plainSink({ tool: c.tool, meta: {}, fields, eventFields, sideFields, unit: 'us', sortBy: tables.sortBy ?? 'p99', countName: tables.countName }).summary({ ...rec, rows, side, kind: 'summary' });
}
