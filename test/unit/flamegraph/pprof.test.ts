import { describe, it, expect } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { toPprof } from '../../../src/flamegraph/index.js';
import type { FoldedStack } from '../../../src/model/stack.js';
import { pathTotals, randomStacks } from './helpers.js';

function decode(buf: Uint8Array): Profile {
  expect([buf[0], buf[1]]).toEqual([0x1f, 0x8b]); // gzip
  return Profile.decode(gunzipSync(buf));
}

describe('toPprof', () => {
  const stacks = randomStacks(4, 500);
  const period = 1e9 / 99;
  const buf = toPprof(stacks, { periodNs: period, durationNanos: 30e9, comments: ['huatuo profile -d 30'] });
  const p = decode(buf);
  const s = (i: number | bigint): string => p.stringTable.strings[Number(i)];

  it('declares samples/count and cpu/nanoseconds with the period', () => {
    expect(p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`)).toEqual(['samples/count', 'cpu/nanoseconds']);
    expect(`${s(p.periodType!.type)}/${s(p.periodType!.unit)}`).toBe('cpu/nanoseconds');
    expect(Number(p.period)).toBe(Math.round(period));
    expect(Number(p.durationNanos)).toBe(30e9);
    expect(p.comment.map(s)).toEqual(['huatuo profile -d 30']);
  });

  it('decodes back to the same stacks and totals', () => {
    const fn = new Map(p.function.map((f) => [Number(f.id), f]));
    const loc = new Map(p.location.map((l) => [Number(l.id), l]));
    let samples = 0;
    let cpu = 0n;
    const back: FoldedStack[] = p.sample.map((smp) => {
      samples += Number(smp.value[0]);
      cpu += BigInt(smp.value[1]);
      expect(BigInt(smp.value[1])).toBe(BigInt(smp.value[0]) * BigInt(Math.round(period)));
      // pprof lists locations leaf first
      const frames = smp.locationId.map((id) => s(fn.get(Number(loc.get(Number(id))!.line[0].functionId))!.systemName)).reverse();
      return { frames, count: Number(smp.value[0]) };
    });
    const total = stacks.reduce((n, x) => n + x.count, 0);
    expect(samples).toBe(total);
    expect(cpu).toBe(BigInt(total) * BigInt(Math.round(period)));
    expect(pathTotals(back)).toEqual(pathTotals(stacks));
  });

  it('names functions without the suffix and files kernel frames under [kernel.kallsyms]', () => {
    const q = decode(toPprof([{ frames: ['app', 'read', 'vfs_read_[k]', 'x_[j]'], count: 2 }], { periodNs: 1000 }));
    const str = (i: number | bigint): string => q.stringTable.strings[Number(i)];
    const fns = q.function.map((f) => [str(f.name), str(f.systemName), str(f.filename)]);
    expect(fns).toEqual([
      ['app', 'app', ''],
      ['read', 'read', ''],
      ['vfs_read', 'vfs_read_[k]', '[kernel.kallsyms]'],
      ['x', 'x_[j]', ''],
    ]);
    expect(q.sample[0].locationId.map(Number)).toEqual([4, 3, 2, 1]);
  });

  it('keeps large cpu values exact', () => {
    const q = decode(toPprof([{ frames: ['a'], count: 2_000_000_000 }], { periodNs: 1e9 }));
    expect(BigInt(q.sample[0].value[1])).toBe(2_000_000_000n * 1_000_000_000n);
  });

  it('rejects a bad period and empty input', () => {
    expect(() => toPprof(stacks, { periodNs: 0 })).toThrow(/period/);
    expect(() => toPprof([], { periodNs: 1000 })).toThrow(/no samples/);
  });
});
