// schedlat, the tool: options → BPF object (bpf/schedlat.bpf.c) → snapshots of per-key
// run-queue latency histograms and slow events. No CLI and no views here.
import { readFileSync } from 'node:fs';
import { hasTpBtf, kernelHasField } from '../bpf-loader/probe.js';
import type { FeatureResult } from './features.js';
import type { LatencyRow } from '../model/latency.js';
import type { SchedlatEvent } from '../model/schedlat.js';
import { HuatuoError, ExitCode } from '../errors.js';
import type { TaskFilter } from './filter.js';
import { HIST_SPEC, LatencySession } from './latency-session.js';
import { TASK_BY, TASK_KEY_SPEC, TaskKeyLabeller, taskKeyCode, type TaskBy, type TaskKey, type TaskKeyContext } from './task-key.js';

export const SCHEDLAT_BY = TASK_BY;
export type SchedlatBy = TaskBy;

/**
 * wakeup: runqlat's pair, timestamps at wakeup/preemption and switch-in (the default).
 * sched-info: one program on sched_switch reading the scheduler's own enqueue timestamp;
 * cheaper, but waits ended by a wakeup preemption read as 0 (the scheduler skips its
 * clock update there), so low percentiles differ from runqlat's (docs/schedlat.md).
 */
export const SCHEDLAT_METHODS = ['wakeup', 'sched-info'] as const;
export type SchedlatMethod = (typeof SCHEDLAT_METHODS)[number];

export interface SchedlatOptions {
  by: SchedlatBy;
  filter: TaskFilter;
  /** The hierarchy cgroup ids are taken in, and the resolver for pod/container names. */
  cgroups: TaskKeyContext;
  /** Emit each wait at or over this many ns as a slow event; 0 = none. */
  thresholdNs: number;
  method: SchedlatMethod;
  /** Cap on slow events per second per CPU (the rest are counted). */
  maxEventsPerSec: number;
}

/** One histogram row; which labels are set depends on --by. */
export type SchedlatRow = LatencyRow;

export type { SchedlatEvent } from '../model/schedlat.js';

const PROGRAMS = {
  'sched-info': { btf: ['schedlat_si_switch_btf'], raw: ['schedlat_si_switch_raw'] },
  wakeup: {
    btf: ['schedlat_wakeup_btf', 'schedlat_wakeup_new_btf', 'schedlat_switch_btf'],
    raw: ['schedlat_wakeup_raw', 'schedlat_wakeup_new_raw', 'schedlat_switch_raw'],
  },
} as const;

/**
 * Whether the scheduler keeps task_struct.sched_info live (CONFIG_SCHED_INFO, and before
 * 5.14 also schedstats or delay accounting): /proc/self/schedstat then counts our own
 * timeslices; it reads "0 0 0" otherwise.
 */
export function schedInfoLive(): boolean {
  if (!kernelHasField('task_struct', 'sched_info') || !kernelHasField('sched_info', 'last_queued')) return false;
  try {
    const [, , slices] = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    return slices > 0;
  } catch {
    return false;
  }
}

/** schedlat's own feature for `huatuo check`. */
export const schedlatProbes: Record<string, () => FeatureResult> = {
  sched_info: () => {
    const ok = schedInfoLive() && kernelHasField('cfs_rq', 'rq');
    return { ok, detail: ok ? 'kept live: schedlat --method sched-info works' : 'not kept: only schedlat --method wakeup' };
  },
};

/** Refuse sched-info where the kernel does not keep it. */
export function checkMethod(method: SchedlatMethod): SchedlatMethod {
  if (method === 'sched-info' && !(schedInfoLive() && kernelHasField('cfs_rq', 'rq'))) {
    throw new HuatuoError(
      '--method sched-info needs task_struct.sched_info kept live (CONFIG_SCHED_INFO) and cfs_rq.rq (CONFIG_FAIR_GROUP_SCHED): use --method wakeup',
      ExitCode.Unsupported,
    );
  }
  return method;
}

/** struct schedlat_event (bpf/schedlat.h) as TypeScript reads it. */
export const SCHEDLAT_EVENT_SPEC = {
  lat_ns: 'u64', ts_ns: 'u64', cgroup_id: 'u64', pid: 'u32', tgid: 'u32', prev_pid: 'u32', prev_tgid: 'u32',
  cpu: 'u32', __pad: 'u32', comm: 'char[16]', prev_comm: 'char[16]',
} as const;

/** Every struct schedlat's TypeScript reads, by name (test/unit/btf-layout.test.ts checks them all). */
export const SCHEDLAT_BOUNDARY = { task_key: TASK_KEY_SPEC, hist: HIST_SPEC, schedlat_event: SCHEDLAT_EVENT_SPEC };

export type SchedlatSession = LatencySession<TaskKey, SchedlatRow, SchedlatEvent> & { method: SchedlatMethod; attachKind: 'tp_btf' | 'raw_tp' };

/** Open, configure, load and attach schedlat (everything closed again if a step fails). */
export function startSchedlat(options: SchedlatOptions): SchedlatSession {
  const method = checkMethod(options.method);
  // HUATUO_ATTACH=raw_tp forces the fallback kernels without tp_btf get (tests use it).
  const attachKind: 'tp_btf' | 'raw_tp' = process.env.HUATUO_ATTACH !== 'raw_tp' && hasTpBtf('sched_switch') ? 'tp_btf' : 'raw_tp';
  const session = LatencySession.start<TaskKey, SchedlatRow, SchedlatEvent>({
    tool: 'schedlat',
    programs: PROGRAMS[method][attachKind === 'tp_btf' ? 'btf' : 'raw'],
    filter: options.filter,
    cgroupMount: options.cgroups.mount,
    rodata: (obj) => ({
      targ_by: taskKeyCode(obj, options.by),
      targ_threshold_ns: options.thresholdNs,
      targ_max_events_per_sec: options.maxEventsPerSec,
    }),
    key: { struct: 'task_key', spec: TASK_KEY_SPEC },
    label: (_obj, mount) => {
      const labeller = new TaskKeyLabeller(options.by, { mount, resolver: options.cgroups.resolver });
      return (k) => labeller.label(k);
    },
    events: options.thresholdNs > 0 ? { map: 'events', struct: 'schedlat_event', spec: SCHEDLAT_EVENT_SPEC } : undefined,
  });
  return Object.assign(session, { method, attachKind });
}
