// A profile capture's `data` (docs/capture-format.md, docs/schemas/profile-data.schema.json):
// the run's samples in the records' naming (snake_case keys, null for what is not known),
// and back to the model's samples for `huatuo report`. Version 1 captures (camelCase
// `cgroupId`, absent pod/namespace/container/module) are read too.
import type { CodeLocation, CodeMapping, Frame, FrameKind, LockSite, ProfileKind, ProfileSample } from '../model/stack.js';
import type { StackErrors } from '../tools/profile.js';
import type { BrokenStackReport } from '../symbolize/index.js';
import type { FramelessReport } from '../symbolize/frameless.js';

export interface ProfileCaptureMeta {
  /** What the counts weigh; absent in captures made before the kinds: cpu. */
  kind?: ProfileKind;
  event: string;
  frequency_hz: number | null;
  period: number | null;
  group_by: string;
  per_pid: boolean;
  duration_s: number;
  /** When sampling began, ms since the epoch (pprof's time_nanos; absent in older captures). */
  sampled_from_ms?: number;
  /** The flame graph's title and subtitle as the run drew them (report draws them again). */
  title?: string;
  subtitle?: string;
  /** off-cpu: the run's settings. */
  min_block_ns?: number;
  state?: string;
  include_runqueue?: boolean;
  /** page-faults: kernel-mode faults counted too. */
  kernel_faults?: boolean;
}

export interface CaptureFrame {
  name: string;
  kind: FrameKind;
  module: string | null;
}

export interface CaptureSample {
  tgid: number;
  pid: number;
  comm: string;
  cgroup_id: number;
  pod: string | null;
  namespace: string | null;
  container: string | null;
  frames: CaptureFrame[];
  count: number;
  /** off-cpu: run-queue time (only present when true). */
  runqueue?: boolean;
  /** lock: the contended lock. */
  lock?: { kind: string; addr: string; symbol: string | null };
  /** Parallel to frames: each frame's mapping (index into `mappings`) and address, or null. */
  locations?: Array<CaptureLocation | null>;
}

export interface CaptureMapping {
  file: string;
  build_id: string | null;
  /** Hex, as in the binary's own address space. */
  start: string;
  limit: string;
  offset: string;
  native: boolean;
}

export interface CaptureLocation {
  mapping: number;
  address: string;
}

export interface ProfileCaptureData {
  meta: ProfileCaptureMeta;
  samples: CaptureSample[];
  total_samples: number;
  stack_errors: StackErrors;
  broken_stacks: BrokenStackReport[];
  /** Per leaf binary: weight of stacks with a frameless gap, recovered or lost (absent before it was counted). */
  frameless?: FramelessReport[];
  /** The binaries `locations` point into (absent before addresses were kept). */
  mappings?: CaptureMapping[];
}

/** What a run hands over (a ProfileSnapshot has these fields). */
export interface ProfileRun {
  samples: ProfileSample[];
  totalSamples: number;
  errors: StackErrors;
  broken: BrokenStackReport[];
  frameless?: FramelessReport[];
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Mappings numbered in the order samples first use them. */
class MappingTable {
  readonly list: CaptureMapping[] = [];
  private readonly index = new Map<CodeMapping, number>();

