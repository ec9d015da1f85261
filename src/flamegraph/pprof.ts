// pprof's profile.proto, gzipped, as `go tool pprof`, Grafana Pyroscope and Parca read it.
// CPU profiles have two sample types: samples/count and cpu/nanoseconds (count × period);
// the other kinds one, their own weight (offcpu/nanoseconds, lock/nanoseconds, page_faults/count). Each distinct frame
// label is one Function and one Location (no addresses: symbolization already happened).
// Function.name is the name without its `_[k]`/`_[j]` suffix, Function.system_name the
// collapsed label itself (so stacks round-trip), and kernel frames get the filename
// "[kernel.kallsyms]" as perf names the kernel. Sample locations are leaf first, as pprof wants.
// pprof values are integers: with fractional counts (weighted collapsed input) the cpu value
// keeps the weight (count × period, rounded to a nanosecond) and samples/count is rounded to
// the nearest integer, so go tool pprof's default (cpu) view matches the flame graph.
import { gzipSync } from 'node:zlib';
import { Function as PFunction, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { usageError } from '../errors.js';
import type { FoldedStack } from '../model/stack.js';
import { displayName, labelKind } from './frame.js';
import { mergedStacks, sortStacks } from './sorted.js';
import { checkStacks } from './stacks.js';

export const KERNEL_FILENAME = '[kernel.kallsyms]';

export interface PprofOptions {
  /** Nanoseconds of CPU time one sample stands for (1e9 / frequency); rounded to an integer. */
  periodNs: number;
  /**
   * Counts that are weights of their own (off-CPU/lock nanoseconds, page faults): one sample
   * type of this type/unit, the counts as they are. Absent: CPU samples (samples/count, cpu/nanoseconds).
   */
  weight?: { type: string; unit: string };
  /** When the profile started, ns since the epoch (default 0: renders are reproducible). */
  timeNanos?: number | bigint;
  durationNanos?: number | bigint;
  /** Free-form comments, e.g. the command line. */
  comments?: string[];
}

/** The profile, not yet encoded. */
export function pprofProfile(stacks: readonly FoldedStack[], opts: PprofOptions): Profile {
  checkStacks(stacks);
  const period = Math.round(opts.periodNs);
  if (!Number.isFinite(opts.periodNs) || period < 1) throw usageError(`pprof sampling period must be ≥ 1 ns, got ${String(opts.periodNs)}`);
  const strings = new StringTable();
  const str = (s: string): number => strings.dedup(s);

  const kernelFile = str(KERNEL_FILENAME);
  const mapping = new Mapping({ id: 1, filename: str('huatuo'), hasFunctions: true });
  // Function and Location i + 1 are the i-th label in sorted order.
  const sorted = sortStacks(stacks, false);
  const functions = sorted.labels.map((label, i) => new PFunction({
    id: i + 1,
    name: str(displayName(label)),
    systemName: str(label),
    filename: labelKind(label) === 'kernel' ? kernelFile : 0,
  }));
  const locations = sorted.labels.map((_, i) => new Location({ id: i + 1, mappingId: 1, line: [new Line({ functionId: i + 1 })] }));

  const samples: Sample[] = [];
  const weight = opts.weight;
  for (const { ranks, count } of mergedStacks(sorted)) {
    const ids = new Array<number>(ranks.length);
    for (let d = 0; d < ranks.length; d++) ids[ranks.length - 1 - d] = ranks[d] + 1; // leaf first
    if (weight) {
      samples.push(new Sample({ locationId: ids, value: [Math.round(count)] }));
      continue;
    }
    const ns = Math.round(count * period);
    const cpuNs = Number.isSafeInteger(ns) ? ns : BigInt(Math.round(count)) * BigInt(period);
    samples.push(new Sample({ locationId: ids, value: [Math.round(count), cpuNs] }));
  }

  if (weight) {
    const type = new ValueType({ type: str(weight.type), unit: str(weight.unit) });
    return new Profile({
      sampleType: [type],
      sample: samples,
      mapping: [mapping],
      location: locations,
      function: functions,
      stringTable: strings,
      timeNanos: opts.timeNanos ?? 0,
      durationNanos: opts.durationNanos ?? 0,
      periodType: type,
      period: 1,
      comment: (opts.comments ?? []).map(str),
      defaultSampleType: str(weight.type),
    });
  }
  const cpu = new ValueType({ type: str('cpu'), unit: str('nanoseconds') });
  return new Profile({
    sampleType: [new ValueType({ type: str('samples'), unit: str('count') }), cpu],
    sample: samples,
    mapping: [mapping],
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: opts.timeNanos ?? 0,
    durationNanos: opts.durationNanos ?? 0,
    periodType: cpu,
    period,
    comment: (opts.comments ?? []).map(str),
    defaultSampleType: str('cpu'),
  });
}

/** Gzipped profile.proto bytes. */
export function toPprof(stacks: readonly FoldedStack[], opts: PprofOptions): Buffer {
  return gzipSync(pprofProfile(stacks, opts).encode());
}
