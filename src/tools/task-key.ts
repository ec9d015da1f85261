// The task side of a latency tool's rows (struct task_key and enum task_key_by in
// bpf/common.h): which --by values there are, their codes (read from the object's BTF),
// how a decoded key becomes a labelled row, pod and container rows included.
import type { BpfObject } from '../bpf-loader/object.js';
import { CgroupNames, type CgroupMount } from '../containers/cgroup.js';
import { containerRowLabels } from '../containers/labels.js';
import type { ContainerResolver } from '../containers/resolver.js';
import { TASK_BY, type TaskBy, type TaskKeyRow } from '../model/latency.js';

export { TASK_BY, type TaskBy };

const KERNEL_KEYS = ['COMM', 'PID', 'TID', 'CPU', 'CGROUP', 'TOOL'] as const;

/** enum task_key_by of the object, as { COMM: 0, …, TOOL: n } (a tool's own keys start at TOOL). */
export function taskKeyCodes(obj: BpfObject): Record<(typeof KERNEL_KEYS)[number], number> {
  return obj.enumValues('task_key_by', 'TASK_KEY_BY_', KERNEL_KEYS);
}

/** The kernel's code for a --by value. */
export function taskKeyCode(obj: BpfObject, by: TaskBy): number {
  const c = taskKeyCodes(obj);
  return by === 'pod' || by === 'container' ? c.CGROUP : c[by.toUpperCase() as 'COMM' | 'PID' | 'TID' | 'CPU' | 'CGROUP'];
}

/** struct task_key as decoded. */
export interface TaskKey {
  cgroup_id: number;
  id: number;
  comm: string;
}

/** struct task_key as TypeScript reads it (checked against the BTF: layout.ts). */
export const TASK_KEY_SPEC = { cgroup_id: 'u64', id: 'u32', __pad: 'u32', comm: 'char[16]' } as const;

export interface TaskKeyContext {
  /** The hierarchy cgroup ids are in (the filter's, else the default). */
  mount: CgroupMount | undefined;
  /** Pod and container names, created on first use. */
  resolver(): ContainerResolver;
}

/** Turns decoded keys into labelled rows for one --by. */
export class TaskKeyLabeller {
  private readonly cgroupNames: CgroupNames | undefined;

  constructor(readonly by: TaskBy, private readonly ctx: TaskKeyContext) {
    this.cgroupNames = ctx.mount ? new CgroupNames(ctx.mount) : undefined;
  }

  label(k: TaskKey): TaskKeyRow {
    switch (this.by) {
      case 'pid': return { key: `${k.id}`, pid: k.id, comm: k.comm };
      // A thread that renames itself gets a second row: keep the keys apart.
      case 'tid': return { key: `${k.id}/${k.comm}`, tid: k.id, comm: k.comm };
      case 'cpu': return { key: `${k.id}`, cpu: k.id };
      case 'cgroup': return { key: `${k.cgroup_id}`, cgroup_id: k.cgroup_id, cgroup: this.cgroupNames?.name(k.cgroup_id) };
      case 'pod':
      case 'container':
        return containerRowLabels(this.by, this.ctx.resolver(), this.ctx.mount!.hier, k.cgroup_id);
      default: return { key: k.comm, comm: k.comm };
    }
  }
}
