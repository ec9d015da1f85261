// pprof's profile.proto, gzipped, as `go tool pprof`, Grafana Pyroscope and Parca read it.
// CPU profiles have two sample types: samples/count and cpu/nanoseconds (count × period);
// the other kinds one, their own weight (offcpu/nanoseconds, lock/nanoseconds, page_faults/count).
//
// Two inputs. Symbolized samples (a run, a capture): each frame whose code is known becomes a
// Location at its address in a real Mapping (the binary's path, build-id and executable
// segment, in the binary's own address space, so one mapping serves every process that loaded
// it), and pid, tid, comm, namespace, pod and container become sample labels (-tagfocus,
// Pyroscope's labels). Native user mappings are left marked unsymbolized, with our names in
// their Lines: where the binary is at hand (same build-id) pprof symbolizes them again with
// file and line (-lines, -disasm); elsewhere it keeps our names. Collapsed stacks (a folded
// file) have no addresses: each distinct label is one Function and one Location.
//
// Function.name is the name without its `_[k]`/`_[j]` suffix, Function.system_name the
// collapsed label itself (so stacks round-trip), and kernel frames get the filename
// "[kernel.kallsyms]" as perf names the kernel. Sample locations are leaf first, as pprof wants.
// pprof values are integers: with fractional counts (weighted collapsed input) the cpu value
// keeps the weight (count × period, rounded to a nanosecond) and samples/count is rounded to
// the nearest integer, so go tool pprof's default (cpu) view matches the flame graph.
import { gzipSync } from 'node:zlib';
import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { usageError } from '../errors.js';
import type { CodeLocation, CodeMapping, FoldedStack } from '../model/stack.js';
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

/** One frame of a symbolized stack: its collapsed label and, when known, where its code is. */
export interface PprofFrame {
  label: string;
  location?: CodeLocation | null;
}

/** A string label (comm=nginx) or a numeric one (pid=1234). */
export type PprofLabel = { key: string; str: string } | { key: string; num: number };

export interface PprofSample {
  /** Root first. */
  frames: PprofFrame[];
  count: number;
  labels?: PprofLabel[];
}

/** The string table, functions and locations of one profile being built. */
class Tables {
  readonly strings = new StringTable();
  readonly functions: PFunction[] = [];
  readonly locations: Location[] = [];
  private readonly kernelFile: number;
  private readonly functionIds = new Map<string, number>();

  constructor() {
    this.kernelFile = this.str(KERNEL_FILENAME);
  }

  str(s: string): number {
    return this.strings.dedup(s);
  }

  /** The Function of a collapsed label, made the first time it is seen. */
  functionOf(label: string): number {
    let id = this.functionIds.get(label);
    if (id === undefined) {
      id = this.functions.length + 1;
      this.functions.push(new PFunction({ id, name: this.str(displayName(label)), systemName: this.str(label), filename: labelKind(label) === 'kernel' ? this.kernelFile : 0 }));
      this.functionIds.set(label, id);
    }
    return id;
  }

  location(mappingId: number, address: bigint, label: string): number {
    const id = this.locations.length + 1;
    this.locations.push(new Location({ id, mappingId, address, line: [new Line({ functionId: this.functionOf(label) })] }));
    return id;
  }
}

function checkPeriod(opts: PprofOptions): number {
  const period = Math.round(opts.periodNs);
  if (!Number.isFinite(opts.periodNs) || period < 1) throw usageError(`pprof sampling period must be ≥ 1 ns, got ${String(opts.periodNs)}`);
  return period;
}

/** A sample's values: [weight], or [samples, cpu ns] for CPU profiles. */
function sampleValues(count: number, period: number, opts: PprofOptions): Array<number | bigint> {
  if (opts.weight) return [Math.round(count)];
  const ns = Math.round(count * period);
  return [Math.round(count), Number.isSafeInteger(ns) ? ns : BigInt(Math.round(count)) * BigInt(period)];
}

function finish(t: Tables, samples: Sample[], mappings: Mapping[], period: number, opts: PprofOptions): Profile {
  const weight = opts.weight;
  const types = weight
    ? [new ValueType({ type: t.str(weight.type), unit: t.str(weight.unit) })]
    : [new ValueType({ type: t.str('samples'), unit: t.str('count') }), new ValueType({ type: t.str('cpu'), unit: t.str('nanoseconds') })];
  const periodType = types[types.length - 1];
  return new Profile({
    sampleType: types,
    sample: samples,
    mapping: mappings,
    location: t.locations,
    function: t.functions,
    stringTable: t.strings,
    timeNanos: opts.timeNanos ?? 0,
    durationNanos: opts.durationNanos ?? 0,
    periodType,
    period: weight ? 1 : period,
    comment: (opts.comments ?? []).map((c) => t.str(c)),
    defaultSampleType: periodType.type,
  });
}

