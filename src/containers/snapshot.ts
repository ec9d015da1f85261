// One look at the node: walk each cgroup hierarchy, recognise kubelet's and the runtimes'
// container cgroups by name, join them with the runtimes' metadata by container id, then
// place the remaining known containers by their spec's cgroupsPath (or their init pid's
// /proc/<pid>/cgroup). Anything may vanish mid-walk: a failed read skips that one thing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupHier, cgroupDir, type CgroupMount } from './cgroup.js';
import { cgroupsPathToPath, parseCgroupPath, type CgroupPathInfo, type Qos, type Runtime } from './kubelet.js';
import { readPidFile, type RuntimeMeta } from './runtimes.js';

export interface ContainerCgroup {
  hier: CgroupHier;
  /** Path inside the hierarchy, from its root ("/kubepods/burstable/pod…/<id>"). */
  path: string;
  /** The cgroup id the kernel reports: the directory's inode number. */
  id: number;
}

export interface ContainerInfo {
  id: string;
  runtime: Runtime;
  name?: string;
  pod?: string;
  namespace?: string;
  podUid?: string;
  type?: 'container' | 'sandbox';
  qos?: Qos;
  /** The container's own cgroup in each hierarchy it is in. */
  cgroups: ContainerCgroup[];
  /** Processes in the container's cgroups and below (cgroup.procs, read when first asked for). */
  pids: number[];
  /** Set once a later walk no longer finds it (byCgroupId still names late events). */
  exited?: boolean;
}

export interface Snapshot {
  containers: ContainerInfo[];
  /** cgroup id → container, for the container's cgroups and every cgroup below them. */
  byCgroup: Map<CgroupHier, Map<number, ContainerInfo>>;
  /** container id → the ids of its cgroups and every cgroup below them, per hierarchy. */
  subtree: Map<string, Map<CgroupHier, number[]>>;
  /** Every cgroup id the walk met, container or not. */
  walked: Map<CgroupHier, Set<number>>;
}

interface Entry {
  info: ContainerInfo;
  dirs: string[];
  ids: Map<CgroupHier, number[]>;
}

const subdirs = (dir: string): string[] => {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
};

const inode = (dir: string): number | undefined => {
  try {
    return statSync(dir).ino;
  } catch {
    return undefined;
  }
};

