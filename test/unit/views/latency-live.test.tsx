import { describe, it, expect, vi, afterEach } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { addValue, emptyHistogram, type Histogram } from '../../../src/histogram/loglinear.js';
import { statFields, textField } from '../../../src/model/latency-fields.js';
import type { Field } from '../../../src/model/fields.js';
import type { LatencyOutputSpec } from '../../../src/model/latency.js';
import type { LatencySnapshot } from '../../../src/model/latency.js';
import { LatencyApp } from '../../../src/views/latency-app.js';
import { createLatencyStore } from '../../../src/views/store.js';
import { histogramLines } from '../../../src/views/histogram-bars.js';
import { moveSelection, nextSortField, scrollOffset, selectedIndex } from '../../../src/views/navigation.js';

interface Row { key: string; comm: string; hist: Histogram }
interface Ev { comm: string; lat_ns: number }

const fields: Field<Row>[] = [textField<Row>('comm', 'COMM', 16, (r) => r.comm), ...statFields<Row>()];
const eventFields: Field<Ev>[] = [
  textField<Ev>('comm', 'COMM', 16, (e) => e.comm),
  { name: 'lat_ns', header: 'LAT', kind: 'ns', align: 'right', width: 10, value: (e) => e.lat_ns },
];
const spec: LatencyOutputSpec<Row, Ev> = { tool: 'schedlat', meta: {}, fields, eventFields, unit: 'us', sortBy: 'p99' };

/** A row whose histogram holds `n` copies of each [value_ns, n] pair. */
function row(comm: string, values: Array<[number, number]>): Row {
  const hist = emptyHistogram();
  for (const [v, n] of values) for (let i = 0; i < n; i++) addValue(hist, v);
  return { key: comm, comm, hist };
}

function snap(kind: 'interval' | 'summary', rows: Row[], events: Ev[], elapsed: number): LatencySnapshot<Row, Ev> {
  return {
    kind, time: '2025-01-01T00:00:10.000Z', elapsed_s: elapsed, window_s: kind === 'interval' ? 1 : elapsed,
    rows, events, events_per_s: 1234.4, lost: { ringbuf_full: 2, rate_limited: 1 },
    overhead: { bpf_runs: 10, bpf_ns_per_run: null, bpf_cpu_pct: null, user_cpu_pct: 0.8, rss_bytes: 50 * 1048576, programs: {} },
  };
}

// Total: p99 order postgres > nginx > redis; max order redis > postgres > nginx.
const total = snap('summary', [
  row('redis', [[10_000, 999], [20_000_000, 1]]),
  row('nginx', [[20_000, 900], [500_000, 100]]),
  row('postgres', [[5_000_000, 50]]),
], [], 10);
const interval = snap('interval', [row('nginx', [[20_000, 90], [500_000, 10]])], [{ comm: 'nginx', lat_ns: 600_000 }], 10);

const tick = () => new Promise((r) => setTimeout(r, 20));
const order = (frame: string) => ['postgres', 'nginx', 'redis'].filter((c) => frame.includes(c))
  .sort((a, b) => frame.indexOf(a) - frame.indexOf(b));

function setup() {
  const store = createLatencyStore<Row, Ev>();
  const onQuit = vi.fn();
  const ui = render(<LatencyApp spec={spec} store={store} onQuit={onQuit} height={40} />);
  return { store, onQuit, ui };
}

afterEach(() => cleanup());

