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
  /** Where the hierarchy is mounted (already prefixed with the host root, if any). */
  root: string;
  /** The mount's root inside the hierarchy: "/" unless a sub-tree is bind-mounted. */
  base?: string;
}

/** Short names of the hierarchies, for tables and JSON. */
export const HIER_NAMES: Record<CgroupHier, 'v2' | 'cpu' | 'memory'> = { 0: 'v2', 1: 'cpu', 2: 'memory' };

/** --cgroup-hierarchy's names, back to the hierarchy. */
export const HIER_BY_NAME = { v2: CgroupHier.V2, cpu: CgroupHier.V1Cpu, memory: CgroupHier.V1Memory } as const;

/** The host's / as seen by huatuo: --host-root, else $HUATUO_HOST_ROOT, else "" (we are on the host). */
export function hostRootOf(hostRoot?: string): string {
  const r = hostRoot ?? process.env.HUATUO_HOST_ROOT ?? '';
  return r.replace(/\/+$/, '');
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * The cgroup v2, v1 cpu and v1 memory mounts in a mountinfo text, one per hierarchy (a
 * mount of the hierarchy's root preferred), mount points prefixed with hostRoot.
 */
export function parseMountinfo(text: string, hostRoot = ''): CgroupMount[] {
  const found: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    // id parent maj:min root mountpoint opts ... - fstype source superopts
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const f = left.split(' ');
    const [fstype, , superOpts = ''] = right.split(' ');
    const opts = superOpts.split(',');
    let hier: CgroupHier | undefined;
    if (fstype === 'cgroup2') hier = CgroupHier.V2;
    else if (fstype === 'cgroup' && opts.includes('cpu')) hier = CgroupHier.V1Cpu;
    else if (fstype === 'cgroup' && opts.includes('memory')) hier = CgroupHier.V1Memory;
    if (hier !== undefined && f[4]) found.push({ hier, root: hostRoot + unescape(f[4]), base: unescape(f[3] ?? '/') });
  }
  const out: CgroupMount[] = [];
  for (const hier of [CgroupHier.V2, CgroupHier.V1Cpu, CgroupHier.V1Memory]) {
    const all = found.filter((m) => m.hier === hier);
    const best = all.find((m) => m.base === '/') ?? all[0];
    if (best) out.push(best);
  }
  return out;
}

/** Without a readable mountinfo: the usual places under <hostRoot>/sys/fs/cgroup. */
function probeCgroupMounts(hostRoot: string): CgroupMount[] {
  const top = `${hostRoot}/sys/fs/cgroup`;
  const first = (dirs: string[], file: string) => dirs.map((d) => join(top, d)).find((d) => existsSync(join(d, file)));
  const out: CgroupMount[] = [];
  const v2 = first(['', 'unified'], 'cgroup.controllers');
  if (v2) out.push({ hier: CgroupHier.V2, root: v2, base: '/' });
  const cpu = first(['cpu', 'cpu,cpuacct', 'cpuacct,cpu'], 'cpu.shares');
  if (cpu) out.push({ hier: CgroupHier.V1Cpu, root: cpu, base: '/' });
  const mem = first(['memory'], 'memory.limit_in_bytes');
  if (mem) out.push({ hier: CgroupHier.V1Memory, root: mem, base: '/' });
  return out;
}

export interface MountOptions {
  /** The host's / (see hostRootOf). */
  hostRoot?: string;
  /** The mountinfo file (read as given, not prefixed); its mount points are host paths. */
  mountinfo?: string;
}

/**
 * The host's cgroup mounts: /proc/self/mountinfo on the host, <hostRoot>/proc/1/mountinfo
 * with the host's / at hostRoot, the usual paths when neither can be read.
 */
export function readCgroupMounts(opts: MountOptions = {}): CgroupMount[] {
  const hostRoot = hostRootOf(opts.hostRoot);
  const file = opts.mountinfo ?? (hostRoot ? `${hostRoot}/proc/1/mountinfo` : '/proc/self/mountinfo');
  try {
    return parseMountinfo(readFileSync(file, 'utf8'), hostRoot);
  } catch {
    return probeCgroupMounts(hostRoot);
  }
}

/** The cgroup mounts huatuo can filter on: the unified tree and the v1 cpu and memory ones (host's, with $HUATUO_HOST_ROOT). */
export function cgroupMounts(mountinfo?: string): CgroupMount[] {
  return readCgroupMounts({ mountinfo });
}

/** The directory of a cgroup given by its path inside the hierarchy ("/kubepods/…"). */
export function cgroupDir(mount: CgroupMount, path: string): string {
  const base = mount.base && mount.base !== '/' ? mount.base : '';
  const inside = base && (path === base || path.startsWith(base + '/')) ? path.slice(base.length) : path;
  return join(mount.root, inside);
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
 * Resolve --cgroup: an absolute path inside any mounted hierarchy (which then is the one
 * filtered on), or a path relative to a hierarchy's root ("/kubepods/pod…" or
 * "system.slice/x.service") in `prefer` (--cgroup-hierarchy) or the default one. The
 * result is a cgroup directory inside its mount: `..` cannot climb out of it.
 */
export function resolveCgroupPath(arg: string, mounts = cgroupMounts(), prefer?: CgroupMount): ResolvedCgroup {
  const inside = (p: string, m: CgroupMount) => p === m.root || p.startsWith(m.root.endsWith('/') ? m.root : m.root + '/');
  const inMount = (p: string) => mounts.filter((m) => inside(p, m)).sort((a, b) => b.root.length - a.root.length)[0];
  if (arg.trim() === '') throw new HuatuoError('--cgroup: the path is empty', ExitCode.Usage);
  let path = isAbsolute(arg) ? resolve(arg) : '';
  let mount = path ? inMount(path) : undefined;
  const hostRoot = hostRootOf();
  if (path && !mount && hostRoot && inMount(hostRoot + path)) {
    path = hostRoot + path;
    mount = inMount(path);
  }
  if (mount && prefer && mount.hier !== prefer.hier) {
    throw new HuatuoError(`--cgroup ${arg} is in the ${HIER_NAMES[mount.hier]} hierarchy, but --cgroup-hierarchy is ${HIER_NAMES[prefer.hier]}`, ExitCode.Usage);
  }
  if (!mount) {
    const def = prefer ?? defaultMount(mounts);
    if (!def) throw new HuatuoError('no cgroup v2, cpu or memory hierarchy is mounted', ExitCode.Unsupported);
    path = join(def.root, arg);
    mount = def;
    if (!inside(path, def)) throw new HuatuoError(`--cgroup ${arg} leads out of the cgroup hierarchy at ${def.root}`, ExitCode.Usage);
  }
  let st;
  try {
    st = statSync(path);
  } catch {
    const roots = mounts.map((m) => m.root).join(', ');
    throw new HuatuoError(`--cgroup ${arg}: no such cgroup (looked at ${path}; hierarchies: ${roots})`, ExitCode.Usage);
  }
  if (!st.isDirectory()) throw new HuatuoError(`--cgroup ${arg}: ${path} is a file, not a cgroup directory`, ExitCode.Usage);
  return { path, id: st.ino, mount };
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

  /** Paths of the hierarchy's cgroups (a fresh walk), at most `max` of them. */
  paths(max = Infinity): string[] {
    this.walk();
    return [...this.names.values()].slice(0, max);
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
