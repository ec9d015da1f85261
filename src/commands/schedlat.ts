// huatuo schedlat: run-queue latency. Its own flag (--method) and its start; the rest is
// the latency command (latency-command.ts): flags → startSchedlat (bpf/schedlat.bpf.c) → sinks.
import { Option } from 'commander';
import { startSchedlat, SCHEDLAT_BY, SCHEDLAT_METHODS, type SchedlatMethod, type SchedlatBy, type SchedlatRow, type SchedlatEvent } from '../tools/schedlat.js';
import { schedlatFields, schedlatEventFields } from '../output/schedlat-fields.js';
import { latencyCommand, type LatencyFlags } from './latency-command.js';
import { HIER_NAMES } from '../containers/cgroup.js';

interface SchedlatFlags extends LatencyFlags {
  by: SchedlatBy;
  method: SchedlatMethod;
}

export function schedlatCommand() {
  return latencyCommand<SchedlatFlags, SchedlatRow, SchedlatEvent>({
    name: 'schedlat',
    by: SCHEDLAT_BY,
    thresholdHelp: 'report each wait at or over this, with the task that held the CPU',
    options: (cmd) => {
      cmd.addOption(new Option('--method <m>', 'how waits are timed: wakeup (as runqlat) or sched-info (cheaper, see docs)').choices(SCHEDLAT_METHODS).default('wakeup'));
    },
    examples: [
      ['huatuo schedlat', 'live table per command, until q or Ctrl-C'],
      ['huatuo schedlat -d 10 --by pid', 'ten seconds, one row per process'],
      ['huatuo schedlat 5 3', 'three 5-second intervals (runqlat style)'],
      ['huatuo schedlat -p 1234 --threshold 10ms', 'process 1234, and who held the CPU on each wait over 10 ms'],
      ['huatuo schedlat --pod checkout-7d9f -n shop', 'one pod\'s containers only'],
      ['huatuo schedlat --by pod -d 10', 'one row per pod (host tasks as "(host)")'],
      ['huatuo schedlat --cgroup /sys/fs/cgroup/cpu/kubepods --by cgroup -m', 'per cgroup, in milliseconds'],
      ['huatuo schedlat --json -d 3 | jq .', 'NDJSON for scripts'],
    ],
    fields: (by) => schedlatFields(by as SchedlatBy),
    eventFields: schedlatEventFields,
    start: ({ flags, filter, cgroups, thresholdNs }) => {
      const session = startSchedlat({ by: flags.by, filter, cgroups, thresholdNs, method: flags.method, maxEventsPerSec: flags.maxEvents });
      const mount = session.cgroupMount;
      return {
        session,
        meta: { by: flags.by, method: session.method, attach: session.attachKind, cgroup_hierarchy: mount ? HIER_NAMES[mount.hier] : 'none' },
      };
    },
  });
}
