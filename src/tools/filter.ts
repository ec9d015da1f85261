// The task filter every tool takes (--pid, --tid, --comm, --cgroup; pods map onto
// cgroup ids), and how it becomes rodata and the cgroup_filter map of bpf/common.h.
import type { BpfObject } from '../bpf-loader/object.js';
import type { CgroupMount } from '../containers/cgroup.js';

export interface TaskFilter {
  tgid?: number;
  tid?: number;
  comm?: string;
  /** Allowed cgroup ids, all in one hierarchy. */
  cgroups?: { mount: CgroupMount; ids: number[] };
}

/** Before load: rodata switches. The cgroup set itself is filled after load (maps exist then). */
export function applyTaskFilter(obj: BpfObject, f: TaskFilter): void {
  obj.setRodata({
    targ_tgid: f.tgid ?? 0,
    targ_tid: f.tid ?? 0,
    targ_filter_comm: f.comm !== undefined,
    targ_comm: f.comm ?? '',
    targ_filter_cgroup: f.cgroups !== undefined,
  });
}

/** After load, before attach: the allowed cgroup ids. */
export function fillCgroupFilter(obj: BpfObject, f: TaskFilter): void {
  if (!f.cgroups) return;
  const one = Buffer.from([1]);
  for (const id of f.cgroups.ids) {
    const key = Buffer.alloc(8);
    key.writeBigUInt64LE(BigInt(id));
    obj.mapUpdate('cgroup_filter', key, one);
  }
}
