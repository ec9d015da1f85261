// Pure parsing of the cgroup paths kubelet and the container runtimes create, for both
// kubelet cgroup drivers:
//   systemd   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope
//             (guaranteed: /kubepods.slice/kubepods-pod<uid_>.slice/…; crio-<id>.scope, docker-<id>.scope)
//   cgroupfs  /kubepods/burstable/pod<uid>/<id>   (guaranteed: /kubepods/pod<uid>/<id>)
// and of the runtimes' own cgroups outside kubepods (/system.slice/docker-<id>.scope, /docker/<id>).

export type Qos = 'guaranteed' | 'burstable' | 'besteffort';
export type Runtime = 'containerd' | 'cri-o' | 'docker' | 'unknown';

export interface CgroupPathInfo {
  /** A kubelet pod cgroup, or a container's cgroup (or a cgroup below one). */
  kind: 'pod' | 'container';
  qos?: Qos;
  /** The pod's UID with dashes, whatever the driver wrote. */
  podUid?: string;
  /** The container's 64-hex id. */
  containerId?: string;
  /** The runtime the cgroup name points at (cri-containerd-, crio-, docker-), if it does. */
  runtime?: Runtime;
  /** The container's own cgroup: the path itself, or the ancestor that is the container. */
  containerPath?: string;
  /** The pod's cgroup, under kubepods. */
  podPath?: string;
}

const SYSTEMD_POD = /^(?:.+-)?kubepods(?:-(burstable|besteffort))?-pod([0-9a-fA-F_]+)\.slice$/;
const CGROUPFS_POD = /^pod([0-9a-fA-F-]+)$/;
const CONTAINER = /^(?:(cri-containerd|crio|docker|containerd|libpod|nerdctl)-)?([0-9a-f]{64})(?:\.scope)?$/;
/** Outside kubepods a container's cgroup name ends with its id (docker-<id>.scope, <id>, x_<id>). */
const LOOSE_CONTAINER = /(?:^|[-_:.])([0-9a-f]{64})(?:\.scope)?$/;
/** crio-conmon-<id>.scope, libpod-conmon-<id>.scope: the runtime's monitor, not the container. */
const CONMON = /(?:^|-)conmon-[0-9a-f]{64}(?:\.scope)?$/;

const RUNTIME_PREFIX: Record<string, Runtime> = {
  'cri-containerd': 'containerd',
  containerd: 'containerd',
  nerdctl: 'containerd',
  crio: 'cri-o',
  docker: 'docker',
};

/** Pod UIDs come back with dashes: the systemd driver writes them with underscores. */
export function dashedUid(uid: string): string {
  return uid.replace(/_/g, '-').toLowerCase();
}

function containerOf(name: string, loose: boolean): { id: string; runtime?: Runtime } | undefined {
  if (CONMON.test(name)) return undefined;
  const m = CONTAINER.exec(name);
  if (m) return { id: m[2], runtime: m[1] ? RUNTIME_PREFIX[m[1]] : undefined };
  if (!loose) return undefined;
  const l = LOOSE_CONTAINER.exec(name);
  if (!l) return undefined;
  const prefix = name.slice(0, l.index).replace(/-$/, '');
  return { id: l[1], runtime: RUNTIME_PREFIX[prefix] };
}

const join = (parts: string[]) => '/' + parts.join('/');

/** What a cgroup path (inside its hierarchy, "/" first or not) says about pods and containers. */
export function parseCgroupPath(path: string): CgroupPathInfo | undefined {
  const parts = path.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    let qos: Qos | undefined;
    let uid: string | undefined;
    const s = SYSTEMD_POD.exec(parts[i]);
    if (s) {
      qos = (s[1] as Qos | undefined) ?? 'guaranteed';
      uid = s[2];
    } else {
      const c = CGROUPFS_POD.exec(parts[i]);
      const up1 = parts[i - 1];
      if (c && up1 === 'kubepods') [qos, uid] = ['guaranteed', c[1]];
      else if (c && (up1 === 'burstable' || up1 === 'besteffort') && parts[i - 2] === 'kubepods') [qos, uid] = [up1, c[1]];
    }
    if (!uid || !qos) continue;
    const pod: CgroupPathInfo = { kind: 'pod', qos, podUid: dashedUid(uid), podPath: join(parts.slice(0, i + 1)) };
    const next = parts[i + 1];
    const ctr = next === undefined ? undefined : containerOf(next, false);
    if (!ctr) return pod;
    return { ...pod, kind: 'container', containerId: ctr.id, runtime: ctr.runtime, containerPath: join(parts.slice(0, i + 2)) };
  }
  // Outside kubepods: the first component that names a container id.
  for (let i = 0; i < parts.length; i++) {
    const ctr = containerOf(parts[i], true);
    if (!ctr) continue;
    const runtime = ctr.runtime ?? (parts[i - 1] === 'docker' ? 'docker' : undefined);
    return { kind: 'container', containerId: ctr.id, runtime, containerPath: join(parts.slice(0, i + 1)) };
  }
  return undefined;
}

/**
 * The cgroup path an OCI spec's linux.cgroupsPath names. "slice:prefix:name" is the
 * systemd driver's form (runc: a scope <prefix>-<name>.scope in the slice, nested by
 * the dashes of its name); "/a/b" is a path from the hierarchy's root. A relative path
 * (relative to the runtime's own cgroup) cannot be told from here: undefined.
 */
export function cgroupsPathToPath(cgroupsPath: string): string | undefined {
  const sd = /^([^:/]*):([^:]*):([^:]+)$/.exec(cgroupsPath);
  if (sd) {
    const [, slice, prefix, name] = sd;
    const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
    return `${expandSlice(slice || 'system.slice')}/${unit}`;
  }
  return cgroupsPath.startsWith('/') ? cgroupsPath.replace(/\/+$/, '') || '/' : undefined;
}

/** systemd slice nesting: a-b-c.slice lives at /a.slice/a-b.slice/a-b-c.slice; -.slice is the root. */
export function expandSlice(slice: string): string {
  if (slice === '-.slice') return '';
  if (!slice.endsWith('.slice')) return `/${slice}`;
  const words = slice.slice(0, -'.slice'.length).split('-');
  return words.map((_, i) => `/${words.slice(0, i + 1).join('-')}.slice`).join('');
}
