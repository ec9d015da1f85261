// The task filter every tool takes (--pid, --tid, --comm, --cgroup; pods map onto cgroup
// ids): plain data the options make and the tools turn into rodata and maps (tools/filter.ts).
import type { CgroupMount } from '../containers/cgroup.js';

export interface TaskFilter {
  tgid?: number;
  tid?: number;
  comm?: string;
  /** Allowed cgroup ids, all in one hierarchy; refresh() gives the ids now (pods change). */
  cgroups?: { mount: CgroupMount; ids: number[]; refresh?: () => number[] };
}