/** The profile of collapsed stacks (no addresses), not yet encoded. */
export function pprofProfile(stacks: readonly FoldedStack[], opts: PprofOptions): Profile {
  checkStacks(stacks);
  const period = checkPeriod(opts);
  const t = new Tables();
  const mapping = new Mapping({ id: 1, filename: t.str('huatuo'), hasFunctions: true });
  // Function and Location i + 1 are the i-th label in sorted order.
  const sorted = sortStacks(stacks, false);
  for (const label of sorted.labels) t.location(1, 0n, label);
  const samples: Sample[] = [];
  for (const { ranks, count } of mergedStacks(sorted)) {
    const ids = new Array<number>(ranks.length);
    for (let d = 0; d < ranks.length; d++) ids[ranks.length - 1 - d] = ranks[d] + 1; // leaf first
    samples.push(new Sample({ locationId: ids, value: sampleValues(count, period, opts) }));
  }
  return finish(t, samples, [mapping], period, opts);
}

/**
 * The profile of symbolized samples, with mappings, addresses and labels, not yet encoded.
 * The first mapping (pprof's "main binary") is the native binary with the most weight.
 */
export function pprofFromSamples(input: readonly PprofSample[], opts: PprofOptions): Profile {
  const period = checkPeriod(opts);
  const t = new Tables();
  const weightOf = new Map<CodeMapping, number>();
  for (const s of input) {
    for (const m of new Set(s.frames.map((f) => f.location?.mapping))) if (m) weightOf.set(m, (weightOf.get(m) ?? 0) + s.count);
  }
  const order = [...weightOf.keys()].sort((a, b) => Number(b.native) - Number(a.native) || weightOf.get(b)! - weightOf.get(a)! || (a.file < b.file ? -1 : a.file > b.file ? 1 : Number(a.start - b.start)));
  const mappingId = new Map(order.map((m, i) => [m, i + 1]));
  const mappings = order.map((m, i) => new Mapping({
    id: i + 1,
    memoryStart: m.start,
    memoryLimit: m.limit,
    fileOffset: m.offset,
    filename: t.str(m.file),
    buildId: m.buildId ? t.str(m.buildId) : 0,
    // Unset for native code: pprof symbolizes it again from the binary when it has it.
    hasFunctions: !m.native,
  }));
  const located = new Map<string, number>();
  const unlocated = new Map<string, number>();
  const samples: Sample[] = [];
  for (const s of input) {
    if (!(s.count > 0)) continue;
    const ids = new Array<number>(s.frames.length);
    s.frames.forEach((f, d) => {
      const loc = f.location;
      let id: number | undefined;
      if (loc) {
        const m = mappingId.get(loc.mapping)!;
        const key = `${m}:${loc.address.toString(16)}:${f.label}`;
        id = located.get(key);
        if (id === undefined) located.set(key, (id = t.location(m, loc.address, f.label)));
      } else {
        id = unlocated.get(f.label);
        if (id === undefined) unlocated.set(f.label, (id = t.location(0, 0n, f.label)));
      }
      ids[s.frames.length - 1 - d] = id; // leaf first
    });
    const label = (s.labels ?? []).map((l) => ('str' in l ? new Label({ key: t.str(l.key), str: t.str(l.str) }) : new Label({ key: t.str(l.key), num: l.num })));
    samples.push(new Sample({ locationId: ids, value: sampleValues(s.count, period, opts), label }));
  }
  return finish(t, samples, mappings, period, opts);
}

/** Gzipped profile.proto bytes of collapsed stacks. */
export function toPprof(stacks: readonly FoldedStack[], opts: PprofOptions): Buffer {
  return gzipSync(pprofProfile(stacks, opts).encode());
}

/** Gzipped profile.proto bytes of symbolized samples. */
export function samplesToPprof(samples: readonly PprofSample[], opts: PprofOptions): Buffer {
  return gzipSync(pprofFromSamples(samples, opts).encode());
}
