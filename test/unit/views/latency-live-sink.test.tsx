// Ink draws only the last frame when it believes it runs in CI (it reads CI once, when it
// is imported): this test is about the frames in between, so the worker forgets CI first.
import { vi } from 'vitest';
vi.hoisted(() => {
  delete process.env.CI;
});
import { describe, it, expect, afterEach } from 'vitest';
import { addValue, emptyHistogram, type Histogram } from '../../../src/histogram/loglinear.js';
import { statFields, textField } from '../../../src/model/latency-fields.js';
import type { LatencyOutputSpec } from '../../../src/model/latency.js';
import type { LatencySnapshot } from '../../../src/model/latency.js';
import { liveLatencySink } from '../../../src/views/latency-live.js';
import { plainSink } from '../../../src/output/latency-output.js';

interface Row { key: string; comm: string; hist: Histogram }

const spec: LatencyOutputSpec<Row, never> = {
  tool: 'schedlat', meta: {}, fields: [textField<Row>('comm', 'COMM', 16, (r) => r.comm), ...statFields<Row>()],
  eventFields: [], unit: 'us', sortBy: 'p99',
};

function snap(kind: 'interval' | 'summary', comms: string[]): LatencySnapshot<Row, never> {
  const rows = comms.map((comm, i) => {
    const hist = emptyHistogram();
    addValue(hist, 1000 * (i + 1));
    return { key: comm, comm, hist };
  });
  return {
    kind, time: '2025-01-01T00:00:02.000Z', elapsed_s: 2, window_s: kind === 'interval' ? 1 : 2, rows, events: [],
    events_per_s: 1, lost: { ringbuf_full: 0, rate_limited: 0 },
    overhead: { bpf_runs: 0, bpf_ns_per_run: null, bpf_cpu_pct: null, user_cpu_pct: 0.5, rss_bytes: 1 << 20, programs: {} },
  };
}

afterEach(() => vi.restoreAllMocks());

describe('liveLatencySink', () => {
  it('renders live, then unmounts and prints the summary as a plain table', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out.push(String(chunk));
      const cb = rest.find((a) => typeof a === 'function') as (() => void) | undefined;
      if (cb) setImmediate(cb);
      return true;
    });
    const sink = await liveLatencySink(spec, () => {}, plainSink(spec));
    // Each interval reaches the screen: the live frames show its rows (waited for, with a deadline).
    const shows = async (text: string) => {
      const end = Date.now() + 5000;
      while (!out.join('').includes(text) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      return out.join('').includes(text);
    };
    sink.interval(snap('interval', ['nginx']), snap('summary', ['nginx', 'redis']));
    expect(await shows('nginx')).toBe(true);
    sink.interval(snap('interval', ['mysqld']), snap('summary', ['nginx', 'redis', 'mysqld']));
    expect(await shows('mysqld')).toBe(true);
    const before = out.length;
    await sink.summary(snap('summary', ['nginx', 'redis', 'postgres']));
    vi.restoreAllMocks();
    const last = out.slice(before).join('');
    expect(last).toContain('schedlat summary over 2.00s');
    expect(last).toMatch(/COMM\s+COUNT/);
    expect(last.indexOf('postgres')).toBeLessThan(last.indexOf('redis'));
    // Once summarised, further intervals are ignored.
    expect(() => sink.interval(snap('interval', []), snap('summary', []))).not.toThrow();
  });
});
