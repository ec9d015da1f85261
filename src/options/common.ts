// Flags every tool shares, defined once (style.md §10): task filters, output, timing.
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parsePositiveInt, parseSeconds } from './units.js';
import { pidArg } from './values.js';
import { resolveCgroupPath, cgroupMounts, defaultMount, hostRootOf, readCgroupMounts, HIER_BY_NAME, HIER_NAMES, type CgroupMount } from '../containers/cgroup.js';
import { checkOutputs, type OutputTarget } from '../output/files.js';
import { logWarn } from '../log.js';
import { stdoutClaimedBy } from '../output/results.js';
import { ContainerResolver, type PodSelector } from '../containers/resolver.js';
import { usageError, HuatuoError, ExitCode } from '../errors.js';
import type { TaskFilter } from '../model/filter.js';
import type { TickPlan } from '../collector/ticks.js';
import type { DisplayUnit } from '../model/fields.js';

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
    .option('-p, --pid <pid>', 'only this process (all its threads)', pidArg)
    .option('-t, --tid <tid>', 'only this thread', pidArg)
    .option('-c, --comm <name>', 'only tasks with this command name (first 15 characters, as the kernel keeps it)')
    .option('--cgroup <path>', 'only tasks in this cgroup (a path under /sys/fs/cgroup, or relative to the cgroup root)')
    .option('--pod <name>', 'only this pod\'s containers (exact name or a glob like checkout-*)')
    .option('-n, --namespace <ns>', 'only pods of this Kubernetes namespace')
    .option('--container <name>', 'only containers of this name (exact or a glob)')
    .option('--container-id <prefix>', 'only the container whose id starts with this')
    .addOption(cgroupHierarchyOption('cgroup hierarchy to filter and key on (default: cpu on v1/hybrid hosts, else v2)'))
    .addOption(hostRootOption());
}

/** --cgroup-hierarchy, the same name wherever a hierarchy is chosen. */
export function cgroupHierarchyOption(help: string): Option {
  return new Option('--cgroup-hierarchy <h>', help).choices(['v2', 'cpu', 'memory']);
}

export function hostRootOption(): Option {
  return new Option('--host-root <dir>', 'the host\'s / when huatuo runs in a container (e.g. /host)').env('HUATUO_HOST_ROOT');
}

/** Where cgroup ids come from for this run: the filter, --by cgroup/pod/container, and labels. */
export interface CgroupContext {
  /** Every hierarchy huatuo can use here (the host's, under --host-root). */
  mounts: CgroupMount[];
  mount: CgroupMount | undefined;
  /** Created on first use: it reads the node's runtimes' state. */
  resolver(): ContainerResolver;
}

/**
 * --host-root (or $HUATUO_HOST_ROOT) must be where the host's / is: a directory with the
 * host's cgroup hierarchies under sys/fs/cgroup (or its proc/1/mountinfo naming them).
 */
export function checkHostRoot(hostRoot: string | undefined, flag = '--host-root'): void {
  if (hostRoot === undefined) return;
  const from = process.env.HUATUO_HOST_ROOT === hostRoot ? 'HUATUO_HOST_ROOT' : flag;
  const root = hostRootOf(hostRoot);
  let st;
  try {
    st = statSync(root || '/');
  } catch {
    throw usageError(`${from} ${hostRoot}: no such directory`);
  }
  if (!st.isDirectory()) throw usageError(`${from} ${hostRoot}: not a directory`);
  if (!readCgroupMounts({ hostRoot: root }).length) {
    throw usageError(`${from} ${hostRoot}: no cgroup hierarchy under ${root}/sys/fs/cgroup and no ${root}/proc/1/mountinfo: is the host's / mounted there?`);
  }
}

/** `defaultMount`: the tool's own default hierarchy (memreclaim: the memory controller's). */
export function cgroupContextFrom(o: CommonOptions, toolDefault?: (mounts: CgroupMount[]) => CgroupMount | undefined): CgroupContext {
  let resolver: ContainerResolver | undefined;
  const get = () => (resolver ??= new ContainerResolver({ hostRoot: o.hostRoot }));
  checkHostRoot(o.hostRoot);
  if (o.hostRoot !== undefined) process.env.HUATUO_HOST_ROOT = o.hostRoot;
  const mounts = o.hostRoot !== undefined ? get().mounts : cgroupMounts();
  let mount: CgroupMount | undefined;
  if (o.cgroupHierarchy) {
    mount = mounts.find((m) => m.hier === HIER_BY_NAME[o.cgroupHierarchy!]);
    if (!mount) throw new HuatuoError(`no ${o.cgroupHierarchy} cgroup hierarchy is mounted here (have: ${mounts.map((m) => HIER_NAMES[m.hier]).join(', ') || 'none'})`, ExitCode.Unsupported);
  } else {
    mount = toolDefault?.(mounts) ?? defaultMount(mounts);
  }
  return { mounts, mount, resolver: get };
}

