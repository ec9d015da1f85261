// softirq's pure parts: /proc/softirqs names, --vector, /proc/net/softnet_stat and its
// deltas, and the row arithmetic (several histograms and counts) every interval relies on.
import { describe, expect, it } from 'vitest';
import { parseVectors, softirqNames } from '../../src/tools/softirq.js';
import { parseSoftnet, softnetDelta } from '../../src/tools/counter-tables.js';
import { mergeRowsByKey, IntervalRows } from '../../src/histogram/bpf-hist.js';
import { emptyHistogram, type Histogram } from '../../src/histogram/loglinear.js';
import { HuatuoError } from '../../src/errors.js';

const PROC_SOFTIRQS = `                    CPU0       CPU1
          HI:          1          0
       TIMER:     120553     118813
      NET_TX:         41         12
      NET_RX:     604602    2599149
       BLOCK:      46325      36024
    IRQ_POLL:          0          0
     TASKLET:        139        114
       SCHED:     688310     679651
     HRTIMER:          0          0
         RCU:     156410     160213
`;

function hist(...values: number[]): Histogram {
  const h = emptyHistogram();
  for (const v of values) {
    h.slots[Math.min(v, 7)]++;
    h.count++;
    h.sumNs += v;
    h.maxNs = Math.max(h.maxNs, v);
  }
  return h;
}

describe('softirq names and --vector', () => {
  it('names vectors in /proc/softirqs order (the kernel lists them by number)', () => {
    expect(softirqNames(PROC_SOFTIRQS)).toEqual(['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU']);
  });
  it('takes names in any case, refuses unknown ones as usage errors listing the real ones', () => {
    const names = softirqNames(PROC_SOFTIRQS);
    expect(parseVectors('net_rx,Timer', names)).toEqual(['NET_RX', 'TIMER']);
    expect(parseVectors(undefined, names)).toEqual([]);
    expect(() => parseVectors('net_rx,netrx', names)).toThrow(HuatuoError);
    expect(() => parseVectors('netrx', names)).toThrow(/no softirq "netrx" \(this kernel has hi, timer, net_tx, net_rx/);
  });
});

describe('softnet_stat', () => {
  // 6.x: 13 columns, the last is the CPU (here CPU 1 is offline: lines skip it).
  const now = '0061a8c0 00000002 00000005 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n' +
    '00000010 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002\n';
  it('reads processed, dropped and time_squeeze (hex) per CPU, the CPU from the last column', () => {
    expect(parseSoftnet(now)).toEqual([
      { cpu: 0, processed: 0x61a8c0, dropped: 2, time_squeeze: 5 },
      { cpu: 2, processed: 16, dropped: 0, time_squeeze: 1 },
    ]);
  });
  it('older kernels (11 columns): lines in CPU order', () => {
    expect(parseSoftnet('00000001 00000000 00000000 0 0 0 0 0 0 0 0\n00000002 00000000 00000000 0 0 0 0 0 0 0 0\n').map((r) => r.cpu)).toEqual([0, 1]);
  });
  it('deltas per CPU, across the u32 wrap; a CPU seen first counts from zero', () => {
    const prev = [{ cpu: 0, processed: 0xfffffff0, dropped: 1, time_squeeze: 0 }];
    const cur = [{ cpu: 0, processed: 0x10, dropped: 3, time_squeeze: 0 }, { cpu: 1, processed: 7, dropped: 0, time_squeeze: 0 }];
    expect(softnetDelta(cur, prev)).toEqual([
      { cpu: 0, processed: 0x20, dropped: 2, time_squeeze: 0 },
      { cpu: 1, processed: 7, dropped: 0, time_squeeze: 0 },
    ]);
  });
});

describe('rows with several histograms and counts', () => {
  const row = (key: string, handler: number[], delay: number[], ksoftirqd: number) => ({ key, hist: hist(...handler), hists: { delay: hist(...delay) }, counts: { ksoftirqd } });

  it('merges rows sharing a key: every histogram and count adds up', () => {
    const [m] = mergeRowsByKey([row('a', [1, 2], [3], 1), row('a', [4], [5, 6], 2)]);
    expect(m.hist.count).toBe(3);
    expect(m.hists!.delay.count).toBe(3);
    expect(m.hists!.delay.sumNs).toBe(14);
    expect(m.counts!.ksoftirqd).toBe(3);
  });

  it('intervals: what each row gained, a row with only new delays or counts included, an unchanged one left out', () => {
    const iv = new IntervalRows<ReturnType<typeof row>>();
    expect(iv.delta([row('a', [1], [1], 0), row('b', [2], [], 0)]).map((r) => r.key)).toEqual(['a', 'b']);
    const d = iv.delta([row('a', [1], [1, 3], 4), row('b', [2], [], 0)]);
    expect(d.map((r) => r.key)).toEqual(['a']);
    expect(d[0].hist.count).toBe(0);
    expect(d[0].hists!.delay.count).toBe(1);
    expect(d[0].hists!.delay.sumNs).toBe(3);
    expect(d[0].counts!.ksoftirqd).toBe(4);
  });
});
