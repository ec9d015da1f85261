// Turns a running latency tool (cumulative per-key histograms in a BPF map, plus slow
// events from a ring buffer) into snapshots: one per interval and a final summary.
// Knows nothing about views; sinks take the snapshots.
import { IntervalRows, rowCount, withRates } from '../histogram/bpf-hist.js';
import { OverheadMeter } from '../bpf-loader/overhead.js';
import type { LatencySnapshot, LatencyValues, SideTable } from '../model/latency.js';
import type { BpfObject } from '../bpf-loader/object.js';

export interface LatencySource<R extends { key: string } & LatencyValues, E> {
  readonly obj: BpfObject;
  /** Cumulative histograms, one row per key (merge rows that share one: mergeRowsByKey). */
  readHistograms(): R[];
  takeEvents(): E[];
  lost(): { ringbuf_full: number; rate_limited: number; rows_full?: number };
  /** Counts a counter tool shows per second too (netdrop's packets): each snapshot's rows get `rates` of them. */
  readonly rateCounts?: readonly string[];
  /** Tables beside the rows, if the tool has any: the interval's (since the last call) and the run's. */
  side?(): { interval: SideTable[]; total: SideTable[] };
}

export type { LatencySnapshot } from '../model/latency.js';

/** Slow events kept for the summary; the rest are counted in `events_dropped_from_summary`. */
const SUMMARY_EVENTS = 1000;

export class LatencyCollector<R extends { key: string } & LatencyValues, E> {
  private readonly intervals = new IntervalRows<R>();
  private readonly meter: OverheadMeter;
  private readonly started = process.hrtime.bigint();
  private lastTick = this.started;
  private allEvents: E[] = [];
  private droppedEvents = 0;
  private lastRows: R[] = [];
  private lastSide: SideTable[] | undefined;

  constructor(private readonly source: LatencySource<R, E>) {
    this.meter = new OverheadMeter(source.obj);
    this.meter.start();
  }

  private elapsed(now: bigint, since: bigint): number {
    return Number(now - since) / 1e9;
  }

  private rated(rows: R[], seconds: number): R[] {
    const names = this.source.rateCounts;
    return names?.length ? rows.map((r) => withRates(r, names, seconds)) : rows;
  }

  /** What happened since the previous call. */
  interval(): LatencySnapshot<R, E> {
    const now = process.hrtime.bigint();
    const rows = this.source.readHistograms();
    this.lastRows = rows;
    const window = this.elapsed(now, this.lastTick);
    const intervalRows = this.rated(this.intervals.delta(rows), window);
    const side = this.source.side?.();
    this.lastSide = side?.total;
    const events = this.source.takeEvents();
    for (const e of events) {
      if (this.allEvents.length < SUMMARY_EVENTS) this.allEvents.push(e);
      else this.droppedEvents++;
    }
    this.lastTick = now;
    const counted = intervalRows.reduce((s, r) => s + rowCount(r), 0);
    return {
      kind: 'interval',
      time: new Date().toISOString(),
      elapsed_s: this.elapsed(now, this.started),
      window_s: window,
      rows: intervalRows,
      events,
      events_per_s: window > 0 ? counted / window : 0,
      lost: this.source.lost(),
      overhead: this.meter.interval(),
      ...(side ? { side: side.interval } : {}),
    };
  }

  /** Everything since start: call after the last interval(). */
  summary(): LatencySnapshot<R, E> & { events_dropped_from_summary: number } {
    const now = process.hrtime.bigint();
    const total = this.elapsed(now, this.started);
    const rows = this.rated(this.lastRows, total);
    return {
      kind: 'summary',
      time: new Date().toISOString(),
      elapsed_s: total,
      window_s: total,
      rows,
      events: this.allEvents,
      events_per_s: total > 0 ? rows.reduce((s, r) => s + rowCount(r), 0) / total : 0,
      lost: this.source.lost(),
      overhead: this.meter.total(),
      ...(this.lastSide ? { side: this.lastSide } : {}),
      events_dropped_from_summary: this.droppedEvents,
    };
  }

  close(): void {
    this.meter.close();
  }
}
