// softirq, the tool: options → BPF object (bpf/softirq.bpf.c) → per-key handler-time and
// raise→entry delay histograms, ksoftirqd counts, slow runs, and /proc/net/softnet_stat
// deltas beside them. No CLI and no views here.
import { readFileSync } from 'node:fs';
import { hasTpBtfWithCurrentTask } from '../bpf-loader/probe.js';
import type { BpfObject } from '../bpf-loader/object.js';
import { HuatuoError, ExitCode, usageError } from '../errors.js';
import { podNameOf } from '../containers/labels.js';
import type { SideTable } from '../model/latency.js';
import { SOFTNET_TITLE, taskByOf, type SoftirqBy, type SoftirqEvent, type SoftirqRow } from '../model/softirq.js';
import type { TaskFilter } from './filter.js';
import { HIST_SPEC, LatencySession } from './latency-session.js';
import { CounterTable, readSoftnet, sideOf, softnetDelta } from './counter-tables.js';
import { TASK_KEY_SPEC, TaskKeyLabeller, taskKeyCode, type TaskKey, type TaskKeyContext } from './task-key.js';

export interface SoftirqOptions {
  by: SoftirqBy;
  /** Vector names to keep (upper case, as /proc/softirqs names them); empty: all. */
  vectors: string[];
  filter: TaskFilter;
  cgroups: TaskKeyContext;
  /** Emit each run whose handler time or delay is at or over this many ns; 0 = none. */
  thresholdNs: number;
  maxEventsPerSec: number;
  /** Time raise → entry (a program on softirq_raise too); false: handler time only, cheaper. */
  delay: boolean;
}

/** The kernel's softirq names, by vector number: /proc/softirqs lists them in vector order. */
export function softirqNames(text = readFileSync('/proc/softirqs', 'utf8')): string[] {
  return text.split('\n').slice(1).map((l) => l.trim().split(':')[0]).filter((n) => n.length > 0);
}

/** --vector's names (any case, comma separated) as the kernel's, refused if unknown. */
export function parseVectors(arg: string | undefined, names: string[]): string[] {
  if (!arg) return [];
  return arg.split(',').map((v) => {
    const n = v.trim().toUpperCase();
    if (!names.includes(n)) throw usageError(`--vector: no softirq ${JSON.stringify(v)} (this kernel has ${names.join(', ').toLowerCase()})`);
    return n;
  });
}

/** struct softirq_key, softirq_stats and softirq_event (bpf/softirq.h) as TypeScript reads them. */
export const SOFTIRQ_KEY_SPEC = { task: 'struct task_key', vector: 'u32', cpu: 'u32' } as const;
export const SOFTIRQ_VECTOR_INDEX_SPEC = { vector: 'u32' } as const;
export const SOFTIRQ_STATS_SPEC = { handler: 'struct hist', delay: 'struct hist', ksoftirqd: 'u64' } as const;
export const SOFTIRQ_EVENT_SPEC = {
  ts_ns: 'u64', handler_ns: 'u64', delay_ns: 'u64', cgroup_id: 'u64', pid: 'u32', tgid: 'u32', cpu: 'u32', vector: 'u32',
  ksoftirqd: 'u32', __pad: 'u32', comm: 'char[16]',
} as const;

/** Every struct softirq's TypeScript reads (test/unit/btf-layout.test.ts checks them all). */
export const SOFTIRQ_BOUNDARY = {
  task_key: TASK_KEY_SPEC, hist: HIST_SPEC, softirq_key: SOFTIRQ_KEY_SPEC, softirq_vector_index: SOFTIRQ_VECTOR_INDEX_SPEC,
  softirq_stats: SOFTIRQ_STATS_SPEC, softirq_event: SOFTIRQ_EVENT_SPEC,
};

interface SoftirqKey {
  task: TaskKey;
  vector: number;
  cpu: number;
}

type RawEvent = { [K in keyof typeof SOFTIRQ_EVENT_SPEC]: K extends 'comm' ? string : number };

/** The kernel's code for a --by value: enum softirq_by for its own keys, else enum task_key_by. */
function byCode(obj: BpfObject, by: SoftirqBy): number {
  const task = taskByOf(by);
  if (task) return taskKeyCode(obj, task);
  const c = obj.enumValues('softirq_by', 'SOFTIRQ_BY_', ['VECTOR', 'VECTOR_CPU']);
  return by === 'vector' ? c.VECTOR : c.VECTOR_CPU;
}

