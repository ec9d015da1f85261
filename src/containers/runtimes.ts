// What the container runtimes know about their containers, read from their own on-disk
// state (no sockets, no APIs, no credentials):
//   containerd  <state>/io.containerd.runtime.v2.task/<ns>/<id>/config.json  (OCI spec, live tasks only)
//   CRI-O       /run/containers/storage/overlay-containers/<id>/userdata/config.json  (OCI spec)
//   Docker      /var/lib/docker/containers/<id>/config.v2.json
// Files vanish whenever a container exits: every read may fail, and a failure skips that one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from './kubelet.js';

export interface RuntimeMeta {
  id: string;
  runtime: Exclude<Runtime, 'unknown'>;
  name?: string;
  pod?: string;
  namespace?: string;
  podUid?: string;
  type?: 'container' | 'sandbox';
  /** containerd's namespace (k8s.io, default, moby…), not Kubernetes'. */
  runtimeNamespace?: string;
  /** linux.cgroupsPath of the OCI spec. */
  cgroupsPath?: string;
  /** The init process (host pid), directly or in a file, for when cgroupsPath does not tell. */
  pid?: number;
  pidFile?: string;
  /** The file this came from. */
  source: string;
}

type Annotations = Record<string, string | undefined>;

interface OciSpec {
  annotations?: Annotations;
  linux?: { cgroupsPath?: string };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** containerd: the CRI plugin's annotations; outside Kubernetes, nerdctl's name or the id. */
export function containerdMeta(id: string, ns: string, spec: OciSpec, source: string): RuntimeMeta {
  const a: Annotations = spec.annotations ?? {};
  const type = a['io.kubernetes.cri.container-type'];
  const pod = str(a['io.kubernetes.cri.sandbox-name']);
  return {
    id,
    runtime: 'containerd',
    type: type === 'sandbox' || type === 'container' ? type : undefined,
    name: pod ? str(a['io.kubernetes.cri.container-name']) : str(a['nerdctl/name']) ?? str(a['io.containerd.name']) ?? id,
    pod,
    namespace: str(a['io.kubernetes.cri.sandbox-namespace']),
    podUid: str(a['io.kubernetes.cri.sandbox-uid']),
    runtimeNamespace: ns,
    cgroupsPath: str(spec.linux?.cgroupsPath),
    source,
  };
}

/** CRI-O: kubelet's labels, copied into the spec's annotations. */
export function crioMeta(id: string, spec: OciSpec, source: string): RuntimeMeta {
  const a: Annotations = spec.annotations ?? {};
  const type = a['io.kubernetes.cri-o.ContainerType'];
  const sandbox = type === 'sandbox';
  return {
    id,
    runtime: 'cri-o',
    type: sandbox ? 'sandbox' : type === 'container' ? 'container' : undefined,
    name: sandbox ? undefined : str(a['io.kubernetes.container.name']) ?? id,
    pod: str(a['io.kubernetes.pod.name']),
    namespace: str(a['io.kubernetes.pod.namespace']),
    podUid: str(a['io.kubernetes.pod.uid']),
    cgroupsPath: str(spec.linux?.cgroupsPath),
    source,
  };
}

interface DockerConfig {
  ID?: string;
  Name?: string;
  State?: { Running?: boolean; Pid?: number };
  Config?: { Labels?: Annotations | null };
}

/** Docker: running containers only (config.v2.json stays for stopped ones); k8s labels from dockershim/cri-dockerd. */
export function dockerMeta(cfg: DockerConfig, source: string): RuntimeMeta | undefined {
  const id = str(cfg.ID);
  if (!id || cfg.State?.Running === false) return undefined;
  const l: Annotations = cfg.Config?.Labels ?? {};
  const type = l['io.kubernetes.docker.type'];
  const pod = str(l['io.kubernetes.pod.name']);
  const sandbox = type === 'podsandbox';
  return {
    id,
    runtime: 'docker',
    type: sandbox ? 'sandbox' : type === 'container' ? 'container' : undefined,
    name: sandbox ? undefined : (pod && str(l['io.kubernetes.container.name'])) || str(cfg.Name)?.replace(/^\//, '') || id,
    pod,
    namespace: str(l['io.kubernetes.pod.namespace']),
    podUid: str(l['io.kubernetes.pod.uid']),
    pid: cfg.State?.Pid || undefined,
    source,
  };
}

export interface RuntimeRoots {
  /** containerd state directories (--state; /run/containerd by default). */
  containerd: string[];
  /** CRI-O run roots (/run/containers/storage). */
  crio: string[];
  /** Docker container directories (/var/lib/docker/containers). */
  docker: string[];
}

export const DEFAULT_CONTAINERD_STATE = ['/run/containerd', '/run/k3s/containerd', '/var/snap/microk8s/common/run/containerd'];

/** The state roots to read: the defaults, $HUATUO_CONTAINERD_STATE (a:b:c) and extra ones, all under hostRoot. */
export function runtimeRoots(hostRoot: string, extraContainerd: string[] = [], env = process.env): RuntimeRoots {
  const fromEnv = (env.HUATUO_CONTAINERD_STATE ?? '').split(':').filter(Boolean);
  const containerd = [...new Set([...DEFAULT_CONTAINERD_STATE, ...fromEnv, ...extraContainerd])];
  return {
    containerd: containerd.map((r) => hostRoot + r),
    crio: [hostRoot + '/run/containers/storage'],
    docker: [hostRoot + '/var/lib/docker/containers'],
  };
}

const isDenied = (e: unknown) => (e as NodeJS.ErrnoException)?.code === 'EACCES' || (e as NodeJS.ErrnoException)?.code === 'EPERM';

/** Reads the runtimes' state, re-parsing only the files that changed since the last read. */
export class RuntimeState {
  private cache = new Map<string, { key: string; meta: RuntimeMeta | undefined }>();
  /** Per root read: how many containers it held, -1 if it is not there (for -v). */
  readonly seen = new Map<string, number>();
  /** Roots where some file could not be read for lack of permission (for -v). */
  readonly denied = new Set<string>();
  private root = '';

  private dirs(p: string): string[] {
    try {
      return readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (e) {
      if (isDenied(e)) this.denied.add(this.root);
      return [];
    }
  }

  constructor(readonly roots: RuntimeRoots) {}

  private load(file: string, parse: (json: unknown) => RuntimeMeta | undefined): RuntimeMeta | undefined {
    try {
      const st = statSync(file);
      const key = `${st.ino}:${st.mtimeMs}:${st.size}`;
      const hit = this.cache.get(file);
      if (hit?.key === key) return hit.meta;
      const meta = parse(JSON.parse(readFileSync(file, 'utf8')));
      this.cache.set(file, { key, meta });
      return meta;
    } catch (e) {
      if (isDenied(e)) this.denied.add(this.root);
      return undefined; // gone, half-written or unreadable: skip it this time
    }
  }

  /** id → what its runtime says. Later runtimes win a tie (an id known twice is rare). */
  read(): Map<string, RuntimeMeta> {
    const out = new Map<string, RuntimeMeta>();
    const used = new Set<string>();
    const add = (root: string, file: string, parse: (json: unknown) => RuntimeMeta | undefined) => {
      used.add(file);
      const m = this.load(file, parse);
      if (m) {
        out.set(m.id, m);
        this.seen.set(root, (this.seen.get(root) ?? 0) + 1);
      }
    };
    this.seen.clear();
    this.denied.clear();
    for (const root of this.roots.containerd) {
      this.root = root;
      this.seen.set(root, existsSync(root) ? 0 : -1);
      for (const kind of ['io.containerd.runtime.v2.task', 'io.containerd.runtime.v1.linux']) {
        for (const ns of this.dirs(join(root, kind))) {
          for (const id of this.dirs(join(root, kind, ns))) {
            const dir = join(root, kind, ns, id);
            add(root, join(dir, 'config.json'), (j) => ({ ...containerdMeta(id, ns, j as OciSpec, dir), pidFile: join(dir, 'init.pid') }));
          }
        }
      }
    }
    for (const root of this.roots.crio) {
      this.root = root;
      this.seen.set(root, existsSync(root) ? 0 : -1);
      for (const id of this.dirs(join(root, 'overlay-containers'))) {
        const dir = join(root, 'overlay-containers', id, 'userdata');
        add(root, join(dir, 'config.json'), (j) => ({ ...crioMeta(id, j as OciSpec, dir), pidFile: join(dir, 'pidfile') }));
      }
    }
    for (const root of this.roots.docker) {
      this.root = root;
      this.seen.set(root, existsSync(root) ? 0 : -1);
      for (const id of this.dirs(root)) {
        const file = join(root, id, 'config.v2.json');
        add(root, file, (j) => dockerMeta(j as DockerConfig, file));
      }
    }
    for (const file of this.cache.keys()) if (!used.has(file)) this.cache.delete(file);
    return out;
  }
}

/** The pid in a pid file, if it is still there. */
export function readPidFile(file: string | undefined): number | undefined {
  if (!file) return undefined;
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
