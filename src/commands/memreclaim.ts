// huatuo memreclaim: who stalls in memory reclaim, how long, in which cgroup or pod, and
// why. No flags of its own; the rest is the latency command (latency-command.ts):
// flags → startMemreclaim (bpf/memreclaim.bpf.c) → sinks.
import { HIER_NAMES } from '../containers/cgroup.js';
import { MEMRECLAIM_BY, type MemreclaimBy, type MemreclaimEvent, type MemreclaimRow } from '../model/memreclaim.js';
import { memoryFields, memreclaimEventFields, memreclaimFields } from '../output/memreclaim-fields.js';
import { startMemreclaim } from '../tools/memreclaim.js';
import { memoryMount } from '../tools/memreclaim-context.js';
import { latencyCommand, type LatencyFlags } from './latency-command.js';

interface MemreclaimFlags extends LatencyFlags {
  by: MemreclaimBy;
}

export function memreclaimCommand() {
  return latencyCommand<MemreclaimFlags, MemreclaimRow, MemreclaimEvent>({
    name: 'memreclaim',
    by: MEMRECLAIM_BY,
    thresholdHelp: 'report each stall at or over this, with the task\'s kernel and user stacks',
    examples: [
      ['huatuo memreclaim', 'live table per cgroup and kind of stall, until q or Ctrl-C'],
      ['huatuo memreclaim --by pod -d 30', 'thirty seconds, one row per pod and kind'],
      ['huatuo memreclaim --pod checkout-7d9f -n shop --threshold 1ms', 'one pod\'s stalls of 1 ms or more, with stacks'],
      ['huatuo memreclaim --by pid --json -d 10 | jq .', 'NDJSON for scripts'],
    ],
    fields: (by) => memreclaimFields(by as MemreclaimBy),
    eventFields: memreclaimEventFields,
    sideFields: { memory: memoryFields },
    sortBy: 'total',
    histName: 'stall',
    defaultMount: memoryMount,
    start: ({ flags, filter, cgroups, thresholdNs }) => {
      const session = startMemreclaim({ by: flags.by, filter, cgroups, thresholdNs, maxEventsPerSec: flags.maxEvents });
      const mount = session.cgroupMount;
      return {
        session,
        meta: { by: flags.by, kinds: session.kinds.join(','), attach: session.attachKind, cgroup_hierarchy: mount ? HIER_NAMES[mount.hier] : 'none' },
      };
    },
  });
}
