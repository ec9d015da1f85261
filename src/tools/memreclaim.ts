// memreclaim, the tool: options → BPF object (bpf/memreclaim.bpf.c) → per key and kind
// stall histograms with pages reclaimed, slow stalls with symbolized stacks, and the
// memory context of each row's cgroup (memreclaim-context.ts). No CLI and no views here.
import { hasTpBtf, hasTpBtfWithCurrentTask } from '../bpf-loader/probe.js';
import type { BpfObject } from '../bpf-loader/object.js';
import { HuatuoError, ExitCode } from '../errors.js';
import { CgroupNames } from '../containers/cgroup.js';
import { podNameOf } from '../containers/labels.js';
import { mergeRowsByKey } from '../histogram/bpf-hist.js';
import type { SideTable } from '../model/latency.js';
import { MEMORY_TITLE, MEMRECLAIM_KINDS, type MemreclaimBy, type MemreclaimEvent, type MemreclaimKind, type MemreclaimRow } from '../model/memreclaim.js';
import { Symbolizer } from '../symbolize/index.js';
import { dropTracerFrames } from '../symbolize/kallsyms.js';
import type { FeatureResult } from './features.js';
import type { TaskFilter } from './filter.js';
import { HIST_SPEC, LatencySession } from './latency-session.js';
import { countersDelta, MemoryContextReader, type MemoryCounters } from './memreclaim-context.js';
import { gfpNames, kernelGfpTable } from './memreclaim-gfp.js';
import { TASK_KEY_SPEC, TaskKeyLabeller, taskKeyCode, type TaskKey, type TaskKeyContext } from './task-key.js';

export interface MemreclaimOptions {
  by: MemreclaimBy;
  filter: TaskFilter;
  cgroups: TaskKeyContext;
  thresholdNs: number;
  maxEventsPerSec: number;
}

/** The tracepoints of each kind: all of them must exist for the kind to be measured. */
export const KIND_TRACEPOINTS: Record<MemreclaimKind, string[]> = {
  direct: ['mm_vmscan_direct_reclaim_begin', 'mm_vmscan_direct_reclaim_end'],
  memcg: ['mm_vmscan_memcg_reclaim_begin', 'mm_vmscan_memcg_reclaim_end'],
  softlimit: ['mm_vmscan_memcg_softlimit_reclaim_begin', 'mm_vmscan_memcg_softlimit_reclaim_end'],
  throttled: ['mm_vmscan_throttled'],
  compaction: ['mm_compaction_try_to_compact_pages', 'mm_compaction_begin', 'mm_compaction_end'],
};

/** Program stems per tracepoint (bpf/memreclaim.bpf.c names them memreclaim_<stem>_btf/_raw). */
const PROGRAM_OF: Record<string, string> = {
  mm_vmscan_direct_reclaim_begin: 'direct_begin', mm_vmscan_direct_reclaim_end: 'direct_end',
  mm_vmscan_memcg_reclaim_begin: 'memcg_begin', mm_vmscan_memcg_reclaim_end: 'memcg_end',
  mm_vmscan_memcg_softlimit_reclaim_begin: 'softlimit_begin', mm_vmscan_memcg_softlimit_reclaim_end: 'softlimit_end',
  mm_vmscan_throttled: 'throttled',
  mm_compaction_try_to_compact_pages: 'compact_alloc', mm_compaction_begin: 'compaction_begin', mm_compaction_end: 'compaction_end',
  sched_process_exit: 'exit',
};

/** Which kinds this kernel can time (each tracepoint in its BTF). */
export function availableKinds(): MemreclaimKind[] {
  return MEMRECLAIM_KINDS.filter((k) => KIND_TRACEPOINTS[k].every((tp) => hasTpBtf(tp)));
}

/** memreclaim's own feature for `huatuo check`: the kinds it can time here. */
export const memreclaimProbes: Record<string, () => FeatureResult> = {
  reclaim_kinds: () => {
    const have = availableKinds();
    const missing = MEMRECLAIM_KINDS.filter((k) => !have.includes(k));
    return { ok: have.length > 0, detail: `${have.join(', ') || 'none'}${missing.length ? ` (not on this kernel: ${missing.join(', ')})` : ''}` };
  },
};

/** The boundary structs (test/unit/btf-layout.test.ts checks them all). */
export const MEMRECLAIM_KEY_SPEC = { task: 'struct task_key', gfp: 'u64', kind: 'u32', order: 's32' } as const;
export const MEMRECLAIM_STATS_SPEC = { stall: 'struct hist', pages: 'u64' } as const;
export const MEMRECLAIM_EVENT_SPEC = {
  ts_ns: 'u64', stall_ns: 'u64', pages: 'u64', gfp: 'u64', cgroup_id: 'u64', pid: 'u32', tgid: 'u32', kind: 'u32', order: 's32',
  kstack_len: 's32', ustack_len: 's32', comm: 'char[16]', kstack: 'u64[48]', ustack: 'u64[48]',
} as const;
export const MEMRECLAIM_BOUNDARY = {
  task_key: TASK_KEY_SPEC, hist: HIST_SPEC, memreclaim_key: MEMRECLAIM_KEY_SPEC, memreclaim_stats: MEMRECLAIM_STATS_SPEC, memreclaim_event: MEMRECLAIM_EVENT_SPEC,
};

