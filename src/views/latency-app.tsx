// The live view of a latency tool: header, the per-key table (or one row's histogram),
// and the interval's slow events. Snapshots come from the store; keys from useLatencyView.
import { Box, Text } from 'ink';
import { headerOf, type DisplayUnit } from '../model/fields.js';
import type { LatencyOutputSpec, LatencySnapshot } from '../model/latency.js';
import type { Histogram } from '../histogram/loglinear.js';
import { useLatencyFrame, type LatencyStore } from './store.js';
import { useLatencyView, useScroll, type LatencyView } from './use-latency-view.js';
import { useTerminalRows } from './use-terminal.js';
import { histogramsOf, rowLabel } from './navigation.js';
import { formatDuration } from '../model/units.js';
import { Header, KeyHelp, elapsed } from './header.js';
import { FieldTable } from './latency-table.js';
import { HistogramBars } from './histogram-bars.js';
import { SlowEvents, slowEventsHeight } from './slow-events.js';

export interface LatencyAppProps<R extends { key: string; hist?: Histogram }, E> {
  spec: LatencyOutputSpec<R, E>;
  store: LatencyStore<R, E>;
  onQuit: () => void;
  /** Terminal height override (tests); else stdout's rows. */
  height?: number;
}

/** Header (2) + keys (1) + view line (1) + table header (1) + Ink's last line (1). */
const CHROME = 6;

export function LatencyApp<R extends { key: string; hist?: Histogram }, E>({ spec, store, onQuit, height }: LatencyAppProps<R, E>) {
  const frame = useLatencyFrame(store);
  const view = useLatencyView(spec, frame, onQuit);
  const termRows = useTerminalRows(height);
  const events = frame?.interval.events ?? [];
  const room = Math.max(3, termRows - CHROME - slowEventsHeight(events.length) - sideTablesHeight(spec, frame?.total));
  const offset = useScroll(view.selected, room, view.rows.length);
  // The run is over: the sink prints the summary as plain text once we are gone.
  if (frame?.done) return null;
  const status = view.quitting ? 'stopping…' : undefined;
  return (
    <Box flexDirection="column">
      <Header tool={spec.tool} snap={view.snap} cost={frame?.interval.overhead} status={status} countName={spec.countName} />
      <KeyHelp histogram={view.showHist} keys={view.keys} enter={spec.rowEvents ? 'events' : 'histogram'} />
      {view.snap ? <ViewLine view={view} room={room} offset={offset} unit={spec.unit} /> : null}
      {view.snap && view.showHist && view.selected >= 0 && !view.rows[view.selected].hist ? (
        <SelectedDetail spec={spec} row={view.rows[view.selected]} recent={frame?.recent ?? []} maxLines={room} />
      ) : view.snap && view.showHist && view.selected >= 0 ? (
        <SelectedHistogram spec={spec} rows={view.rows} selected={view.selected} maxLines={Math.min(20, room)} />
      ) : view.snap ? (
        <FieldTable
          fields={spec.fields}
          rows={view.rows.slice(offset, offset + room)}
          unit={spec.unit}
          selected={view.selected - offset}
          sortName={view.sort.name}
          empty={view.mode === 'total' ? '(no events yet)' : '(no events in the last interval)'}
        />
      ) : null}
      {view.snap && !view.showHist ? <SideTables spec={spec} snap={view.snap} /> : null}
      <SlowEvents events={events} fields={spec.eventFields} unit={spec.unit} />
    </Box>
  );
}

interface ViewLineProps {
  view: LatencyView<unknown, unknown>;
  room: number;
  offset: number;
  unit: DisplayUnit;
}

/** What the table shows: total or last interval, the sort, and the scroll position. */
function ViewLine({ view, room, offset, unit }: ViewLineProps) {
  const s = view.snap!;
  const what = view.mode === 'total' ? `total since start (${elapsed(s.window_s)})` : `last interval (${s.window_s.toFixed(1)}s)`;
  const n = view.rows.length;
  const scroll = view.showHist ? '' : n > room ? `  rows ${offset + 1}-${Math.min(offset + room, n)} of ${n}` : `  ${n} rows`;
  return (
    <Text wrap="truncate-end">
      <Text color="cyan">{what}</Text>
      <Text dimColor>{`  sort ${headerOf(view.sort, unit)} ▼${scroll}`}</Text>
    </Text>
  );
}

