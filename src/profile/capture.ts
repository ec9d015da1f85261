// A profile capture's `data` (docs/capture-format.md, docs/schemas/profile-data.schema.json):
// the run's samples in the records' naming (snake_case keys, null for what is not known),
// and back to the model's samples for `huatuo report`. Version 1 captures (camelCase
// `cgroupId`, absent pod/namespace/container/module) are read too.
import type { Frame, FrameKind, LockSite, ProfileKind, ProfileSample } from '../model/stack.js';
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
}

export interface ProfileCaptureData {
  meta: ProfileCaptureMeta;
  samples: CaptureSample[];
  total_samples: number;
  stack_errors: StackErrors;
  broken_stacks: BrokenStackReport[];
  /** Per leaf binary: weight of stacks with a frameless gap, recovered or lost (absent before it was counted). */
  frameless?: FramelessReport[];
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

/** A model sample (or a version 1 capture's, the same shape) as a capture sample: snake_case, null for unknown. */
function captureSample(s: Pick<ProfileSample, 'tgid' | 'pid' | 'comm' | 'cgroupId' | 'pod' | 'namespace' | 'container' | 'count' | 'runqueue' | 'lock'> & { frames: Array<{ name: string; kind: FrameKind; module?: string }> }): CaptureSample {
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
  return out;
}

/** The run as a capture's `data`. */
export function profileCaptureData(meta: ProfileCaptureMeta, run: ProfileRun): ProfileCaptureData {
  return {
    meta,
    samples: run.samples.map(captureSample),
    total_samples: run.totalSamples,
    stack_errors: run.errors,
    broken_stacks: run.broken,
    ...(run.frameless ? { frameless: run.frameless } : {}),
  };
}

/** A capture's samples as the model's (for folding into flame graphs). */
export function samplesFromCapture(data: ProfileCaptureData): ProfileSample[] {
  return data.samples.map((s) => {
    const frames: Frame[] = s.frames.map((f) => (f.module === null ? { name: f.name, kind: f.kind } : { name: f.name, kind: f.kind, module: f.module }));
    const out: ProfileSample = { tgid: s.tgid, pid: s.pid, comm: s.comm, cgroupId: s.cgroup_id, frames, count: s.count };
    if (s.pod !== null) out.pod = s.pod;
    if (s.namespace !== null) out.namespace = s.namespace;
    if (s.container !== null) out.container = s.container;
    if (s.runqueue) out.runqueue = true;
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
  type V1Sample = Omit<CaptureSample, 'cgroup_id' | 'pod' | 'namespace' | 'container' | 'frames' | 'runqueue' | 'lock'> & {
    cgroupId: number; pod?: string; namespace?: string; container?: string; frames: Array<{ name: string; kind: FrameKind; module?: string }>;
  };
  const data = v1 as unknown as Omit<ProfileCaptureData, 'samples'> & { samples: V1Sample[] };
  return {
    ...data,
    // A version 1 sample is the model's own shape (camelCase, absent for unknown).
    samples: data.samples.map(captureSample),
  };
}
