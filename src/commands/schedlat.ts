// huatuo schedlat: flags → SchedlatSession (bpf/schedlat.bpf.c) → LatencyCollector → sinks.
import { Command, Option } from 'commander';
import { addFilterOptions, addOutputOptions, addTimingOptions, cgroupContextFrom, checkCaptureOutput, examples, outputMode, taskFilterFrom, tickPlanFrom, unitFrom, type CommonOptions } from '../options/common.js';
import { parseTimeNs } from '../options/units.js';
import { checkChoice, intArg } from '../options/values.js';
import { sortNames } from '../output/fields.js';
import { preflight } from '../bpf-loader/preflight.js';
import { SchedlatSession, SCHEDLAT_BY, SCHEDLAT_METHODS, type SchedlatBy, type SchedlatMethod } from '../tools/schedlat.js';
import { schedlatFields, schedlatEventFields } from '../output/schedlat-fields.js';
import { runLatencyTool } from './latency-run.js';
import { stopOnSignals } from '../collector/ticks.js';
import { setVerbose } from '../log.js';
import { HIER_NAMES } from '../containers/cgroup.js';

interface SchedlatFlags extends CommonOptions {
  by: SchedlatBy;
  threshold?: string;
  method: SchedlatMethod;
  sort: string;
  maxEvents: number;
}

export function schedlatCommand(): Command {
  const cmd = new Command('schedlat').description('run-queue latency: how long runnable tasks wait for a CPU, as histograms per key');
  addFilterOptions(cmd);
  cmd
    .addOption(new Option('--by <key>', 'one histogram per').choices(SCHEDLAT_BY).default('comm'))
    .option('--threshold <time>', 'report each wait at or over this (e.g. 10ms; a bare number is in the display unit) with the task that held the CPU')
    .addOption(new Option('--sort <field>', 'sort rows by count|avg|p50|p90|p99|max, or a key column').default('p99'))
    .addOption(new Option('--method <m>', 'how waits are timed: wakeup (as runqlat) or sched-info (cheaper, see docs)').choices(SCHEDLAT_METHODS).default('wakeup'))
    .addOption(new Option('--max-events <n>', 'slow events per second per CPU, the rest are counted (0: no limit)').argParser(intArg({ min: 0, max: 1_000_000 })).default(1000));
  addTimingOptions(cmd);
  addOutputOptions(cmd);
  examples(cmd, [
    ['huatuo schedlat', 'live table per command, until q or Ctrl-C'],
    ['huatuo schedlat -d 10 --by pid', 'ten seconds, one row per process'],
    ['huatuo schedlat 5 3', 'three 5-second intervals (runqlat style)'],
    ['huatuo schedlat -p 1234 --threshold 10ms', 'process 1234, and who held the CPU on each wait over 10 ms'],
    ['huatuo schedlat --pod checkout-7d9f -n shop', 'one pod\'s containers only'],
    ['huatuo schedlat --by pod -d 10', 'one row per pod (host tasks as "(host)")'],
    ['huatuo schedlat --cgroup /sys/fs/cgroup/cpu/kubepods --by cgroup -m', 'per cgroup, in milliseconds'],
    ['huatuo schedlat --json -d 3 | jq .', 'NDJSON for scripts'],
  ]);
  cmd.action(async (interval: number | undefined, count: number | undefined, flags: SchedlatFlags) => {
    setVerbose(!!flags.verbose);
    const unit = unitFrom(flags);
    const thresholdNs = flags.threshold ? parseTimeNs(flags.threshold, unit, '--threshold') : 0;
    const fields = schedlatFields(flags.by);
    checkChoice('--sort', flags.sort, sortNames(fields));
    const cgroups = cgroupContextFrom(flags);
    const filter = taskFilterFrom(flags, cgroups);
    checkCaptureOutput(flags);
    preflight();
    const stop = stopOnSignals();
    const session = SchedlatSession.start({ by: flags.by, filter, cgroups, thresholdNs, method: flags.method, maxEventsPerSec: flags.maxEvents });
    await runLatencyTool({
      session,
      stop,
      plan: tickPlanFrom(flags, interval, count),
      mode: outputMode(flags),
      capturePath: flags.output,
      spec: {
        tool: 'schedlat',
        meta: { by: flags.by, method: session.method, attach: session.attachKind, cgroup_hierarchy: session.cgroupMount ? HIER_NAMES[session.cgroupMount.hier] : 'none' },
        fields,
        eventFields: schedlatEventFields,
        unit,
        sortBy: flags.sort,
      },
    });
  });
  return cmd;
}