interface SelectedProps<R extends { key: string; hist?: Histogram }> {
  spec: LatencyOutputSpec<R, unknown>;
  rows: R[];
  selected: number;
  maxLines: number;
}

/** The selected row's histograms, one under the other (softirq: handler time, then delay). */
function SelectedHistogram<R extends { key: string; hist?: Histogram }>({ spec, rows, selected, maxLines }: SelectedProps<R>) {
  const row = rows[selected];
  const hists = histogramsOf(rows, row.key);
  const lines = Math.max(3, Math.floor(maxLines / Math.max(1, hists.length)) - 1);
  return (
    <Box flexDirection="column">
      {hists.map(({ name, hist }) => {
        const facts = `  ${hist.count} samples, max ${formatDuration(hist.maxNs)}`;
        const what = name || spec.histName;
        const title = `${what ? `${what} ` : ''}histogram of ${rowLabel(spec.fields, row, spec.unit)}${facts}`;
        return <HistogramBars key={name || 'main'} title={title} hist={hist} unit={spec.unit} maxLines={lines} />;
      })}
    </Box>
  );
}

/** A counter row's drill-down: its kernel stack (if it has one), then its latest events. */
function SelectedDetail<R extends { key: string; hist?: Histogram; stack?: string[] }, E>({ spec, row, recent, maxLines }: { spec: LatencyOutputSpec<R, E>; row: R; recent: E[]; maxLines: number }) {
  const mine = spec.rowEvents ? recent.filter((e) => spec.rowEvents!(row, e)) : [];
  const stack = row.stack ?? [];
  const stackLines = stack.length ? Math.min(stack.length, Math.max(3, Math.floor(maxLines / 2))) : 0;
  const shown = mine.slice(-Math.max(1, maxLines - stackLines - 4));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">{rowLabel(spec.fields, row, spec.unit)}</Text>
      {stackLines ? <Text dimColor>{`kernel stack (outermost first, last ${stackLines} of ${stack.length} frames):`}</Text> : null}
      {stack.slice(-stackLines).map((f, i) => <Text key={i} wrap="truncate-end">{`  ${f}`}</Text>)}
      <Text dimColor>{mine.length ? `latest ${shown.length} of its ${mine.length} recent events (⎋ back):` : 'no recent events of this row (over the rate limit, or none yet; ⎋ back)'}</Text>
      {shown.length ? <FieldTable fields={spec.eventFields} rows={shown} unit={spec.unit} /> : null}
    </Box>
  );
}

/** The snapshot's side tables (softirq's softnet_stat), small and under the rows. */
function SideTables<R, E>({ spec, snap }: { spec: LatencyOutputSpec<R & { key: string; hist?: Histogram }, E>; snap: LatencySnapshot<R, E> }) {
  const tables = (snap.side ?? []).filter((t) => spec.sideFields?.[t.name] && t.rows.length);
  if (!tables.length) return null;
  return (
    <Box flexDirection="column">
      {tables.map((t) => (
        <Box key={t.name} flexDirection="column" marginTop={1}>
          <Text dimColor>{t.title}</Text>
          <FieldTable fields={spec.sideFields![t.name]} rows={t.rows} unit={spec.unit} selected={-1} sortName="" empty="" />
        </Box>
      ))}
    </Box>
  );
}

/** Lines the side tables take: a blank line and a title each, a header, their rows. */
function sideTablesHeight<R, E>(spec: LatencyOutputSpec<R & { key: string; hist?: Histogram }, E>, snap: LatencySnapshot<R, E> | null | undefined): number {
  return (snap?.side ?? []).filter((t) => spec.sideFields?.[t.name] && t.rows.length).reduce((n, t) => n + 3 + t.rows.length, 0);
}
