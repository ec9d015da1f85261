import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { packagePath } from '../../../src/paths.js';
import { cpuShares, diskLoad, parseCpuacctV1, parseCpuStatV2, parseDiskstats, parseDrops, parseMeminfo, parsePressure, parseProcStat } from '../../../src/autotrace/procfs.js';
import { quotaCores } from '../../../src/autotrace/signals.js';

const fixture = (name: string) => readFileSync(packagePath('test', 'fixtures', 'autotrace', name), 'utf8');

describe('autotrace procfs parsers (files from this VM)', () => {
  it('/proc/stat: the aggregate cpu line, run queue and D-state counts; shares between two reads', () => {
    const a = parseProcStat(fixture('stat'));
    expect(a.cpu).toEqual({ user: 119339, nice: 432, system: 44497, idle: 2204705, iowait: 2277, irq: 0, softirq: 2946, steal: 0 });
    expect([a.running, a.blocked]).toEqual([1, 0]);
    const b = structuredClone(a);
    b.cpu.user += 30; b.cpu.nice += 10; b.cpu.system += 40; b.cpu.idle += 100; b.cpu.softirq += 20;
    expect(cpuShares(a, b)).toEqual({ user: 20, sys: 20, iowait: 0, softirq: 10, irq: 0, idle: 50 });
    expect(cpuShares(a, a)).toBeNull();
    expect(() => parseProcStat('intr 1 2\n')).toThrow(/no aggregate cpu line/);
  });

  it('pressure: some and full with the total stall; some only where full is absent', () => {
    expect(parsePressure(fixture('pressure-io'))).toEqual({
      some: { avg10: 0, avg60: 0.04, avg300: 0, totalUs: 19401986 },
      full: { avg10: 0, avg60: 0.04, avg300: 0, totalUs: 15527622 },
    });
    expect(parsePressure('some avg10=1.50 avg60=0.20 avg300=0.00 total=42\n')).toEqual({ some: { avg10: 1.5, avg60: 0.2, avg300: 0, totalUs: 42 } });
  });

  it('meminfo in kB by name', () => {
    const m = parseMeminfo(fixture('meminfo'));
    expect([m.get('MemTotal'), m.get('MemAvailable'), m.get('AnonPages')]).toEqual([24683548, 24299600, 4760]);
  });

  it('diskstats: whole disks only, and utilisation and await of the busiest between two reads', () => {
    const a = parseDiskstats(fixture('diskstats'));
    expect(a.map((d) => d.name)).toEqual(['vda']); // loop, zram and partitions left out
    expect(a[0]).toEqual({ name: 'vda', ios: 84558 + 31206, ioMs: 72724 + 49784, busyMs: 33488 });
    const b = [{ ...a[0], ios: a[0].ios + 50, ioMs: a[0].ioMs + 500, busyMs: a[0].busyMs + 900 }];
    expect(diskLoad(a, b, 1000)).toEqual({ util: 90, awaitMs: 10, disk: 'vda' });
    expect(parseDiskstats(' 8 1 sda1 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n 259 1 nvme0n1p1 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n')).toEqual([]);
  });

  it('drops: softnet backlog (hex, every CPU) plus IP discards and UDP receive errors', () => {
    expect(parseDrops(fixture('snmp'), fixture('softnet_stat'))).toBe(0xebe71 + 1620000);
  });

  it('cgroup CPU: v2 cpu.stat; v1 cpuacct in ticks and cpu.stat throttling in ns; quotas', () => {
    expect(parseCpuStatV2(fixture('cpu.stat-v2'))).toEqual({ usageUs: 1672208000, userUs: 1197736000, systemUs: 474472000, throttledPeriods: 0, throttledUs: 0 });
    const v1 = parseCpuacctV1(fixture('cpuacct.usage'), fixture('cpuacct.stat'), 'nr_periods 10\nnr_throttled 4\nthrottled_time 2500000\n');
    expect(v1).toEqual({ usageUs: 1701651845.699, userUs: 1218810000, systemUs: 482820000, throttledPeriods: 4, throttledUs: 2500 });
    expect(quotaCores('50000 100000\n')).toBe(0.5);
    expect(quotaCores('max 100000\n', '-1', '100000')).toBeUndefined();
    expect(quotaCores(undefined, '200000', '100000')).toBe(2);
  });
});
