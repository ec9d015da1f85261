// schedlat, the tool: options → BPF object (bpf/schedlat.bpf.c) → snapshots of per-key
// run-queue latency histograms and slow events. No CLI and no views here.
import { BpfObject } from '../bpf-loader/object.js';
import { hasTpBtf, kernelHasField, schedInfoLive } from '../bpf-loader/probe.js';
import { histOffsets, mergeRowsByKey, sumPerCpuHist, type HistOffsets } from '../histogram/bpf-hist.js';
import type { Histogram } from '../histogram/loglinear.js';
import { CgroupHier, CgroupNames, type CgroupMount } from '../containers/cgroup.js';
import { containerRowLabels } from '../containers/labels.js';
import type { CgroupContext } from '../options/common.js';
import { HuatuoError, ExitCode } from '../errors.js';
import { logDebug } from '../log.js';
import type { TaskFilter } from './filter.js';
import { applyTaskFilter, fillCgroupFilter, sizeCgroupFilter, CgroupFilterRefresher } from './filter.js';
import type { StructLayout } from '../bpf-loader/layout.js';

export const SCHEDLAT_BY = ['comm', 'pid', 'tid', 'cpu', 'cgroup', 'pod', 'container'] as const;
export type SchedlatBy = (typeof SCHEDLAT_BY)[number];
// pod and container rows are cgroup rows relabelled in user space (src/containers/labels.ts).
const BY_CODE: Record<SchedlatBy, number> = { comm: 0, pid: 1, tid: 2, cpu: 3, cgroup: 4, pod: 4, container: 4 };

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
  cgroups: CgroupContext;
  /** Emit each wait at or over this many ns as a slow event; 0 = none. */
  thresholdNs: number;
  method: SchedlatMethod;
  /** Cap on slow events per second per CPU (the rest are counted). */
  maxEventsPerSec: number;
}

/** One histogram row; which labels are set depends on --by. */
export interface SchedlatRow {
  key: string;
  comm?: string;
  pid?: number;
  tid?: number;
  cpu?: number;
  cgroup_id?: number;
  cgroup?: string;
  pod?: string;
  namespace?: string;
  container?: string;
  container_id?: string;
  hist: Histogram;
}

export interface SchedlatEvent {
  ts_ns: number;
  lat_ns: number;
  cpu: number;
  pid: number;
  tgid: number;
  comm: string;
  cgroup_id: number;
  prev_pid: number;
  prev_tgid: number;
  prev_comm: string;
}

interface KeyStruct { cgroup_id: number; id: number; comm: string }

const PROGRAMS = {
  'sched-info': { btf: ['schedlat_si_switch_btf'], raw: ['schedlat_si_switch_raw'] },
  wakeup: {
    btf: ['schedlat_wakeup_btf', 'schedlat_wakeup_new_btf', 'schedlat_switch_btf'],
    raw: ['schedlat_wakeup_raw', 'schedlat_wakeup_new_raw', 'schedlat_switch_raw'],
  },
} as const;

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

export class SchedlatSession {
  readonly method: SchedlatMethod;
  readonly attachKind: 'tp_btf' | 'raw_tp';
  readonly obj: BpfObject;
  private readonly keyLayout: StructLayout<KeyStruct>;
  private readonly hist: HistOffsets;
  private readonly cgroupNames: CgroupNames | undefined;
  private pending: SchedlatEvent[] = [];
  private filterRefresher: CgroupFilterRefresher | undefined;

  private constructor(
    readonly options: SchedlatOptions,
    obj: BpfObject,
    method: SchedlatMethod,
    attachKind: 'tp_btf' | 'raw_tp',
    readonly cgroupMount: CgroupMount | undefined,
  ) {
    this.obj = obj;
    this.method = method;
    this.attachKind = attachKind;
    this.keyLayout = obj.struct<KeyStruct>('schedlat_key').expect(['cgroup_id', 'id', 'comm']);
    this.hist = histOffsets(obj.struct('hist'));
    this.cgroupNames = cgroupMount ? new CgroupNames(cgroupMount) : undefined;
  }

  /** Open, configure, load and attach. Everything is closed again if any step fails. */
  static start(options: SchedlatOptions): SchedlatSession {
    const method = checkMethod(options.method);
    // HUATUO_ATTACH=raw_tp forces the fallback kernels without tp_btf get (tests use it).
    const attachKind = process.env.HUATUO_ATTACH !== 'raw_tp' && hasTpBtf('sched_switch') ? 'tp_btf' : 'raw_tp';
    const programs = PROGRAMS[method][attachKind === 'tp_btf' ? 'btf' : 'raw'];
    const mount = options.filter.cgroups?.mount ?? options.cgroups.mount;
    const obj = BpfObject.open('schedlat');
    try {
      obj.selectPrograms(programs);
      obj.setRodata({
        targ_by: BY_CODE[options.by],
        targ_threshold_ns: options.thresholdNs,
        targ_max_events_per_sec: options.maxEventsPerSec,
        targ_cgroup_hier: mount?.hier ?? CgroupHier.V2,
      });
      applyTaskFilter(obj, options.filter);
      sizeCgroupFilter(obj, options.filter);
      obj.load();
      fillCgroupFilter(obj, options.filter);
      const s = new SchedlatSession(options, obj, method, attachKind, mount);
      s.filterRefresher = new CgroupFilterRefresher(obj, options.filter);
      if (options.thresholdNs > 0) {
        obj.ringBuffer('events', obj.struct<SchedlatEvent>('schedlat_event'), (e) => s.pending.push(e));
      }
      obj.attach(programs);
      // performance.now() counts from process start: the bench reads this line for time-to-attach.
      logDebug(`schedlat: attached ${Math.round(performance.now())} ms after start (method ${method}, ${attachKind}: ${programs.join(', ')})`);
      return s;
    } catch (e) {
      obj.close();
      throw e;
    }
  }

  private label(k: KeyStruct): Omit<SchedlatRow, 'hist'> {
    switch (this.options.by) {
      case 'pid': return { key: `${k.id}`, pid: k.id, comm: k.comm };
      // A thread that renames itself gets a second row: keep the keys apart.
      case 'tid': return { key: `${k.id}/${k.comm}`, tid: k.id, comm: k.comm };
      case 'cpu': return { key: `${k.id}`, cpu: k.id };
      case 'cgroup': return { key: `${k.cgroup_id}`, cgroup_id: k.cgroup_id, cgroup: this.cgroupNames?.name(k.cgroup_id) };
      case 'pod':
      case 'container':
        return containerRowLabels(this.options.by, this.options.cgroups.resolver(), this.cgroupMount!.hier, k.cgroup_id);
      default: return { key: k.comm, comm: k.comm };
    }
  }

  /** Cumulative histograms per key since attach (also: pods gain new containers here). */
  readHistograms(): SchedlatRow[] {
    this.filterRefresher?.refresh();
    const rows = this.obj.mapEntries('hists').map(({ key, value }) => ({
      ...this.label(this.keyLayout.decode(key)),
      hist: sumPerCpuHist(value, this.hist),
    }));
    return mergeRowsByKey(rows);
  }

  /** Slow events received since the last call. */
  takeEvents(): SchedlatEvent[] {
    const e = this.pending;
    this.pending = [];
    return e;
  }

  /** Events that could not be sent: [ring buffer full, over the rate limit]. */
  lost(): { ringbuf_full: number; rate_limited: number } {
    const [full, limited] = this.obj.perCpuCounters('counters', 2);
    return { ringbuf_full: full, rate_limited: limited };
  }

  close(): void {
    this.obj.close();
  }
}
