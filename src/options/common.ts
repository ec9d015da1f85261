// Flags every tool shares, defined once (style.md §10): task filters, output, timing.
import { Command, Option } from 'commander';
import { parsePositiveInt, parseSeconds } from './units.js';
import { resolveCgroupPath } from '../containers/cgroup.js';
import type { TaskFilter } from '../tools/filter.js';
import type { TickPlan } from '../collector/ticks.js';
import type { DisplayUnit } from '../output/fields.js';

export interface CommonOptions {
  pid?: number;
  tid?: number;
  comm?: string;
  cgroup?: string;
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
    .option('--cgroup <path>', 'only tasks in this cgroup (a path under /sys/fs/cgroup, or relative to the cgroup root)');
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

export function taskFilterFrom(o: CommonOptions): TaskFilter {
  const filter: TaskFilter = {};
  if (o.pid !== undefined) filter.tgid = o.pid;
  if (o.tid !== undefined) filter.tid = o.tid;
  // The kernel keeps 15 bytes of comm: compare what it can hold.
  if (o.comm !== undefined) filter.comm = Buffer.from(o.comm).subarray(0, 15).toString();
  if (o.cgroup !== undefined) {
    const cg = resolveCgroupPath(o.cgroup);
    filter.cgroups = { mount: cg.mount, ids: [cg.id] };
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