interface Key { task: TaskKey; gfp: number; kind: number; order: number }
type RawEvent = {
  ts_ns: number; stall_ns: number; pages: number; gfp: number; cgroup_id: number; pid: number; tgid: number; kind: number; order: number;
  kstack_len: number; ustack_len: number; comm: string;
  /** The stacks as read from the raw record on arrival (the decoded u64[] lose the low bits of kernel addresses). */
  kernelAddrs?: bigint[]; userAddrs?: bigint[];
};


/** `n` u64 addresses at `offset` of a raw record (n < 0: bpf_get_stack failed, none). */
function addresses(raw: Buffer, offset: number, n: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(raw.readBigUInt64LE(offset + i * 8));
  return out;
}
/** A kernel row before merging: one per (key, kind, order, gfp). */
type SubRow = MemreclaimRow & { taskKey: string; rawGfp: number; cgroupId?: number };

/** Cgroups whose counters are read at start (a node with more counts the rest from their first sight). */
const MAX_BASELINE_CGROUPS = 4096;

const THROTTLE_REASONS = ['writeback', 'isolated', 'noprogress', 'congested'];

export type MemreclaimSession = LatencySession<Key, MemreclaimRow, MemreclaimEvent> & {
  attachKind: 'tp_btf' | 'raw_tp';
  kinds: MemreclaimKind[];
  side(): { interval: SideTable[]; total: SideTable[] };
};

