import { describe, it, expect } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { toPprof } from '../../../src/flamegraph/index.js';
import { samplesToPprof } from '../../../src/flamegraph/pprof.js';
import { pprofSamples } from '../../../src/profile/fold.js';
import { profileCaptureData, samplesFromCapture } from '../../../src/profile/capture.js';
import type { CodeLocation, CodeMapping, FoldedStack, ProfileSample } from '../../../src/model/stack.js';
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

describe('pprofFromSamples: mappings, addresses and labels', () => {
  const app: CodeMapping = { file: '/srv/app', buildId: 'ab12', start: 0x1000n, limit: 0x3000n, offset: 0x1000n, native: true };
  const libc: CodeMapping = { file: '/lib/libc.so.6', start: 0x26000n, limit: 0x17c000n, offset: 0x26000n, native: true };
  const kernel: CodeMapping = { file: '[kernel.kallsyms]', start: 0xfff0000000000000n, limit: 0xfffffffffffff000n, offset: 0n, native: false };
  const at = (mapping: CodeMapping, address: bigint): CodeLocation => ({ mapping, address });
  const sample = (tgid: number, comm: string, pod: string | undefined, frames: Array<[string, CodeLocation | null]>, count: number): ProfileSample => ({
    tgid, pid: tgid + 1, comm, cgroupId: 1, count, ...(pod ? { pod, namespace: 'shop', container: 'web' } : {}),
    frames: frames.map(([name, l]) => ({ name, kind: l?.mapping === kernel ? 'kernel' : 'user' })),
    locations: frames.map(([, l]) => l),
  });
  const samples = [
    sample(10, 'app', 'checkout', [['main', at(app, 0x1100n)], ['work', at(app, 0x1200n)], ['read', at(libc, 0x30000n)], ['vfs_read', at(kernel, 0xffffffff81000000n)]], 5),
    sample(20, 'app', undefined, [['main', at(app, 0x1100n)], ['work', at(app, 0x1234n)], ['jitted', null]], 3),
  ];
  const p = decode(samplesToPprof(pprofSamples(samples, 'process'), { periodNs: 1000 }));
  const s = (i: number | bigint): string => p.stringTable.strings[Number(i)];

  it('has one mapping per binary, the heaviest native one first, unsymbolized only where pprof can read the binary', () => {
    expect(p.mapping.map((m) => [s(m.filename), s(m.buildId), Number(m.memoryStart), Number(m.memoryLimit), Number(m.fileOffset), m.hasFunctions])).toEqual([
      ['/srv/app', 'ab12', 0x1000, 0x3000, 0x1000, false],
      ['/lib/libc.so.6', '', 0x26000, 0x17c000, 0x26000, false],
      ['[kernel.kallsyms]', '', Number(0xfff0000000000000n), Number(0xfffffffffffff000n), 0, true],
    ]);
  });

  it('gives each frame its address; two addresses in one function are two locations of one function', () => {
    const loc = new Map(p.location.map((l) => [Number(l.id), l]));
    const fn = new Map(p.function.map((f) => [Number(f.id), s(f.systemName)]));
    const frames = (i: number) => p.sample[i].locationId.map((id) => {
      const l = loc.get(Number(id))!;
      return `${fn.get(Number(l.line[0].functionId))}@${Number(l.mappingId)}:${BigInt(l.address).toString(16)}`;
    }).reverse();
    expect(frames(0)).toEqual(['app@0:0', 'main@1:1100', 'work@1:1200', 'read@2:30000', 'vfs_read_[k]@3:ffffffff81000000']);
    expect(frames(1)).toEqual(['app@0:0', 'main@1:1100', 'work@1:1234', 'jitted@0:0']);
    expect(p.function.filter((f) => s(f.systemName) === 'work')).toHaveLength(1);
  });

  it('labels each sample with pid, tid, comm and, in a pod, namespace, pod and container', () => {
    const labels = (i: number) => Object.fromEntries(p.sample[i].label.map((l) => [s(l.key), Number(l.str) ? s(l.str) : Number(l.num)]));
    expect(labels(0)).toEqual({ pid: 10, tid: 11, comm: 'app', namespace: 'shop', pod: 'checkout', container: 'web' });
    expect(labels(1)).toEqual({ pid: 20, tid: 21, comm: 'app' });
    expect(p.sample.map((x) => x.value.map(Number))).toEqual([[5, 5000], [3, 3000]]);
  });

  it('survives a capture: the same bytes from the run and from report', () => {
    const data = profileCaptureData({ event: 'cpu-clock', frequency_hz: 99, period: null, group_by: 'process', per_pid: false, duration_s: 1 },
      { samples, totalSamples: 8, errors: {} as never, broken: [] });
    const again = JSON.parse(JSON.stringify(data)) as typeof data;
    expect(again.mappings).toHaveLength(3);
    const a = samplesToPprof(pprofSamples(samples, 'pod'), { periodNs: 1000 });
    const b = samplesToPprof(pprofSamples(samplesFromCapture(again), 'pod'), { periodNs: 1000 });
    expect(b.equals(a)).toBe(true);
  });
});
