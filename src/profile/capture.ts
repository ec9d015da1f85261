// A profile capture's `data` (docs/capture-format.md, docs/schemas/profile-data.schema.json):
// the run's samples in the records' naming (snake_case keys, null for what is not known),
// and back to the model's samples for `huatuo report`. Version 1 captures (camelCase
// `cgroupId`, absent pod/namespace/container/module) are read too.
import type { Frame, FrameKind, ProfileSample } from '../model/stack.js';
import type { StackErrors } from '../tools/profile.js';
import type { BrokenStackReport } from '../symbolize/index.js';

export interface ProfileCaptureMeta {
  event: string;
  frequency_hz: number | null;
  period: number | null;
  group_by: string;
  per_pid: boolean;
  duration_s: number;
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
}

export interface ProfileCaptureData {
  meta: ProfileCaptureMeta;
  samples: CaptureSample[];
  total_samples: number;
  stack_errors: StackErrors;
  broken_stacks: BrokenStackReport[];
}

/** What a run hands over (a ProfileSnapshot has these fields). */
export interface ProfileRun {
  samples: ProfileSample[];
  totalSamples: number;
  errors: StackErrors;
  broken: BrokenStackReport[];
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** A model sample (or a version 1 capture's, the same shape) as a capture sample: snake_case, null for unknown. */
function captureSample(s: Pick<ProfileSample, 'tgid' | 'pid' | 'comm' | 'cgroupId' | 'pod' | 'namespace' | 'container' | 'count'> & { frames: Array<{ name: string; kind: FrameKind; module?: string }> }): CaptureSample {
  return {
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
}

/** The run as a capture's `data`. */
export function profileCaptureData(meta: ProfileCaptureMeta, run: ProfileRun): ProfileCaptureData {
  return {
    meta,
    samples: run.samples.map(captureSample),
    total_samples: run.totalSamples,
    stack_errors: run.errors,
    broken_stacks: run.broken,
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
    return out;
  });
}

/** Version 1's `data` (already checked against profile-data-v1.schema.json) in version 2's shape. */
export function profileDataFromV1(v1: Record<string, unknown>): ProfileCaptureData {
  type V1Sample = Omit<CaptureSample, 'cgroup_id' | 'pod' | 'namespace' | 'container' | 'frames'> & {
    cgroupId: number; pod?: string; namespace?: string; container?: string; frames: Array<{ name: string; kind: FrameKind; module?: string }>;
  };
  const data = v1 as unknown as Omit<ProfileCaptureData, 'samples'> & { samples: V1Sample[] };
  return {
    ...data,
    // A version 1 sample is the model's own shape (camelCase, absent for unknown).
    samples: data.samples.map(captureSample),
  };
}