describe('LatencyApp', () => {
  it('waits for the first interval, then shows the header and rows sorted by p99', async () => {
    const { store, ui } = setup();
    expect(ui.lastFrame()).toContain('waiting for the first interval');
    store.push(interval, total);
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toContain('huatuo schedlat');
    expect(f).toContain('1234 events/s');
    expect(f).toContain('lost 3');
    expect(f).toContain('bpf n/a');
    expect(f).toContain('RSS 50.0 MB');
    expect(f).toContain('↑↓ select  ⏎ histogram  s sort  i interval/total  q quit');
    expect(f).toMatch(/COMM\s+COUNT\s+AVG\(us\)\s+P50\(us\)\s+P90\(us\)\s+P99\(us\)\s+MAX\(us\)/);
    expect(order(f)).toEqual(['postgres', 'nginx', 'redis']);
    expect(f).toContain('sort P99(us)');
    expect(f).toContain('slow events: 1');
    expect(f).toMatch(/nginx\s+600/);
  });

  it('s cycles the sort through the numeric fields', async () => {
    const { store, ui } = setup();
    store.push(interval, total);
    await tick();
    ui.stdin.write('s');
    await tick();
    expect(ui.lastFrame()).toContain('sort MAX(us)');
    expect(order(ui.lastFrame()!)).toEqual(['redis', 'postgres', 'nginx']);
    ui.stdin.write('s');
    await tick();
    expect(ui.lastFrame()).toContain('sort COUNT');
    expect(order(ui.lastFrame()!)).toEqual(['redis', 'nginx', 'postgres']);
    // Keys typed quickly may come in one chunk: each counts.
    ui.stdin.write('sss');
    await tick();
    expect(ui.lastFrame()).toContain('sort P90(us)');
  });

  it('arrows + Enter show the selected row histogram, which follows live updates; Esc goes back', async () => {
    const { store, ui } = setup();
    store.push(interval, total);
    await tick();
    ui.stdin.write('\u001B[B');
    await tick();
    ui.stdin.write('\r');
    await tick();
    let f = ui.lastFrame()!;
    expect(f).toContain('histogram of nginx');
    expect(f).toContain('histogram of nginx  1000 samples, max 500us');
    // Power-of-two buckets in ns (2^14..2^19), shown in us; bars scaled to the largest.
    expect(f).toMatch(/16\.4 -> 32\.8 us :\s+900 \|\*{32}\|/);
    expect(f).toMatch(/65\.5 -> 131 {2}us :\s+0 \| {32}\|/);
    expect(f).toMatch(/ 262 -> 524 {2}us :\s+100 \|\*{4} {28}\|/);
    // A new total with nginx grown: the panel updates.
    store.push(interval, { ...total, rows: [row('nginx', [[20_000, 1900]]), ...total.rows.slice(0, 1)] });
    await tick();
    expect(ui.lastFrame()).toMatch(/16\.4 -> 32\.8 us :\s+1900 \|/);
    ui.stdin.write('\u001B');
    await tick();
    f = ui.lastFrame()!;
    expect(f).not.toContain('histogram of');
    expect(f).toContain('P99(us)');
  });

  it('i toggles between total and last interval rows', async () => {
    const { store, ui } = setup();
    store.push(interval, total);
    await tick();
    ui.stdin.write('i');
    await tick();
    expect(ui.lastFrame()).toContain('last interval (1.0s)');
    expect(order(ui.lastFrame()!)).toEqual(['nginx']);
    ui.stdin.write('i');
    await tick();
    expect(ui.lastFrame()).toContain('total since start');
    expect(order(ui.lastFrame()!)).toEqual(['postgres', 'nginx', 'redis']);
  });

  it('q and Ctrl-C call onQuit; the app renders nothing once done', async () => {
    const { store, onQuit, ui } = setup();
    store.push(interval, total);
    await tick();
    ui.stdin.write('q');
    await tick();
    expect(onQuit).toHaveBeenCalledTimes(1);
    expect(ui.lastFrame()).toContain('stopping');
    ui.stdin.write('\u0003');
    await tick();
    expect(onQuit).toHaveBeenCalledTimes(2);
    store.finish(total);
    await tick();
    expect(ui.lastFrame()).toBe('');
  });

  it('shows only the rows that fit and scrolls to the selection', async () => {
    const store = createLatencyStore<Row, Ev>();
    const many = Array.from({ length: 30 }, (_, i) => row(`task${String(i).padStart(2, '0')}`, [[1000 * (i + 1), 1]]));
    const ui = render(<LatencyApp spec={spec} store={store} onQuit={() => {}} height={15} />);
    store.push(snap('interval', [], [], 5), snap('summary', many, [], 5));
    await tick();
    expect(ui.lastFrame()!.split('\n').length).toBeLessThan(15);
    expect(ui.lastFrame()).toContain('rows 1-9 of 30');
    // Keys faster than React's passive effects (a held ↓) are not lost.
    for (let i = 0; i < 12; i++) ui.stdin.write('\u001B[B');
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toContain('rows 5-13 of 30');
    expect(f).toContain('task17'); // 13th row by p99 (descending)
    expect(f).not.toContain('task29');
  });
});

