// Where a latency tool's snapshots go: NDJSON, plain tables, the live Ink view (imported
// only on a TTY, so scripted runs start fast), and the capture file.
import type { Field, DisplayUnit } from '../model/fields.js';
import { cellOf, jsonRow, sortRows, sortField } from '../model/fields.js';
import { plainTable } from './plain.js';
import { writeNdjson } from './ndjson.js';
import { sparseSlots, type Histogram } from '../histogram/loglinear.js';
import type { LatencyOutputSpec, LatencySink, LatencySnapshot, LatencyValues } from '../model/latency.js';
import { formatDuration } from '../model/units.js';
import { results } from './results.js';

export type { LatencyOutputSpec } from '../model/latency.js';

export type { LatencySink } from '../model/latency.js';


/** A snapshot as its JSON record (also the capture's interval/summary shape). */
export function latencyRecord<R extends { key: string; hist?: Histogram }, E>(
  spec: LatencyOutputSpec<R, E>,
  s: LatencySnapshot<R, E>,
): Record<string, unknown> {
  const rows = sortRows(s.rows, sortField(spec.fields, spec.sortBy)).map((r) => ({
    ...jsonRow(spec.fields, r),
    ...(r.hist ? { hist: sparseSlots(r.hist) } : {}),
    ...moreValues(r),
  }));
  return {
    type: s.kind,
    tool: spec.tool,
    ...spec.meta,
    time: s.time,
    elapsed_s: round3(s.elapsed_s),
    window_s: round3(s.window_s),
    events_per_s: Math.round(s.events_per_s),
    lost: s.lost,
    overhead: s.overhead,
    rows,
    ...Object.fromEntries((s.side ?? []).map((t) => [t.name, t.rows])),
    events: s.events,
    ...('events_dropped_from_summary' in s ? { events_dropped_from_summary: s.events_dropped_from_summary } : {}),
  };
}

/** A row's further histograms, counts and rates (softirq's delay, netdrop's packets), and its stack (netdrop --stack), when it has any. */
function moreValues(r: LatencyValues & { stack?: string[] }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.hists) {
    out.hists = Object.fromEntries(Object.entries(r.hists).map(([name, h]) => [name, { count: h.count, sum_ns: h.sumNs, max_ns: h.maxNs, slots: sparseSlots(h) }]));
  }
  if (r.counts) out.counts = { ...r.counts };
  if (r.stack) out.stack = r.stack;
  if (r.rates) out.rates = Object.fromEntries(Object.entries(r.rates).map(([n, v]) => [n, round3(v)]));
  return out;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function jsonSink<R extends { key: string; hist?: Histogram }, E>(spec: LatencyOutputSpec<R, E>): LatencySink<R, E> {
  return {
    interval: (s) => writeNdjson(latencyRecord(spec, s)),
    summary: (s) => writeNdjson(latencyRecord(spec, s)),
  };
}

/** One line of run facts: time, events/s, lost, and huatuo's own cost. */
export function statusLine<R, E>(s: LatencySnapshot<R, E>, countName?: string): string {
  const o = s.overhead;
  const lost = s.lost.ringbuf_full + s.lost.rate_limited;
  const rate = (countName
    ? `${Math.round(s.events_per_s)} ${countName}/s  events not sent ${lost}`
    : `${Math.round(s.events_per_s)} events/s  lost ${lost}`) + (s.lost.rows_full ? `  NOT COUNTED ${s.lost.rows_full} (rows map full)` : '');
  const bpf = o.bpf_ns_per_run === null ? 'bpf n/a' : `bpf ${Math.round(o.bpf_ns_per_run)}ns/run ${o.bpf_cpu_pct!.toFixed(2)}%cpu`;
  return `${s.time.slice(11, 19)}  ${s.elapsed_s.toFixed(1)}s  ${rate}  ${bpf}  huatuo ${o.user_cpu_pct.toFixed(1)}%cpu`;
}

export function plainSink<R extends { key: string; hist?: Histogram }, E>(spec: LatencyOutputSpec<R, E>): LatencySink<R, E> {
  const print = (s: LatencySnapshot<R, E>, title: string) => {
    const rows = sortRows(s.rows, sortField(spec.fields, spec.sortBy));
    const out = [`${title}  ${statusLine(s, spec.countName)}`];
    out.push(rows.length ? plainTable(spec.fields, rows, spec.unit) : '(no events)');
    // netdrop --stack: each row's kernel stack, folded (outermost first), named by its text columns.
    const stacked = rows.filter((r) => (r as { stack?: string[] }).stack?.length);
    if (stacked.length) {
      out.push('', 'kernel stacks (outermost first):');
      for (const r of stacked) {
        const name = spec.fields.filter((f) => f.kind === 'text').map((f) => cellOf(f, r, spec.unit)).join(' ');
        out.push(`  ${name}: ${(r as { stack?: string[] }).stack!.join(';')}`);
      }
    }
    for (const t of s.side ?? []) {
      const fields = spec.sideFields?.[t.name];
      if (fields && t.rows.length) out.push('', `${t.title}:`, plainTable(fields, t.rows, spec.unit));
    }
    if (s.events.length) {
      out.push('', `${spec.countName ? 'events' : 'slow events'} (${s.events.length}${s.events.length > 20 ? ', the last 20' : ''}):`, plainTable(spec.eventFields, s.events.slice(-20), spec.unit));
    }
    results().write(out.join('\n') + '\n\n');
  };
  return {
    interval: (s) => print(s, `${spec.tool}`),
    summary: (s) => print(s, `${spec.tool} summary over ${formatDuration(s.elapsed_s * 1e9)}`),
  };
}
