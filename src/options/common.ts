// Flags every tool shares, defined once (style.md §10): task filters, output, timing.
import { Command, Option } from 'commander';
import { parsePositiveInt, parseSeconds } from './units.js';
import { resolveCgroupPath, cgroupMounts, defaultMount, CgroupHier, HIER_NAMES, type CgroupMount } from '../containers/cgroup.js';
import { ContainerResolver, type PodSelector } from '../containers/resolver.js';
import { usageError, HuatuoError, ExitCode } from '../errors.js';
import type { TaskFilter } from '../tools/filter.js';
import type { TickPlan } from '../collector/ticks.js';
import type { DisplayUnit } from '../output/fields.js';

export interface CommonOptions {
  pid?: number;
  tid?: number;
  comm?: string;
  cgroup?: string;
  pod?: string;
  namespace?: string;
  container?: string;
  containerId?: string;
  cgroupHierarchy?: 'v2' | 'cpu' | 'memory';
  hostRoot?: string;
  json?: boolean;
  plain?: boolean;
  output?: string;
  verbose?: boolean;
  duration?: number;
  interval?: number;
  milliseconds?: boolean;
}

export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('-p, --pid <pid>', 'only this process (all its threads)', parsePositiveInt)
    .option('-t, --tid <tid>', 'only this thread', parsePositiveInt)
    .option('-c, --comm <name>', 'only tasks with this command name (first 15 characters, as the kernel keeps it)')
    .option('--cgroup <path>', 'only tasks in this cgroup (a path under /sys/fs/cgroup, or relative to the cgroup root)')
    .option('--pod <name>', 'only this pod\'s containers (exact name or a glob like checkout-*)')
    .option('-n, --namespace <ns>', 'only pods of this Kubernetes namespace')
    .option('--container <name>', 'only containers of this name (exact or a glob)')
    .option('--container-id <prefix>', 'only the container whose id starts with this')
    .addOption(new Option('--cgroup-hierarchy <h>', 'cgroup hierarchy to filter and key on (default: cpu on v1/hybrid hosts, else v2)').choices(['v2', 'cpu', 'memory']))
    .addOption(new Option('--host-root <dir>', 'the host\'s / when huatuo runs in a container (e.g. /host)').env('HUATUO_HOST_ROOT'));
}

const HIER_BY_NAME = { v2: CgroupHier.V2, cpu: CgroupHier.V1Cpu, memory: CgroupHier.V1Memory } as const;

/** Where cgroup ids come from for this run: the filter, --by cgroup/pod/container, and labels. */
export interface CgroupContext {
  mount: CgroupMount | undefined;
  /** Created on first use: it reads the node's runtimes' state. */
  resolver(): ContainerResolver;
}

export function cgroupContextFrom(o: CommonOptions): CgroupContext {
  let resolver: ContainerResolver | undefined;
  const get = () => (resolver ??= new ContainerResolver({ hostRoot: o.hostRoot }));
  if (o.hostRoot !== undefined) process.env.HUATUO_HOST_ROOT = o.hostRoot;
  const mounts = o.hostRoot !== undefined ? get().mounts : cgroupMounts();
  let mount: CgroupMount | undefined;
  if (o.cgroupHierarchy) {
    mount = mounts.find((m) => m.hier === HIER_BY_NAME[o.cgroupHierarchy!]);
    if (!mount) throw new HuatuoError(`no ${o.cgroupHierarchy} cgroup hierarchy is mounted here (have: ${mounts.map((m) => HIER_NAMES[m.hier]).join(', ') || 'none'})`, ExitCode.Unsupported);
  } else {
    mount = defaultMount(mounts);
  }
  return { mount, resolver: get };
}

function podSelector(o: CommonOptions): PodSelector | undefined {
  const sel: PodSelector = { pod: o.pod, namespace: o.namespace, container: o.container, containerId: o.containerId };
  return Object.values(sel).some((v) => v !== undefined) ? sel : undefined;
}

export function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'NDJSON on stdout: one record per interval, then a summary')
    .option('--plain', 'plain tables even on a terminal')
    .option('-o, --output <file>', 'write a capture file (JSON, mode 0600) for `huatuo report`')
    .option('-v, --verbose', 'debug messages and libbpf output on stderr');
}

export function addTimingOptions(cmd: Command, defaultIntervalS = 1): Command {
  return cmd
    .argument('[interval]', 'seconds between outputs (as -i)', parseSeconds)
    .argument('[count]', 'number of outputs, then exit', parsePositiveInt)
    .option('-d, --duration <seconds>', 'stop after this long (e.g. 5, 30s, 2m)', parseSeconds)
    .addOption(new Option('-i, --interval <seconds>', 'seconds between outputs').argParser(parseSeconds).default(defaultIntervalS))
    .option('-m, --milliseconds', 'show latencies in milliseconds (default microseconds)');
}

export function taskFilterFrom(o: CommonOptions, cg: CgroupContext = cgroupContextFrom(o)): TaskFilter {
  const filter: TaskFilter = {};
  if (o.pid !== undefined) filter.tgid = o.pid;
  if (o.tid !== undefined) filter.tid = o.tid;
  // The kernel keeps 15 bytes of comm: compare what it can hold.
  if (o.comm !== undefined) filter.comm = Buffer.from(o.comm).subarray(0, 15).toString();
  const sel = podSelector(o);
  if (o.cgroup !== undefined && sel) throw usageError('--cgroup and the pod/container selectors do not combine: use one or the other');
  if (o.cgroup !== undefined) {
    const c = resolveCgroupPath(o.cgroup, cg.mount ? [cg.mount] : cgroupMounts());
    filter.cgroups = { mount: c.mount, ids: [c.id] };
  } else if (sel) {
    const r = cg.resolver();
    const hier = cg.mount?.hier;
    const picked = r.taskCgroups(sel, hier);
    // Containers of the selection that start later are added while the run goes on.
    filter.cgroups = { ...picked, refresh: () => r.taskCgroups(sel, picked.mount.hier).ids };
  }
  return filter;
}

export function tickPlanFrom(o: CommonOptions, interval?: number, count?: number): TickPlan {
  return { intervalS: interval ?? o.interval ?? 1, durationS: o.duration, count };
}

export function unitFrom(o: CommonOptions): DisplayUnit {
  return o.milliseconds ? 'ms' : 'us';
}

/** Which sink shows results: NDJSON, plain tables, or the live Ink view on a TTY. */
export function outputMode(o: CommonOptions): 'json' | 'plain' | 'live' {
  if (o.json) return 'json';
  if (o.plain || !process.stdout.isTTY || !process.stdin.isTTY) return 'plain';
  return 'live';
}

/** runqlat-style EXAMPLES at the end of every command's help. */
export function examples(cmd: Command, lines: Array<[string, string]>): Command {
  const w = Math.max(...lines.map(([c]) => c.length));
  return cmd.addHelpText('after', `\nEXAMPLES:\n${lines.map(([c, d]) => `  ${c.padEnd(w)}  # ${d}`).join('\n')}\n`);
}
