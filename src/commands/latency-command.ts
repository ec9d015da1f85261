// The command of any latency tool: the common flags (filters, output, timing), the
// latency ones (--by, --threshold, --sort, --max-events), their checks before anything is
// attached, signals, the session and the run loop. A tool declares only what is its own.
import { Command, Option } from 'commander';
import {
  addFilterOptions, addOutputOptions, addTimingOptions, cgroupContextFrom, checkCaptureOutput, examples, outputMode,
  taskFilterFrom, tickPlanFrom, unitFrom, type CgroupContext, type CommonOptions,
} from '../options/common.js';
import { parseTimeNs } from '../options/units.js';
import { checkChoice, intArg } from '../options/values.js';
import { preflight } from '../bpf-loader/preflight.js';
import { stopOnSignals } from '../collector/ticks.js';
import type { LatencySource } from '../collector/latency-collector.js';
import { sortNames, type Field } from '../model/fields.js';
import type { KeyedValues, LatencyOutputSpec } from '../model/latency.js';
import type { TaskFilter } from '../tools/filter.js';
import type { CgroupMount } from '../containers/cgroup.js';
import { setVerbose } from '../log.js';
import { runLatencyTool } from './latency-run.js';

export interface LatencyFlags extends CommonOptions {
  by: string;
  threshold?: string;
  sort: string;
  maxEvents: number;
}

/** What the tool's start() gets: everything checked, nothing attached yet. */
export interface LatencyStart<F> {
  flags: F;
  filter: TaskFilter;
  cgroups: CgroupContext;
  /** --threshold in ns (0: no slow events). */
  thresholdNs: number;
}

export interface LatencyToolSpec<F extends LatencyFlags, R extends KeyedValues, E> {
  /** The tool's name (its description is its summary in src/registry.ts, set by the CLI). */
  name: string;
  /** --by values, the first is the default. */
  by: readonly string[];
  /** What --threshold reports, for the help; a counter tool without one has no --threshold nor --max-events. */
  thresholdHelp?: string;
  /** The tool's own flags. */
  options?(cmd: Command): void;
  examples: Array<[string, string]>;
  /** Row fields for a --by (the first one is also the default sort's fallback). */
  fields(by: string): Field<R>[];
  eventFields: Field<E>[];
  /** Side tables' fields by name (softirq's softnet). */
  sideFields?: LatencyOutputSpec<R, E>['sideFields'];
  /** A counter tool's unit (netdrop: drops). */
  countName?: string;
  /** A counter tool's drill-down: the events of a row. */
  rowEvents?: LatencyOutputSpec<R, E>['rowEvents'];
  /** What the main histogram measures (the drill-down's title). */
  histName?: string;
  /** The tool's default cgroup hierarchy, when it is not the kit's (cpu on v1/hybrid hosts, else v2). */
  defaultMount?: (mounts: CgroupMount[]) => CgroupMount | undefined;
  /** The default --sort (p99 unless said). */
  sortBy?: string;
  /**
   * The tool's own checks of its flags, before anything else is looked at (pods, privileges):
   * a bad value is a usage error (exit 2) whoever runs it.
   */
  check?(flags: F): void;
  /** Load and attach; the returned meta goes into every record and the capture. */
  start(s: LatencyStart<F>): { session: LatencySource<R, E> & { close(): void }; meta: Record<string, string | number | boolean> };
}

export function latencyCommand<F extends LatencyFlags, R extends KeyedValues, E>(spec: LatencyToolSpec<F, R, E>): Command {
  const cmd = new Command(spec.name);
  addFilterOptions(cmd);
  cmd.addOption(new Option('--by <key>', spec.thresholdHelp ? 'one histogram per' : 'one row per').choices(spec.by).default(spec.by[0]));
  if (spec.thresholdHelp) cmd.option('--threshold <time>', `${spec.thresholdHelp} (e.g. 10ms; a bare number is in the display unit)`);
  cmd.addOption(new Option('--sort <field>', 'sort rows by a statistics or key column (see the table headers)').default(spec.sortBy ?? 'p99'));
  if (spec.thresholdHelp) {
    cmd.addOption(new Option('--max-events <n>', 'slow events per second per CPU, the rest are counted (0: no limit)').argParser(intArg({ min: 0, max: 1_000_000 })).default(1000));
  }
  spec.options?.(cmd);
  addTimingOptions(cmd);
  addOutputOptions(cmd);
  examples(cmd, spec.examples);
  cmd.action(async (interval: number | undefined, count: number | undefined, flags: F) => {
    setVerbose(!!flags.verbose);
    spec.check?.(flags);
    const unit = unitFrom(flags);
    const thresholdNs = flags.threshold ? parseTimeNs(flags.threshold, unit, '--threshold') : 0;
    const fields = spec.fields(flags.by);
    checkChoice('--sort', flags.sort, sortNames(fields));
    const cgroups = cgroupContextFrom(flags, spec.defaultMount);
    const filter = taskFilterFrom(flags, cgroups);
    checkCaptureOutput(flags);
    preflight();
    // Before start-up: Ctrl-C while loading is a normal end too.
    const stop = stopOnSignals();
    let started: ReturnType<typeof spec.start>;
    try {
      started = spec.start({ flags, filter, cgroups, thresholdNs });
    } catch (e) {
      stop.dispose();
      throw e;
    }
    const { session, meta } = started;
    await runLatencyTool({
      session,
      stop,
      plan: tickPlanFrom(flags, interval, count),
      mode: outputMode(flags),
      capturePath: flags.output,
      spec: { tool: spec.name, meta, fields, eventFields: spec.eventFields, sideFields: spec.sideFields, histName: spec.histName, rowEvents: spec.rowEvents, countName: spec.countName, unit, sortBy: flags.sort },
    });
  });
  return cmd;
}