  ref(m: CodeMapping): number {
    let i = this.index.get(m);
    if (i === undefined) {
      i = this.list.length;
      this.list.push({ file: m.file, build_id: orNull(m.buildId), start: hex(m.start), limit: hex(m.limit), offset: hex(m.offset), native: m.native });
      this.index.set(m, i);
    }
    return i;
  }
}

/** A model sample (or a version 1 capture's, the same shape) as a capture sample: snake_case, null for unknown. */
function captureSample(s: Pick<ProfileSample, 'tgid' | 'pid' | 'comm' | 'cgroupId' | 'pod' | 'namespace' | 'container' | 'count' | 'runqueue' | 'lock' | 'locations'> & { frames: Array<{ name: string; kind: FrameKind; module?: string }> }, mappings?: MappingTable): CaptureSample {
  const out: CaptureSample = {
    tgid: s.tgid,
    pid: s.pid,
    comm: s.comm,
    cgroup_id: s.cgroupId,
    pod: orNull(s.pod),
    namespace: orNull(s.namespace),
    container: orNull(s.container),
    frames: s.frames.map((f) => ({ name: f.name, kind: f.kind, module: orNull(f.module) })),
    count: s.count,
  };
  if (s.runqueue) out.runqueue = true;
  if (s.lock) out.lock = { kind: s.lock.kind, addr: s.lock.addr, symbol: orNull(s.lock.symbol) };
  if (s.locations && mappings) out.locations = s.locations.map((l) => (l ? { mapping: mappings.ref(l.mapping), address: hex(l.address) } : null));
  return out;
}

/** The run as a capture's `data`. */
export function profileCaptureData(meta: ProfileCaptureMeta, run: ProfileRun): ProfileCaptureData {
  const mappings = new MappingTable();
  const samples = run.samples.map((s) => captureSample(s, mappings));
  return {
    meta,
    samples,
    total_samples: run.totalSamples,
    stack_errors: run.errors,
    broken_stacks: run.broken,
    ...(run.frameless ? { frameless: run.frameless } : {}),
    ...(mappings.list.length ? { mappings: mappings.list } : {}),
  };
}

/** A capture's samples as the model's (for folding into flame graphs). */
export function samplesFromCapture(data: ProfileCaptureData): ProfileSample[] {
  // One object per mapping, as the run had them.
  const mappings: CodeMapping[] = (data.mappings ?? []).map((m) => ({
    file: m.file,
    ...(m.build_id !== null ? { buildId: m.build_id } : {}),
    start: BigInt(m.start),
    limit: BigInt(m.limit),
    offset: BigInt(m.offset),
    native: m.native,
  }));
  const located = (l: CaptureLocation | null): CodeLocation | null => {
    if (!l) return null;
    const mapping = mappings[l.mapping];
    if (!mapping) throw new Error(`profile capture: location names mapping ${l.mapping}, but there are ${mappings.length}`);
    return { mapping, address: BigInt(l.address) };
  };
  return data.samples.map((s) => {
    const frames: Frame[] = s.frames.map((f) => (f.module === null ? { name: f.name, kind: f.kind } : { name: f.name, kind: f.kind, module: f.module }));
    const out: ProfileSample = { tgid: s.tgid, pid: s.pid, comm: s.comm, cgroupId: s.cgroup_id, frames, count: s.count };
    if (s.pod !== null) out.pod = s.pod;
    if (s.namespace !== null) out.namespace = s.namespace;
    if (s.container !== null) out.container = s.container;
    if (s.runqueue) out.runqueue = true;
    if (s.locations) out.locations = s.locations.map(located);
    if (s.lock) {
      const lock: LockSite = { kind: s.lock.kind, addr: s.lock.addr };
      if (s.lock.symbol !== null) lock.symbol = s.lock.symbol;
      out.lock = lock;
    }
    return out;
  });
}

/** Version 1's `data` (already checked against profile-data-v1.schema.json) in version 2's shape. */
export function profileDataFromV1(v1: Record<string, unknown>): ProfileCaptureData {
  type V1Sample = Omit<CaptureSample, 'cgroup_id' | 'pod' | 'namespace' | 'container' | 'frames' | 'runqueue' | 'lock' | 'locations'> & {
    cgroupId: number; pod?: string; namespace?: string; container?: string; frames: Array<{ name: string; kind: FrameKind; module?: string }>;
  };
  const data = v1 as unknown as Omit<ProfileCaptureData, 'samples'> & { samples: V1Sample[] };
  return {
    ...data,
    // A version 1 sample is the model's own shape (camelCase, absent for unknown).
    samples: data.samples.map((s) => captureSample(s)),
  };
}
