// Kernel cgroup ids ⇄ containers ⇄ pods, from on-disk state only (see docs/containers.md).
// The resolver keeps one snapshot of the node and takes a new one on demand: when list()
// finds it older than a second, or byCgroupId() meets an id it does not know (at most
// once a second either way), so containers started mid-run resolve and exited ones drop out.
import { readFileSync, statSync } from 'node:fs';
import { HuatuoError, ExitCode } from '../errors.js';
import { logDebug } from '../log.js';
import { CgroupHier, HIER_NAMES, cgroupDir, defaultMount, hostRootOf, readCgroupMounts, type CgroupMount } from './cgroup.js';
import { RuntimeState, runtimeRoots } from './runtimes.js';
import { parseProcCgroup, takeSnapshot, type ContainerInfo, type Snapshot } from './snapshot.js';
import { closeMatches, globMatcher } from './match.js';

export type { ContainerInfo, ContainerCgroup } from './snapshot.js';
export { CgroupHier } from './cgroup.js';

export interface PodSelector {
  /** Pod name, exact or a glob with * and ?. */
  pod?: string;
  /** Kubernetes namespace, exact; omitted = any namespace. */
  namespace?: string;
  /** Container name, exact or a glob. */
  container?: string;
  /** Container id prefix. */
  containerId?: string;
}

export interface ResolverOptions {
  /** The host's / (default $HUATUO_HOST_ROOT, else /): prefixes every host path read. */
  hostRoot?: string;
  /** containerd state directories besides /run/containerd and $HUATUO_CONTAINERD_STATE. */
  containerdStateRoots?: string[];
  /** mountinfo file to find the cgroup mounts in (default: the host's). */
  mountinfo?: string;
  /** Least time between two walks of the node (default 1000 ms). */
  minRefreshMs?: number;
}

export class ContainerResolver {
  readonly hostRoot: string;
  readonly mounts: CgroupMount[];
  private readonly state: RuntimeState;
  private readonly minRefreshMs: number;
  private snap: Snapshot | undefined;
  private lastWalk = 0;
  /** cgroup ids of containers that have exited since the first walk (the latest 10000). */
  private gone = new Map<string, ContainerInfo>();

  constructor(opts: ResolverOptions = {}) {
    this.hostRoot = hostRootOf(opts.hostRoot);
    this.mounts = readCgroupMounts({ hostRoot: this.hostRoot, mountinfo: opts.mountinfo });
    this.state = new RuntimeState(runtimeRoots(this.hostRoot, opts.containerdStateRoots));
    this.minRefreshMs = opts.minRefreshMs ?? 1000;
  }

  /** Walk the node now. */
  refresh(): Snapshot {
    const old = this.snap;
    this.snap = takeSnapshot(this.mounts, this.state.read(), this.hostRoot);
    this.lastWalk = Date.now();
    for (const [hier, ids] of old?.byCgroup ?? []) {
      for (const [id, c] of ids) {
        if (this.snap.byCgroup.get(hier)?.has(id)) continue;
        if (!this.snap.subtree.has(c.id)) c.exited = true;
        this.gone.set(`${hier}:${id}`, c);
      }
    }
    for (const key of this.gone.keys()) {
      if (this.gone.size <= 10_000) break;
      this.gone.delete(key);
    }
    return this.snap;
  }

  private stale(): boolean {
    return !this.snap || Date.now() - this.lastWalk >= this.minRefreshMs;
  }

  /** Every container with a cgroup on this node. */
  list(): ContainerInfo[] {
    return (this.stale() ? this.refresh() : this.snap!).containers;
  }

  /**
   * The container a cgroup id (its own or one below it) belongs or belonged to. An id the
   * last walk did not meet at all makes a new walk (at most once a second); an id it met
   * outside any container does not.
   */
  byCgroupId(hier: CgroupHier, id: number): ContainerInfo | undefined {
    const hit = this.snap?.byCgroup.get(hier)?.get(id) ?? this.gone.get(`${hier}:${id}`);
    if (hit || this.snap?.walked.get(hier)?.has(id) || !this.stale()) return hit;
    return this.refresh().byCgroup.get(hier)?.get(id);
  }

