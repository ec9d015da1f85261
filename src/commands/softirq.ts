// huatuo softirq: softirq handler time and raise→entry delay per vector, CPU or the task
// they ran on top of. Its own flag (--vector) and its start; the rest is the latency
// command (latency-command.ts): flags → startSoftirq (bpf/softirq.bpf.c) → sinks.
import { HIER_NAMES } from '../containers/cgroup.js';
import { SOFTIRQ_BY, type SoftirqBy, type SoftirqEvent, type SoftirqRow } from '../model/softirq.js';
import { softirqEventFields, softirqFields, softnetFields } from '../output/softirq-fields.js';
import { parseVectors, softirqNames, startSoftirq } from '../tools/softirq.js';
import { latencyCommand, type LatencyFlags } from './latency-command.js';

interface SoftirqFlags extends LatencyFlags {
  by: SoftirqBy;
  vector?: string;
  delay: boolean;
}

export function softirqCommand() {
  return latencyCommand<SoftirqFlags, SoftirqRow, SoftirqEvent>({
    name: 'softirq',
    by: SOFTIRQ_BY,
    thresholdHelp: 'report each run whose handler time or delay is at or over this, with the task it ran on top of',
    options: (cmd) => {
      cmd.option('--vector <names>', 'only these softirqs, comma separated (net_rx,timer,…; see /proc/softirqs)');
      cmd.option('--no-delay', 'handler time only: no program on softirq_raise, so no raise-to-run delay (cheaper)');
    },
    examples: [
      ['huatuo softirq', 'live table per vector, until q or Ctrl-C'],
      ['huatuo softirq -d 10 --by vector,cpu', 'ten seconds, one row per vector and CPU'],
      ['huatuo softirq --vector net_rx --threshold 1ms', 'NET_RX runs that took or waited 1 ms or more, and whose task they hit'],
      ['huatuo softirq --by pod -d 10', 'softirq time taken from each pod\'s tasks'],
      ['huatuo softirq --pod checkout-7d9f -n shop', 'softirqs that ran on top of one pod\'s tasks'],
      ['huatuo softirq --json -d 3 | jq .', 'NDJSON for scripts (with softnet_stat deltas)'],
    ],
    fields: (by) => softirqFields(by as SoftirqBy),
    eventFields: softirqEventFields,
    sideFields: { softnet: softnetFields },
    sortBy: 'total',
    histName: 'handler time',
    start: ({ flags, filter, cgroups, thresholdNs }) => {
      const vectors = parseVectors(flags.vector, softirqNames());
      const session = startSoftirq({ by: flags.by, vectors, filter, cgroups, thresholdNs, maxEventsPerSec: flags.maxEvents, delay: flags.delay });
      const mount = session.cgroupMount;
      return {
        session,
        meta: {
          by: flags.by,
          vectors: vectors.length ? vectors.join(',') : 'all',
          delay: flags.delay,
          attach: session.attachKind,
          cgroup_hierarchy: mount ? HIER_NAMES[mount.hier] : 'none',
        },
      };
    },
  });
}