/** The cgroup paths in a /proc/<pid>/cgroup text, per hierarchy huatuo knows. */
export function parseProcCgroup(text: string): Partial<Record<CgroupHier, string>> {
  const out: Partial<Record<CgroupHier, string>> = {};
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m || m[3].includes('/..')) continue; // outside our cgroup namespace: not a path we can use
    const ctrls = m[2].split(',');
    if (m[1] === '0' && m[2] === '') out[CgroupHier.V2] = m[3];
    else if (ctrls.includes('cpu')) out[CgroupHier.V1Cpu] = m[3];
    else if (ctrls.includes('memory')) out[CgroupHier.V1Memory] = m[3];
  }
  return out;
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function takeSnapshot(mounts: CgroupMount[], metas: Map<string, RuntimeMeta>, hostRoot: string): Snapshot {
  const entries = new Map<string, Entry>();
  const walked = new Map<CgroupHier, Set<number>>(mounts.map((m) => [m.hier, new Set<number>()]));

  const entryFor = (id: string, where: CgroupPathInfo | undefined): Entry => {
    let e = entries.get(id);
    if (!e) {
      const m = metas.get(id);
      const info: ContainerInfo = { id, runtime: m?.runtime ?? where?.runtime ?? 'unknown', cgroups: [], pids: [] };
      const set = <K extends keyof ContainerInfo>(key: K, v: ContainerInfo[K] | undefined) => {
        if (v !== undefined) info[key] = v;
      };
      set('name', m?.name);
      set('pod', m?.pod);
      set('namespace', m?.namespace);
      set('podUid', m?.podUid ?? where?.podUid);
      set('type', m?.type);
      set('qos', where?.qos);
      e = { info, dirs: [], ids: new Map() };
      entries.set(id, e);
    }
    return e;
  };

  // Everything at and below a container's cgroup belongs to it.
  const claim = (e: Entry, hier: CgroupHier, dir: string, ino: number) => {
    walked.get(hier)?.add(ino);
    e.dirs.push(dir);
    const ids = e.ids.get(hier) ?? [];
    ids.push(ino);
    e.ids.set(hier, ids);
    for (const name of subdirs(dir)) {
      const sub = join(dir, name);
      const i = inode(sub);
      if (i !== undefined) claim(e, hier, sub, i);
    }
  };

  for (const mount of mounts) {
    const base = mount.base && mount.base !== '/' ? mount.base : '';
    const visit = (dir: string, path: string) => {
      const ino = inode(dir);
      if (ino === undefined) return;
      walked.get(mount.hier)!.add(ino);
      const where = parseCgroupPath(path);
      if (where?.kind === 'container' && where.containerPath === path && where.containerId) {
        // Under kubepods the layout says so; elsewhere only a runtime's word makes it a container.
        if (where.podUid || metas.has(where.containerId)) {
          const e = entryFor(where.containerId, where);
          e.info.cgroups.push({ hier: mount.hier, path, id: ino });
          claim(e, mount.hier, dir, ino);
          return;
        }
      }
      for (const name of subdirs(dir)) visit(join(dir, name), `${path === '/' ? '' : path}/${name}`);
    };
    visit(mount.root, base || '/');
  }

  // Containers the walk did not recognise by name: where their spec put them, or failing
  // that (a relative cgroupsPath, or none) where their init process is.
  const place = (id: string, paths: Partial<Record<CgroupHier, string>>): boolean => {
    let placed = false;
    for (const mount of mounts) {
      const path = paths[mount.hier];
      if (!path || path === '/') continue;
      const dir = cgroupDir(mount, path);
      const ino = inode(dir);
      if (ino === undefined) continue;
      const e = entryFor(id, parseCgroupPath(path));
      e.info.cgroups.push({ hier: mount.hier, path, id: ino });
      claim(e, mount.hier, dir, ino);
      placed = true;
    }
    return placed;
  };
  for (const [id, m] of metas) {
    if (entries.has(id)) continue;
    const fromSpec = m.cgroupsPath ? cgroupsPathToPath(m.cgroupsPath) : undefined;
    if (fromSpec && place(id, { [CgroupHier.V2]: fromSpec, [CgroupHier.V1Cpu]: fromSpec, [CgroupHier.V1Memory]: fromSpec })) continue;
    const pid = m.pid ?? readPidFile(m.pidFile);
    try {
      if (pid) place(id, parseProcCgroup(readFileSync(`${hostRoot}/proc/${pid}/cgroup`, 'utf8')));
    } catch {
      /* exited */
    }
  }

  const byCgroup = new Map<CgroupHier, Map<number, ContainerInfo>>();
  const subtree = new Map<string, Map<CgroupHier, number[]>>();
  for (const e of entries.values()) {
    let pids: number[] | undefined;
    Object.defineProperty(e.info, 'pids', {
      enumerable: true,
      get: () => (pids ??= [...new Set(e.dirs.flatMap(readPids))].sort((a, b) => a - b)),
      set: (v: number[]) => (pids = v),
    });
    subtree.set(e.info.id, e.ids);
    for (const [hier, ids] of e.ids) {
      const m = byCgroup.get(hier) ?? new Map<number, ContainerInfo>();
      for (const i of ids) m.set(i, e.info);
      byCgroup.set(hier, m);
    }
  }
  const containers = [...entries.values()].map((e) => e.info).sort(containerOrder);
  return { containers, byCgroup, subtree, walked };
}

const k = (s: string | undefined) => s ?? '\uffff';

/** By namespace, pod, then the pod's sandbox after its containers, name, id. */
function containerOrder(a: ContainerInfo, b: ContainerInfo): number {
  return (
    k(a.namespace).localeCompare(k(b.namespace)) ||
    k(a.pod).localeCompare(k(b.pod)) ||
    Number(a.type === 'sandbox') - Number(b.type === 'sandbox') ||
    k(a.name).localeCompare(k(b.name)) ||
    a.id.localeCompare(b.id)
  );
}