  /** The container a process is in, from <host>/proc/<pid>/cgroup. */
  byPid(pid: number, hier = this.defaultHier()): ContainerInfo | undefined {
    const mount = this.mounts.find((m) => m.hier === hier);
    try {
      const path = parseProcCgroup(readFileSync(`${this.hostRoot}/proc/${pid}/cgroup`, 'utf8'))[hier];
      return mount && path ? this.byCgroupId(hier, statSync(cgroupDir(mount, path)).ino) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The hierarchy huatuo filters on by default: v1 cpu on hybrid hosts, else v2. */
  defaultHier(): CgroupHier {
    return defaultMount(this.mounts)?.hier ?? CgroupHier.V2;
  }

  /** Containers matching; throws HuatuoError (exit 1) naming close matches when none does. */
  select(sel: PodSelector): ContainerInfo[] {
    const all = this.list();
    const inNs = sel.namespace === undefined ? all : all.filter((c) => c.namespace === sel.namespace);
    let hits = inNs;
    if (sel.pod !== undefined) {
      const m = globMatcher(sel.pod);
      hits = hits.filter((c) => m(c.pod));
      if (!hits.length) throw noPod(sel, all);
    } else if (sel.namespace !== undefined && !hits.length) {
      throw noNamespace(sel.namespace, all);
    }
    if (sel.container !== undefined) {
      const m = globMatcher(sel.container);
      const named = hits.filter((c) => m(c.name));
      if (!named.length) throw noContainer(sel, hits);
      hits = named;
    }
    if (sel.containerId !== undefined) {
      const prefix = sel.containerId.toLowerCase();
      hits = hits.filter((c) => c.id.startsWith(prefix));
      if (!hits.length) throw new HuatuoError(`no container with id "${sel.containerId}"${where(sel)} on this node`, ExitCode.Runtime);
    }
    return hits;
  }

  /** The cgroup ids to put in the BPF cgroup filter for one hierarchy: the containers' cgroups and all below them. */
  cgroupIds(containers: ContainerInfo[], hier: CgroupHier): number[] {
    const ids = new Set<number>();
    for (const c of containers) {
      const known = this.snap?.subtree.get(c.id)?.get(hier);
      for (const id of known ?? c.cgroups.filter((g) => g.hier === hier).map((g) => g.id)) ids.add(id);
    }
    return [...ids];
  }

  /** A task filter's cgroup part for a selector: the mount and the ids (see src/tools/filter.ts). */
  taskCgroups(sel: PodSelector, hier?: CgroupHier): { mount: CgroupMount; ids: number[] } {
    const mount = hier === undefined ? defaultMount(this.mounts) : this.mounts.find((m) => m.hier === hier);
    if (!mount) throw new HuatuoError('no cgroup v2, cpu or memory hierarchy is mounted', ExitCode.Unsupported);
    const containers = this.select(sel);
    const ids = this.cgroupIds(containers, mount.hier);
    if (!ids.length) throw new HuatuoError(`${describe(sel)} has no cgroup in the ${HIER_NAMES[mount.hier]} hierarchy`, ExitCode.Runtime);
    return { mount, ids };
  }

  /** What was read, for -v. */
  explain(): void {
    for (const m of this.mounts) logDebug(`cgroup ${HIER_NAMES[m.hier]} at ${m.root}${m.base && m.base !== '/' ? ` (${m.base})` : ''}`);
    if (!this.mounts.length) logDebug('no cgroup v2, cpu or memory mount found');
    for (const [root, n] of this.state.seen) {
      const denied = this.state.denied.has(root) ? ' (some of it unreadable: run as root)' : '';
      logDebug(`${root}: ${n < 0 ? 'not there' : `${n} container${n === 1 ? '' : 's'}`}${denied}`);
    }
  }
}

/** "shop/checkout-7d9f/app", "docker:nginx", or the short id: how a container is named in tables. */
export function containerLabel(c: ContainerInfo): string {
  const name = c.type === 'sandbox' ? '(sandbox)' : c.name ?? c.id.slice(0, 12);
  if (c.pod) return `${c.namespace ?? '?'}/${c.pod}/${name}`;
  return c.runtime === 'unknown' ? name : `${c.runtime}:${name}`;
}

const where = (sel: PodSelector) => (sel.namespace !== undefined ? ` in namespace "${sel.namespace}"` : '');

function describe(sel: PodSelector): string {
  if (sel.pod !== undefined) return `pod "${sel.pod}"${where(sel)}`;
  if (sel.container !== undefined) return `container "${sel.container}"${where(sel)}`;
  if (sel.containerId !== undefined) return `container "${sel.containerId}"`;
  return sel.namespace !== undefined ? `namespace "${sel.namespace}"` : 'this node';
}

function pods(all: ContainerInfo[]): Array<{ ns: string; pod: string }> {
  const seen = new Map<string, { ns: string; pod: string }>();
  for (const c of all) if (c.pod) seen.set(`${c.namespace}/${c.pod}`, { ns: c.namespace ?? '?', pod: c.pod });
  return [...seen.values()];
}

const noneHere = '; no pods found at all (is --host-root right? `huatuo containers -v` shows what was read)';

function noPod(sel: PodSelector, all: ContainerInfo[]): HuatuoError {
  const known = pods(all);
  const close = closeMatches(sel.pod!, known, (p) => p.pod).map((p) => `${p.ns}/${p.pod}`);
  const hint = !known.length ? noneHere : close.length ? `; did you mean ${close.join(', ')}?` : '';
  return new HuatuoError(`no pod "${sel.pod}"${where(sel)} on this node${hint}`, ExitCode.Runtime);
}

function noNamespace(ns: string, all: ContainerInfo[]): HuatuoError {
  const known = [...new Set(pods(all).map((p) => p.ns))];
  const close = closeMatches(ns, known, (n) => n);
  const hint = !known.length ? noneHere : close.length ? `; did you mean ${close.join(', ')}?` : `; namespaces here: ${known.sort().slice(0, 8).join(', ')}`;
  return new HuatuoError(`no pods in namespace "${ns}" on this node${hint}`, ExitCode.Runtime);
}

function noContainer(sel: PodSelector, candidates: ContainerInfo[]): HuatuoError {
  const names = [...new Set(candidates.filter((c) => c.type !== 'sandbox' && c.name).map((c) => c.name!))].sort();
  if (sel.pod !== undefined) {
    return new HuatuoError(`pod "${sel.pod}"${where(sel)} has no container "${sel.container}"; it has: ${names.join(', ') || 'none'}`, ExitCode.Runtime);
  }
  const close = closeMatches(sel.container!, names, (n) => n);
  return new HuatuoError(`no container "${sel.container}"${where(sel)} on this node${close.length ? `; did you mean ${close.join(', ')}?` : ''}`, ExitCode.Runtime);
}