describe('histogramLines', () => {
  it('merges buckets to at most maxLines and keeps the total count', () => {
    const h = emptyHistogram();
    for (let e = 0; e < 36; e++) addValue(h, 2 ** e);
    const lines = histogramLines(h, 'us', 10);
    expect(lines.length).toBeLessThanOrEqual(10);
    const sum = lines.reduce((s, l) => s + Number(/: +(\d+) \|/.exec(l)![1]), 0);
    expect(sum).toBe(36);
  });

  it('uses the display unit', () => {
    const h = emptyHistogram();
    addValue(h, 5_000_000);
    expect(histogramLines(h, 'ms')).toEqual([expect.stringMatching(/^4\.19 -> 8\.39 ms : +1 \|\*{32}\|$/)]);
  });
});

describe('navigation', () => {
  const rows = [{ key: 'a' }, { key: 'b' }, { key: 'c' }];
  it('keeps the selection on its key, else on its index', () => {
    expect(selectedIndex(rows, { key: 'c', index: 0 })).toBe(2);
    expect(selectedIndex(rows, { key: 'gone', index: 7 })).toBe(2);
    expect(selectedIndex([], { key: 'a', index: 0 })).toBe(-1);
    expect(moveSelection(rows, { key: 'b', index: 1 }, -5)).toEqual({ key: 'a', index: 0 });
  });
  it('scrolls only when the selection leaves the window', () => {
    expect(scrollOffset(0, 4, 5, 10)).toBe(0);
    expect(scrollOffset(0, 5, 5, 10)).toBe(1);
    expect(scrollOffset(4, 3, 5, 10)).toBe(3);
    expect(scrollOffset(8, 9, 5, 7)).toBe(2);
  });
  it('cycles the sort through numeric fields only', () => {
    const names = [fields[5]];
    for (let i = 0; i < 6; i++) names.push(nextSortField(fields, names[names.length - 1]));
    expect(names.map((f) => f.name)).toEqual(['p99_ns', 'max_ns', 'count', 'avg_ns', 'p50_ns', 'p90_ns', 'p99_ns']);
  });
});

describe('LatencyApp with rows of several histograms and side tables (softirq)', () => {
  interface SRow extends Row { hists: { delay: Histogram } }
  const sfields = fields as unknown as Field<SRow>[];
  const softnet = [textField<Record<string, string | number | null>>('cpu', 'CPU', 5, (r) => r.cpu), { name: 'dropped', header: 'DROPPED', kind: 'count' as const, align: 'right' as const, width: 9, value: (r: Record<string, string | number | null>) => r.dropped }];
  const sspec: LatencyOutputSpec<SRow, Ev> = { tool: 'softirq', meta: {}, fields: sfields, eventFields, sideFields: { softnet }, histName: 'handler time', unit: 'us', sortBy: 'p99' };
  const srow = (comm: string): SRow => ({ ...row(comm, [[2_000, 10]]), hists: { delay: row(comm, [[3_000_000, 4]]).hist } });
  const ssnap = (kind: 'interval' | 'summary') => ({
    ...(snap(kind, [], [], 10) as unknown as LatencySnapshot<SRow, Ev>),
    rows: [srow('NET_RX')],
    side: [{ name: 'softnet', title: 'softnet_stat per CPU', rows: [{ cpu: 1, dropped: 264392 }] }],
  });

  it('shows the side table under the rows, and ⏎ shows both histograms of the row', async () => {
    const store = createLatencyStore<SRow, Ev>();
    const ui = render(<LatencyApp spec={sspec} store={store} onQuit={vi.fn()} height={50} />);
    store.push(ssnap('interval'), ssnap('summary'));
    await tick();
    expect(ui.lastFrame()).toContain('softnet_stat per CPU');
    expect(ui.lastFrame()).toMatch(/1\s+264392/);
    ui.stdin.write('\r');
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toContain('handler time histogram of NET_RX  10 samples');
    expect(f).toContain('delay histogram of NET_RX  4 samples, max 3.0ms');
    expect(f).not.toContain('softnet_stat per CPU');
  });
});