// Attached in this order: exit, entry, then raise. A raise seen before its entry program
// was attached would time the delay from a run that was never seen to end.
const PROGRAMS = {
  btf: ['softirq_exit_btf', 'softirq_entry_btf', 'softirq_raise_btf'],
  raw: ['softirq_exit_raw', 'softirq_entry_raw', 'softirq_raise_raw'],
} as const;

export type SoftirqSession = LatencySession<SoftirqKey, SoftirqRow, SoftirqEvent> & {
  attachKind: 'tp_btf' | 'raw_tp';
  side(): { interval: SideTable[]; total: SideTable[] };
};

/** Open, configure, load and attach softirq (everything closed again if a step fails). */
export function startSoftirq(o: SoftirqOptions): SoftirqSession {
  const names = softirqNames();
  if (names.length === 0) throw new HuatuoError('softirq: /proc/softirqs lists no softirqs', ExitCode.Unsupported);
  const mask = o.vectors.reduce((m, v) => m | (1 << names.indexOf(v)), 0);
  const name = (v: number) => names[v] ?? `VEC${v}`;
  // HUATUO_ATTACH=raw_tp forces the fallback kernels without tp_btf get (tests use it).
  const attachKind: 'tp_btf' | 'raw_tp' = process.env.HUATUO_ATTACH !== 'raw_tp' && hasTpBtfWithCurrentTask('softirq_entry') ? 'tp_btf' : 'raw_tp';
  const task = taskByOf(o.by);
  const session = LatencySession.start<SoftirqKey, SoftirqRow, RawEvent>({
    tool: 'softirq',
    // Without the raise program no raise is timed: every delay reads as not seen (null).
    programs: PROGRAMS[attachKind === 'tp_btf' ? 'btf' : 'raw'].filter((p) => o.delay || !p.startsWith('softirq_raise')),
    filter: o.filter,
    cgroupMount: o.cgroups.mount,
    rodata: (obj) => ({
      targ_by: byCode(obj, o.by),
      targ_vectors: mask,
      targ_threshold_ns: o.thresholdNs,
      targ_max_events_per_sec: o.maxEventsPerSec,
    }),
    // --by vector reads the per-vector array (the kernel does no hashing for it), the rest the hash.
    key: o.by === 'vector' ? { struct: 'softirq_vector_index', spec: SOFTIRQ_VECTOR_INDEX_SPEC } : { struct: 'softirq_key', spec: SOFTIRQ_KEY_SPEC },
    value: { map: o.by === 'vector' ? 'vector_stats' : 'stats', struct: 'softirq_stats', spec: SOFTIRQ_STATS_SPEC, hist: 'handler', hists: ['delay'], counts: ['ksoftirqd'] },
    label: (_obj, mount) => {
      if (!task) {
        return o.by === 'vector'
          ? (k) => ({ key: name(k.vector), vector: name(k.vector) })
          : (k) => ({ key: `${name(k.vector)}/${k.cpu}`, vector: name(k.vector), cpu: k.cpu });
      }
      const labeller = new TaskKeyLabeller(task, { mount, resolver: o.cgroups.resolver });
      return (k) => labeller.label(k.task);
    },
    events: o.thresholdNs > 0 ? { map: 'events', struct: 'softirq_event', spec: SOFTIRQ_EVENT_SPEC } : undefined,
  });
  // Slow runs name the pod of the task they ran on top of, where the cgroup ids allow it.
  const mount = session.cgroupMount;
  const podOf = (cgroupId: number): string | null => (mount ? podNameOf(o.cgroups.resolver(), mount.hier, cgroupId) : null);
  const take = session.takeEvents.bind(session) as () => RawEvent[];
  const side = sideOf([new CounterTable('softnet', SOFTNET_TITLE, readSoftnet, softnetDelta)]);
  return Object.assign(session as unknown as LatencySession<SoftirqKey, SoftirqRow, SoftirqEvent>, {
    attachKind,
    side,
    takeEvents: (): SoftirqEvent[] => take().map((e) => ({
      ts_ns: e.ts_ns,
      cpu: e.cpu,
      vector: name(e.vector),
      handler_ns: e.handler_ns,
      delay_ns: e.delay_ns || null,
      context: e.ksoftirqd ? 'ksoftirqd' : 'inline',
      pid: e.pid,
      tgid: e.tgid,
      comm: e.comm,
      cgroup_id: e.cgroup_id,
      pod: podOf(e.cgroup_id),
    })),
  });
}
