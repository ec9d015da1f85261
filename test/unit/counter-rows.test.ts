// The kit's counter shape (netdrop's rows): counts without a histogram, with per-second
// rates, through intervals, merging and the collector's snapshots; and the counter side
// tables (device drop counters) read from a fixture sysfs.
import { describe, expect, it } from 'vitest';
import { IntervalRows, hasValues, mergeRowsByKey, rowCount, rowDelta, withRates } from '../../src/histogram/bpf-hist.js';
import { CounterTable, deviceDropsDelta, readDeviceDrops } from '../../src/tools/counter-tables.js';
import { packagePath } from '../../src/paths.js';

type Row = { key: string; counts: { packets: number; bytes: number }; rates?: Record<string, number> };
const row = (key: string, packets: number, bytes: number): Row => ({ key, counts: { packets, bytes } });

describe('counter rows', () => {
  it('count what they counted (the first count), with no histogram anywhere', () => {
    expect(rowCount(row('a', 5, 100))).toBe(5);
    expect(hasValues(row('a', 0, 0))).toBe(false);
    expect(hasValues(row('a', 1, 0))).toBe(true);
  });

  it('intervals: each row\'s gain, unchanged rows left out, new rows whole', () => {
    const iv = new IntervalRows<Row>();
    expect(iv.delta([row('a', 5, 100)])).toEqual([row('a', 5, 100)]);
    expect(iv.delta([row('a', 5, 100), row('b', 2, 40)])).toEqual([row('b', 2, 40)]);
    expect(iv.delta([row('a', 9, 180), row('b', 2, 40)])).toEqual([row('a', 4, 80)]);
    expect(rowDelta(row('a', 9, 180), row('a', 9, 180))).toBeUndefined();
  });

  it('merge by key adds the counts; rates are per second of the window', () => {
    const [m] = mergeRowsByKey([row('a', 1, 10), row('a', 2, 20)]);
    expect(m).toEqual(row('a', 3, 30));
    expect(withRates(m, ['packets', 'bytes'], 2).rates).toEqual({ packets: 1.5, bytes: 15 });
    expect(withRates(m, ['packets'], 0).rates).toEqual({ packets: 0 });
  });
});

describe('device drop counters', () => {
  const root = packagePath('test', 'fixtures', 'netdrop', 'sys-class-net');

  it('reads rx_dropped/tx_dropped of every device, sorted by name', () => {
    expect(readDeviceDrops(root)).toEqual([{ dev: 'eth0', rx_dropped: 17, tx_dropped: 3 }, { dev: 'lo', rx_dropped: 0, tx_dropped: 0 }]);
    expect(readDeviceDrops(`${root}/nope`)).toEqual([]);
  });

  it('deltas per device; a device seen first counts from zero; tables keep only devices that dropped', () => {
    const prev = [{ dev: 'eth0', rx_dropped: 10, tx_dropped: 3 }];
    expect(deviceDropsDelta(readDeviceDrops(root), prev)).toEqual([{ dev: 'eth0', rx_dropped: 7, tx_dropped: 0 }, { dev: 'lo', rx_dropped: 0, tx_dropped: 0 }]);
    let reading = prev;
    const t = new CounterTable('devices', 'device drops', () => reading, deviceDropsDelta, (r) => r.rx_dropped > 0 || r.tx_dropped > 0);
    reading = [{ dev: 'eth0', rx_dropped: 12, tx_dropped: 3 }];
    const first = t.tables();
    expect(first.interval.rows).toEqual([{ dev: 'eth0', rx_dropped: 2, tx_dropped: 0 }]);
    const second = t.tables();
    expect(second.interval.rows).toEqual([]); // nothing new: not shown
    expect(second.total.rows).toEqual([{ dev: 'eth0', rx_dropped: 2, tx_dropped: 0 }]);
  });
});