describe('LatencyApp with counter rows (netdrop): no histograms, ⏎ shows the row\'s stack and its events', () => {
  interface CRow { key: string; reason: string; counts: { packets: number }; stack?: string[] }
  interface CEv { reason: string; dport: number }
  const cfields: Field<CRow>[] = [
    textField<CRow>('reason', 'REASON', 14, (r) => r.reason),
    { name: 'packets', header: 'PACKETS', kind: 'count', align: 'right', width: 9, value: (r) => r.counts.packets },
  ];
  const cevents: Field<CEv>[] = [textField<CEv>('reason', 'REASON', 14, (e) => e.reason), textField<CEv>('dport', 'DPORT', 6, (e) => e.dport)];
  const cspec: LatencyOutputSpec<CRow, CEv> = {
    tool: 'netdrop', meta: {}, fields: cfields, eventFields: cevents, unit: 'us', sortBy: 'packets',
    countName: 'drops', rowEvents: (r, e) => r.reason === e.reason,
  };
  const rows: CRow[] = [
    { key: 'a', reason: 'NO_SOCKET', counts: { packets: 900 }, stack: ['ip_rcv', 'udp_rcv', 'kfree_skb_reason'] },
    { key: 'b', reason: 'NETFILTER_DROP', counts: { packets: 50 } },
  ];
  const csnap = (kind: 'interval' | 'summary', events: CEv[]) => ({ ...(snap(kind, [], [], 10) as unknown as LatencySnapshot<CRow, CEv>), rows, events });

  it('shows drops/s and events not sent (not "lost": every drop is counted), and ⏎ opens the selected row', async () => {
    const store = createLatencyStore<CRow, CEv>();
    const ui = render(<LatencyApp spec={cspec} store={store} onQuit={vi.fn()} height={40} />);
    // Events of two intervals: the drill-down keeps the latest across them.
    store.push(csnap('interval', [{ reason: 'NO_SOCKET', dport: 9 }, { reason: 'NETFILTER_DROP', dport: 53 }]), csnap('summary', []));
    store.push(csnap('interval', [{ reason: 'NO_SOCKET', dport: 7 }]), csnap('summary', []));
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toContain('1234 drops/s');
    expect(f).toContain('events not sent 3');
    expect(f).not.toContain('lost');
    expect(f).toContain('⏎ events');
    ui.stdin.write('\r');
    await tick();
    const d = ui.lastFrame()!;
    expect(d).toContain('kernel stack (outermost first, last 3 of 3 frames)');
    expect(d).toMatch(/ip_rcv[\s\S]*udp_rcv[\s\S]*kfree_skb_reason/);
    expect(d).toContain('latest 2 of its 2 recent events');
    expect(d).toMatch(/NO_SOCKET\s+9/);
    expect(d).toMatch(/NO_SOCKET\s+7/);
    expect(d).not.toMatch(/NETFILTER_DROP\s+53/);
    ui.stdin.write('\u001B');
    await tick();
    ui.stdin.write('\u001B[B');
    await tick();
    ui.stdin.write('\r');
    await tick();
    expect(ui.lastFrame()).toContain('latest 1 of its 1 recent events');
    expect(ui.lastFrame()).not.toContain('kernel stack');
  });
});