export function podSelector(o: CommonOptions): PodSelector | undefined {
  const sel: PodSelector = { pod: o.pod, namespace: o.namespace, container: o.container, containerId: o.containerId };
  return Object.values(sel).some((v) => v !== undefined) ? sel : undefined;
}

export function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'NDJSON on stdout: one record per interval, then a summary')
    .option('--plain', 'plain tables even on a terminal')
    .option('-o, --output <file>', 'write a capture file (JSON, mode 0600) for `huatuo report`; - for stdout', captureArg)
    .option('-v, --verbose', 'debug messages and libbpf output on stderr');
}

/** kubectl's -o formats: `-o json` most likely means --json, not a file named "json". */
const KUBECTL_FORMATS = /^(json|yaml|wide|name|ndjson|table|plain|text|jsonpath|go-template|custom-columns)([=,].*)?$/;

function captureArg(path: string): string {
  if (KUBECTL_FORMATS.test(path)) {
    throw new InvalidArgumentError(`"${path}" looks like a kubectl output format; -o writes a capture file: use --json for NDJSON on stdout, or -o ./${path} for a file of that name`);
  }
  return path;
}

/** Before anything is attached: the capture path (and the caller's other outputs) can be written. */
export function checkCaptureOutput(o: CommonOptions, more: OutputTarget[] = []): void {
  checkOutputs([...(o.output !== undefined ? [{ flag: '-o', path: o.output, kind: 'capture' as const }] : []), ...more]);
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
  if (o.pid !== undefined) filter.tgid = checkPid(o.pid, '--pid');
  if (o.tid !== undefined) filter.tid = checkPid(o.tid, '--tid');
  if (o.comm !== undefined) {
    if (o.comm === '') throw usageError('--comm: the name is empty');
    // The kernel keeps 15 bytes of comm: compare what it can hold.
    filter.comm = Buffer.from(o.comm).subarray(0, 15).toString();
    if (filter.comm !== o.comm) logWarn(`--comm ${o.comm}: the kernel keeps 15 bytes of a command name; matching "${filter.comm}"`);
  }
  const sel = podSelector(o);
  if (o.cgroup !== undefined && sel) throw usageError('--cgroup and the pod/container selectors do not combine: use one or the other');
  if (o.cgroup !== undefined) {
    // An absolute path picks its own hierarchy; --cgroup-hierarchy, when given, must agree.
    const c = resolveCgroupPath(o.cgroup, cg.mounts, o.cgroupHierarchy ? cg.mount : undefined);
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

/**
 * A --pid must be a process (not one of its threads), a --tid a thread. One that is not
 * running now is not an error: runqlat-style, the run waits for it (a pid may be about to
 * be reused, and a stopped run loses nothing); stderr says so once.
 */
function checkPid(id: number, flag: '--pid' | '--tid'): number {
  const root = hostRootOf();
  const status = `${root}/proc/${id}/status`;
  if (!existsSync(status)) {
    logWarn(`${flag} ${id}: no such ${flag === '--pid' ? 'process' : 'thread'} is running now; counting it if it starts`);
    return id;
  }
  if (flag === '--pid') {
    try {
      const tgid = Number(/^Tgid:\s*(\d+)/m.exec(readFileSync(status, 'utf8'))?.[1]);
      if (tgid && tgid !== id) throw usageError(`--pid ${id} is a thread of process ${tgid}: use --tid ${id}, or --pid ${tgid}`);
    } catch (e) {
      if (e instanceof HuatuoError) throw e; // the thread case; a vanished process is fine
    }
  }
  return id;
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
  if (stdoutClaimedBy()) return 'plain'; // stdout carries an output file: tables go to stderr
  if (o.plain || !process.stdout.isTTY || !process.stdin.isTTY) return 'plain';
  return 'live';
}

/** runqlat-style EXAMPLES at the end of every command's help. */
export function examples(cmd: Command, lines: Array<[string, string]>): Command {
  const w = Math.max(...lines.map(([c]) => c.length));
  return cmd.addHelpText('after', `\nEXAMPLES:\n${lines.map(([c, d]) => `  ${c.padEnd(w)}  # ${d}`).join('\n')}\n`);
}

