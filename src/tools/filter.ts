// The task filter every tool takes (--pid, --tid, --comm, --cgroup; pods map onto
// cgroup ids), and how it becomes rodata and the cgroup_filter map of bpf/common.h.
import type { BpfObject } from '../bpf-loader/object.js';
import { CgroupHier, type CgroupMount } from '../containers/cgroup.js';
import { logWarn } from '../log.js';
import type { TaskFilter } from '../model/filter.js';

export type { TaskFilter } from '../model/filter.js';

const HIER_ENUM: Record<CgroupHier, 'V2' | 'V1_CPU' | 'V1_MEMORY'> = { [CgroupHier.V2]: 'V2', [CgroupHier.V1Cpu]: 'V1_CPU', [CgroupHier.V1Memory]: 'V1_MEMORY' };

/** The kernel side's code (enum cgroup_hier of bpf/common.h, from the object's BTF) for a hierarchy; v2 when none. */
export function cgroupHierCode(obj: BpfObject, mount: CgroupMount | undefined): number {
  const codes = obj.enumValues('cgroup_hier', 'CGROUP_HIER_', ['V2', 'V1_CPU', 'V1_MEMORY']);
  return codes[HIER_ENUM[mount?.hier ?? CgroupHier.V2]];
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

/** Before load: room in the cgroup set for what the filter holds now and may gain. */
export function sizeCgroupFilter(obj: BpfObject, f: TaskFilter): void {
  const n = f.cgroups?.ids.length ?? 0;
  if (n * 2 > 4096) obj.setMaxEntries('cgroup_filter', n * 2);
}

/** Members of a BPF hash used as a set (u8 value: 1 in, 0 turned off), keyed by u32 or u64. */
export function fillSet(obj: BpfObject, map: string, keys: number[], keyBytes: 4 | 8, value: 0 | 1 = 1): void {
  const v = Buffer.from([value]);
  for (const k of keys) {
    const key = Buffer.alloc(keyBytes);
    if (keyBytes === 8) key.writeBigUInt64LE(BigInt(k));
    else key.writeUInt32LE(k >>> 0);
    obj.mapUpdate(map, key, v);
  }
}

/** After load, before attach: the allowed cgroup ids. */
export function fillCgroupFilter(obj: BpfObject, f: TaskFilter, ids = f.cgroups?.ids ?? []): void {
  fillSet(obj, 'cgroup_filter', ids, 8);
}

/** Add the cgroups a pod selection gained since the last call (new containers, restarts). */
export class CgroupFilterRefresher {
  private known: Set<number>;
  private warned = false;

  constructor(private readonly obj: BpfObject, private readonly f: TaskFilter) {
    this.known = new Set(f.cgroups?.ids ?? []);
  }

  refresh(): void {
    if (!this.f.cgroups?.refresh) return;
    let now: number[];
    try {
      now = this.f.cgroups.refresh();
    } catch {
      return; // every container of the selection is gone for now: keep what we have
    }
    const added = now.filter((id) => !this.known.has(id));
    for (const id of added) {
      try {
        fillCgroupFilter(this.obj, this.f, [id]);
        this.known.add(id); // only what was written: a failed one is tried again next time
      } catch (e) {
        if (!this.warned) logWarn(`cannot add cgroup ${id} to the filter: ${(e as Error).message}`);
        this.warned = true;
      }
    }
  }
}