/** Open, configure, load and attach memreclaim (everything closed again if a step fails). */
export function startMemreclaim(o: MemreclaimOptions): MemreclaimSession {
  const kinds = availableKinds();
  if (!kinds.length) throw new HuatuoError('memreclaim: this kernel has none of the vmscan/compaction tracepoints it times', ExitCode.Unsupported);
  const attachKind: 'tp_btf' | 'raw_tp' = process.env.HUATUO_ATTACH !== 'raw_tp' && hasTpBtfWithCurrentTask('mm_vmscan_memcg_reclaim_begin') ? 'tp_btf' : 'raw_tp';
  // Ends before begins: a begin seen before its end program was attached would time a stall from the wrong start.
  const tracepoints = kinds.flatMap((k) => [...KIND_TRACEPOINTS[k]].reverse());
  const programs = [...tracepoints, 'sched_process_exit'].map((tp) => `memreclaim_${PROGRAM_OF[tp]}_${attachKind === 'tp_btf' ? 'btf' : 'raw'}`);
  const gfpTable = kernelGfpTable();
  const gfpName = (kind: string, gfp: number) => (kind === 'throttled' ? THROTTLE_REASONS[gfp] ?? `reason ${gfp}` : kind === 'compaction' && gfp === 0 ? null : gfpNames(gfp, gfpTable));
  const byCgroup = o.by === 'cgroup' || o.by === 'pod' || o.by === 'container';
  const symbolizer = new Symbolizer({ cxxfilt: false });
  let kindNames: string[] = [];
  const session = LatencySession.start<Key, SubRow, RawEvent>({
    tool: 'memreclaim',
    programs,
    filter: o.filter,
    cgroupMount: o.cgroups.mount,
    rodata: (obj: BpfObject) => {
      const e = obj.enumValues('memreclaim_kind', 'MEMRECLAIM_', ['DIRECT', 'MEMCG', 'SOFTLIMIT', 'THROTTLED', 'COMPACTION']);
      kindNames = [];
      for (const k of MEMRECLAIM_KINDS) kindNames[e[k.toUpperCase()]] = k;
      return { targ_by: taskKeyCode(obj, o.by), targ_threshold_ns: o.thresholdNs, targ_max_events_per_sec: o.maxEventsPerSec };
    },
    key: { struct: 'memreclaim_key', spec: MEMRECLAIM_KEY_SPEC },
    value: { map: 'stalls', struct: 'memreclaim_stats', spec: MEMRECLAIM_STATS_SPEC, hist: 'stall', counts: ['pages'] },
    label: (_obj, mount) => {
      const labeller = new TaskKeyLabeller(o.by, { mount, resolver: o.cgroups.resolver });
      return (k) => {
        const task = labeller.label(k.task);
        const kind = (kindNames[k.kind] ?? `kind${k.kind}`) as MemreclaimKind;
        return {
          ...task,
          key: `${task.key}|${kind}|${k.order}|${k.gfp}`,
          taskKey: task.key,
          kind,
          order: k.order < 0 ? null : k.order,
          gfp: gfpName(kind, k.gfp),
          rawGfp: k.gfp,
          ...(byCgroup ? { cgroupId: k.task.cgroup_id } : {}),
        } as Omit<SubRow, 'hist'>;
      };
    },
    // The stalled process's maps are read as its event arrives: it may be gone by the next tick.
    events: o.thresholdNs > 0 ? {
      map: 'events', struct: 'memreclaim_event', spec: MEMRECLAIM_EVENT_SPEC,
      onEvent: (e, raw, layout) => {
        symbolizer.snapshot(e.tgid);
        e.kernelAddrs = addresses(raw, layout.field('kstack').offset, e.kstack_len);
        e.userAddrs = addresses(raw, layout.field('ustack').offset, e.ustack_len);
      },
    } : undefined,
  });

  const mount = session.cgroupMount;
  const names = mount ? new CgroupNames(mount) : undefined;
  const context = mount ? new MemoryContextReader(mount) : undefined;
  const seen = new Set<string>(); // cgroup paths of every row so far
  const read = session.readHistograms.bind(session) as () => SubRow[];
  /** Sub-rows (order, gfp) merged into one row per key and kind, naming the order and flags of most stalls. */
  const readHistograms = (): MemreclaimRow[] => {
    const sub = read();
    const most = new Map<string, SubRow>();
    for (const r of sub) {
      const k = `${r.taskKey}|${r.kind}`;
      const m = most.get(k);
      if (!m || r.hist.count > m.hist.count) most.set(k, r);
    }
    const merged = mergeRowsByKey(sub.map((r) => ({ ...r, key: `${r.taskKey}|${r.kind}` })));
    return merged.map((r) => {
      const top = most.get(r.key)!;
      const { taskKey: _t, rawGfp: _g, cgroupId, ...row } = { ...r, order: top.order, gfp: top.gfp };
      if (cgroupId === undefined || !context || !names) return row;
      const path = names.name(cgroupId);
      if (path.startsWith('cgroup:')) return { ...row, limit_bytes: null, usage_bytes: null, limited_by: null, psi_some_avg10: null };
      seen.add(path);
      const c = context.read(path);
      return { ...row, limit_bytes: c.limit_bytes, usage_bytes: c.usage_bytes, limited_by: c.limited_by, psi_some_avg10: c.psi_some_avg10 };
    });
  };

  // Per cgroup: counters at start (every cgroup of the hierarchy, so a cgroup's first
  // interval counts from there too; one made later counts from its creation), and at the last read.
  const first = new Map<string, MemoryCounters>();
  if (context && names) for (const path of names.paths(MAX_BASELINE_CGROUPS)) first.set(path, context.counters(path));
  const last = new Map<string, MemoryCounters>();
  const side = (): { interval: SideTable[]; total: SideTable[] } => {
    if (!context) return { interval: [], total: [] };
    // Each cgroup read once: its gauges and counters now, its counters' deltas against a base.
    const now = [...seen].map((path) => context.read(path));
    const rowsOf = (base: Map<string, MemoryCounters>) => now.map((c) => {
      const d = countersDelta(c, base.get(c.cgroup));
      return {
        cgroup: c.cgroup, hierarchy: c.hierarchy, limited_by: c.limited_by, limit_bytes: c.limit_bytes, usage_bytes: c.usage_bytes,
        high: d.events.high ?? null, max: d.events.max ?? null, oom: d.events.oom ?? null, oom_kill: d.events.oom_kill ?? null,
        pgscan: d.pgscan, pgsteal: d.pgsteal, psi_some_avg10: c.psi_some_avg10, psi_full_avg10: c.psi_full_avg10, psi_source: c.psi_source,
      };
    });
    const interval = rowsOf(new Map([...first, ...last]));
    const total = rowsOf(first);
    for (const c of now) last.set(c.cgroup, c);
    return { interval: [{ name: 'memory', title: MEMORY_TITLE, rows: interval }], total: [{ name: 'memory', title: MEMORY_TITLE, rows: total }] };
  };

  // Slow stalls: stacks symbolized at the tick from the maps read on arrival, pods named.
  const take = session.takeEvents.bind(session) as () => RawEvent[];
  const podOf = (id: number): string | null => (mount ? podNameOf(o.cgroups.resolver(), mount.hier, id) : null);
  const takeEvents = (): MemreclaimEvent[] => take().map((e) => {
    const kind = (kindNames[e.kind] ?? `kind${e.kind}`) as MemreclaimKind;
    const kernel = dropTracerFrames(symbolizer.symbolize({ tgid: e.tgid, kernel: e.kernelAddrs ?? [], user: [] }).map((f) => f.name).reverse());
    const user = symbolizer.symbolize({ tgid: e.tgid, kernel: [], user: e.userAddrs ?? [] }).map((f) => f.name).reverse();
    return {
      ts_ns: e.ts_ns, kind, stall_ns: e.stall_ns, pages: e.pages, order: e.order < 0 ? null : e.order, gfp: gfpName(kind, e.gfp),
      pid: e.pid, tgid: e.tgid, comm: e.comm, cgroup_id: e.cgroup_id, cgroup: names ? names.name(e.cgroup_id) : null, pod: podOf(e.cgroup_id),
      kernel_stack: kernel, user_stack: user,
    };
  });
  const close = session.close.bind(session);
  return Object.assign(session as unknown as LatencySession<Key, MemreclaimRow, MemreclaimEvent>, {
    attachKind, kinds, side, readHistograms, takeEvents,
    close: () => {
      symbolizer.close();
      close();
    },
  });
}
