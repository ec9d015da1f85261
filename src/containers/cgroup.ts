// cgroup paths ⇄ the ids the kernel side sees. A cgroup's id is its directory's inode
// number (kernfs node id) on v2 and on v1 alike, so stat(2) gives the id of a path and a
// walk of the hierarchy gives the path of an id.
import { readFileSync, statSync, readdirSync, existsSync } from 'node:fs';
import { join, isAbsolute, resolve } from 'node:path';
import { HuatuoError, ExitCode } from '../errors.js';

/** Hierarchy codes, as CGROUP_HIER_* in bpf/common.h. */
export const CgroupHier = { V2: 0, V1Cpu: 1, V1Memory: 2 } as const;
export type CgroupHier = (typeof CgroupHier)[keyof typeof CgroupHier];

export interface CgroupMount {
  hier: CgroupHier;
  root: string;
}

/** The cgroup mounts huatuo can filter on: the unified tree and the v1 cpu and memory ones. */
export function cgroupMounts(mountinfo = '/proc/self/mountinfo'): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of readFileSync(mountinfo, 'utf8').split('\n')) {
    // id parent maj:min root mountpoint opts ... - fstype source superopts
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const mountpoint = left.split(' ')[4];
    const [fstype, , superOpts = ''] = right.split(' ');
    if (fstype === 'cgroup2') out.push({ hier: CgroupHier.V2, root: mountpoint });
    else if (fstype === 'cgroup') {
      const opts = superOpts.split(',');
      if (opts.includes('cpu')) out.push({ hier: CgroupHier.V1Cpu, root: mountpoint });
      else if (opts.includes('memory')) out.push({ hier: CgroupHier.V1Memory, root: mountpoint });
    }
  }
  return out;
}

/** Hybrid hosts (v1 controllers plus a v2 tree) account CPU in v1: key and filter there by default. */
export function defaultMount(mounts = cgroupMounts()): CgroupMount | undefined {
  return mounts.find((m) => m.hier === CgroupHier.V1Cpu) ?? mounts.find((m) => m.hier === CgroupHier.V2);
}

export interface ResolvedCgroup {
  path: string;
  id: number;
  mount: CgroupMount;
}

/**
 * Resolve --cgroup: an absolute path inside a cgroup mount, or a path relative to the
 * default hierarchy ("/kubepods/pod…" or "system.slice/x.service").
 */
export function resolveCgroupPath(arg: string, mounts = cgroupMounts()): ResolvedCgroup {
  const inMount = (p: string) =>
    mounts
      .filter((m) => p === m.root || p.startsWith(m.root.endsWith('/') ? m.root : m.root + '/'))
      .sort((a, b) => b.root.length - a.root.length)[0];
  let path = isAbsolute(arg) ? resolve(arg) : '';
  let mount = path ? inMount(path) : undefined;
  if (!mount) {
    const def = defaultMount(mounts);
    if (!def) throw new HuatuoError('no cgroup v2, cpu or memory hierarchy is mounted', ExitCode.Unsupported);
    path = join(def.root, arg);
    mount = def;
  }
  if (!existsSync(path)) throw new HuatuoError(`cgroup ${arg} does not exist (looked at ${path})`, ExitCode.Runtime);
  return { path, id: statSync(path).ino, mount };
}

/** id → path (relative to the hierarchy's root) for one hierarchy, re-walked on a miss. */
export class CgroupNames {
  private names = new Map<number, string>();
  private lastWalk = 0;

  constructor(readonly mount: CgroupMount) {}

  private walk(): void {
    const names = new Map<number, string>();
    const visit = (dir: string, rel: string) => {
      try {
        names.set(statSync(dir).ino, rel || '/');
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          if (e.isDirectory()) visit(join(dir, e.name), `${rel}/${e.name}`);
        }
      } catch {
        /* cgroups come and go while we walk */
      }
    };
    visit(this.mount.root, '');
    this.names = names;
    this.lastWalk = Date.now();
  }

  /** The cgroup's path, or `cgroup:<id>` once it is gone. Walks at most once a second. */
  name(id: number): string {
    let n = this.names.get(id);
    if (n === undefined && Date.now() - this.lastWalk > 1000) {
      this.walk();
      n = this.names.get(id);
    }
    return n ?? `cgroup:${id}`;
  }
}
