// The one list of tools (libbpf-tools' APPS): the CLI, `huatuo check`, `huatuo report`
// and the tests read it. Adding a tool is one entry here. Everything behind an entry is
// imported lazily, so `huatuo schedlat` loads schedlat's modules and no other tool's.
import type { Command } from 'commander';
import type { FeatureResult, ToolNeeds } from './tools/features.js';


/** How `huatuo report` re-prints a latency tool's capture: its field tables by the capture's meta. */
export type { LatencyTables as LatencyReportFields } from './output/latency-report.js';
import type { LatencyTables as LatencyReportFields } from './output/latency-report.js';

export interface ToolDefinition extends ToolNeeds {
  name: string;
  /** One line for `huatuo --help`, without loading the command. */
  summary: string;
  /** BPF object stem in build/bpf/, null for commands that load none. */
  bpf: string | null;
  /**
   * What the tool needs to run, for `huatuo check`: every group must have one feature
   * that works. Features are the generic ones of tools/features.ts, `tp:NAME` (the
   * tracepoint exists), or one of the tool's own probes.
   */
  needs?: string[][];
  /** Features shown by check but not needed (a faster method, an optional event). */
  shows?: string[];
  /** The tool's own feature probes, by feature name. */
  probes?(): Promise<Record<string, () => FeatureResult>>;
  command(): Promise<Command>;
  /** For report: a latency tool's field tables. */
  report?(): Promise<LatencyReportFields>;
  /** Every struct of the object that the tool's TypeScript reads, as it reads it (layout.ts). */
  boundary?(): Promise<Record<string, Readonly<Record<string, string>>>>;
}

export const TOOLS: ToolDefinition[] = [
  {
    name: 'schedlat',
    summary: 'run-queue latency: how long runnable tasks wait for a CPU, as histograms per key',
    bpf: 'schedlat',
    needs: [['privileges'], ['btf'], ['ringbuf'], ['tp_btf', 'raw_tp'], ['tp:sched_switch']],
    shows: ['tp:sched_wakeup', 'tp:sched_wakeup_new', 'sched_info'],
    probes: async () => (await import('./tools/schedlat.js')).schedlatProbes,
    command: async () => (await import('./commands/schedlat.js')).schedlatCommand(),
    report: async () => (await import('./output/schedlat-fields.js')).schedlatReportFields,
    boundary: async () => (await import('./tools/schedlat.js')).SCHEDLAT_BOUNDARY,
  },
  {
    name: 'softirq',
    summary: 'softirq handler time and raise-to-run delay per vector, CPU or interrupted task, with ksoftirqd share',
    bpf: 'softirq',
    needs: [['privileges'], ['btf'], ['ringbuf'], ['tp_btf', 'raw_tp'], ['tp:softirq_raise'], ['tp:softirq_entry'], ['tp:softirq_exit']],
    command: async () => (await import('./commands/softirq.js')).softirqCommand(),
    report: async () => (await import('./output/softirq-fields.js')).softirqReportFields,
    boundary: async () => (await import('./tools/softirq.js')).SOFTIRQ_BOUNDARY,
  },
  {
    name: 'memreclaim',
    summary: 'memory reclaim stalls (direct, memcg, throttled, compaction) per cgroup/pod/task, with pages, flags, limits and PSI',
    bpf: 'memreclaim',
    needs: [['privileges'], ['btf'], ['ringbuf'], ['tp_btf', 'raw_tp'], ['reclaim_kinds']],
    shows: ['tp:mm_vmscan_direct_reclaim_begin', 'tp:mm_vmscan_memcg_reclaim_begin', 'tp:mm_vmscan_memcg_softlimit_reclaim_begin', 'tp:mm_vmscan_throttled', 'tp:mm_compaction_begin'],
    probes: async () => (await import('./tools/memreclaim.js')).memreclaimProbes,
    command: async () => (await import('./commands/memreclaim.js')).memreclaimCommand(),
    report: async () => (await import('./output/memreclaim-fields.js')).memreclaimReportFields,
    boundary: async () => (await import('./tools/memreclaim.js')).MEMRECLAIM_BOUNDARY,
  },
  {
    name: 'netdrop',
    summary: 'dropped packets counted per kernel drop reason, location and pod, with the packets as rate-limited events',
    bpf: 'netdrop',
    needs: [['privileges'], ['btf'], ['ringbuf'], ['tp_btf', 'raw_tp'], ['tp:kfree_skb'], ['kfree_skb_args']],
    probes: async () => (await import('./tools/netdrop.js')).netdropProbes,
    command: async () => (await import('./commands/netdrop.js')).netdropCommand(),
    report: async () => (await import('./output/netdrop-fields.js')).netdropReportFields,
    boundary: async () => (await import('./tools/netdrop.js')).NETDROP_BOUNDARY,
  },
  {
    name: 'profile',
    summary: 'stacks symbolized as flame graphs and exports: CPU samples, or off-CPU time, lock contention, page faults',
    bpf: 'profile',
    needs: [['privileges'], ['btf'], ['perf_event_cpu_clock']],
    // The other kinds: --off-cpu (sched_switch, sched_wakeup), --lock (5.19+), --page-faults (x86).
    shows: ['tp:sched_switch', 'tp:sched_wakeup', 'tp:contention_begin', 'tp:contention_end', 'tp:page_fault_user', 'tp:page_fault_kernel'],
    command: async () => (await import('./commands/profile.js')).profileCommand(),
    boundary: async () => (await import('./tools/profile.js')).PROFILE_BOUNDARY,
  },
  {
    name: 'autotrace',
    summary: 'watch CPU, pressure, memory, disks and containers; on a spike, capture flame graphs by itself',
    // No object of its own: its look-back and captures are profile runs, with profile's needs.
    bpf: null,
    needs: [['privileges'], ['btf'], ['perf_event_cpu_clock']],
    shows: ['tp:sched_switch', 'tp:sched_wakeup', 'psi_triggers'],
    probes: async () => {
      const { probePsiTriggers } = await import('./autotrace/psi.js');
      return { psi_triggers: () => probePsiTriggers(process.env.HUATUO_HOST_ROOT ?? '') };
    },
    command: async () => (await import('./commands/autotrace.js')).autotraceCommand(),
  },
  {
    name: 'report',
    summary: 're-render a capture or collapsed stacks offline (no root needed)',
    bpf: null,
    command: async () => (await import('./commands/report.js')).reportCommand(async (tool) => toolNamed(tool)?.report?.()),
  },
  {
    name: 'check',
    summary: 'what this kernel supports for each huatuo tool',
    bpf: null,
    command: async () => (await import('./commands/check.js')).checkCommand(TOOLS),
  },
  {
    name: 'containers',
    summary: 'the pods and containers on this node, with their cgroup ids (what --pod selects)',
    bpf: null,
    command: async () => (await import('./commands/containers.js')).containersCommand(),
  },
];

export function toolNamed(name: string): ToolDefinition | undefined {
  return TOOLS.find((t) => t.name === name);
}
