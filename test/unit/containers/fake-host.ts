// A fake node in a temp dir: cgroup hierarchies as plain directories (their inode numbers
// stand in for cgroup ids, as stat(2) gives on the real cgroupfs), a mountinfo pointing at
// them, and the on-disk state of containerd, CRI-O and Docker, filled from the templates in
// test/fixtures/containers/.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { packagePath } from '../../../src/paths.js';
import { CgroupHier } from '../../../src/containers/cgroup.js';

const template = (name: string) => JSON.parse(readFileSync(packagePath('test', 'fixtures', 'containers', name), 'utf8'));

/** A 64-hex container id from a short tag, so tests read well. */
export const cid = (tag: string) => (tag + '0'.repeat(64)).replace(/[^0-9a-f]/g, 'f').slice(0, 64);

export type Layout = 'hybrid' | 'unified';

export interface K8sMeta {
  pod: string;
  namespace: string;
  uid: string;
  container?: string;
  type?: 'container' | 'sandbox';
}

export class FakeHost {
  /** The host's / (use as hostRoot). */
  readonly root = mkdtempSync(join(tmpdir(), 'huatuo-host-'));
  /** Cgroup mount points, as host paths. */
  readonly mountpoints: Partial<Record<CgroupHier, string>>;

  constructor(readonly layout: Layout = 'hybrid') {
    this.mountpoints =
      layout === 'hybrid'
        ? { [CgroupHier.V2]: '/sys/fs/cgroup/unified', [CgroupHier.V1Cpu]: '/sys/fs/cgroup/cpu,cpuacct', [CgroupHier.V1Memory]: '/sys/fs/cgroup/memory' }
        : { [CgroupHier.V2]: '/sys/fs/cgroup' };
    for (const mp of Object.values(this.mountpoints)) mkdirSync(this.path(mp), { recursive: true });
    this.writeMountinfo();
  }

  path(hostPath: string): string {
    return join(this.root, hostPath);
  }

  get hiers(): CgroupHier[] {
    return Object.keys(this.mountpoints).map(Number) as CgroupHier[];
  }

  /** /proc/1/mountinfo as the host's init sees it (host paths). */
  mountinfoText(prefix = ''): string {
    const lines = ['31 23 0:28 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755'];
    const mp = this.mountpoints;
    if (this.layout === 'unified') return `35 23 0:29 / ${prefix}${mp[CgroupHier.V2]} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`;
    lines.push(`32 31 0:29 / ${prefix}${mp[CgroupHier.V1Cpu]} rw,nosuid - cgroup cgroup rw,cpu,cpuacct`);
    // A bind mount of a sub-tree of the same hierarchy: must not be preferred.
    lines.push(`33 31 0:29 /kubepods.slice /mnt/cpu\\040kube rw - cgroup cgroup rw,cpu,cpuacct`);
    lines.push(`35 31 0:32 / ${prefix}${mp[CgroupHier.V1Memory]} rw,nosuid - cgroup cgroup rw,memory`);
    lines.push(`36 31 0:33 / ${prefix}/sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids`);
    lines.push(`41 31 0:38 / ${prefix}${mp[CgroupHier.V2]} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`);
    return lines.join('\n') + '\n';
  }

  writeMountinfo(): void {
    this.write('/proc/1/mountinfo', this.mountinfoText());
  }

  /** A mountinfo file outside the host tree whose mount points are absolute temp paths (no hostRoot needed). */
  absoluteMountinfo(): string {
    const file = join(this.root, 'mountinfo.abs');
    writeFileSync(file, this.mountinfoText(this.root));
    return file;
  }

  write(hostPath: string, text: string): void {
    mkdirSync(dirname(this.path(hostPath)), { recursive: true });
    writeFileSync(this.path(hostPath), text);
  }

  rm(hostPath: string): void {
    rmSync(this.path(hostPath), { recursive: true, force: true });
  }

  /** Make a cgroup in every hierarchy (or the given ones), with these pids; its ids per hierarchy. */
  cgroup(path: string, pids: number[] = [], hiers = this.hiers): Partial<Record<CgroupHier, number>> {
    const ids: Partial<Record<CgroupHier, number>> = {};
    for (const h of hiers) {
      const dir = this.path(join(this.mountpoints[h]!, path));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.procs'), pids.map((p) => `${p}\n`).join(''));
      ids[h] = statSync(dir).ino;
    }
    return ids;
  }

  rmCgroup(path: string): void {
    for (const h of this.hiers) this.rm(join(this.mountpoints[h]!, path));
  }

  /** A containerd task: <state>/io.containerd.runtime.v2.task/<ns>/<id>/config.json (+ init.pid). */
  containerd(id: string, o: { k8s?: K8sMeta; ns?: string; cgroupsPath?: string; annotations?: Record<string, string>; pid?: number; state?: string }): string {
    const spec = template('containerd-config.json');
    const a: Record<string, string> = {};
    if (o.k8s) {
      a['io.kubernetes.cri.container-type'] = o.k8s.type ?? 'container';
      if (o.k8s.type !== 'sandbox') a['io.kubernetes.cri.container-name'] = o.k8s.container ?? 'app';
      a['io.kubernetes.cri.sandbox-name'] = o.k8s.pod;
      a['io.kubernetes.cri.sandbox-namespace'] = o.k8s.namespace;
      a['io.kubernetes.cri.sandbox-uid'] = o.k8s.uid;
    }
    spec.annotations = { ...a, ...o.annotations };
    spec.linux.cgroupsPath = o.cgroupsPath ?? '';
    const dir = `${o.state ?? '/run/containerd'}/io.containerd.runtime.v2.task/${o.ns ?? 'k8s.io'}/${id}`;
    this.write(`${dir}/config.json`, JSON.stringify(spec));
    if (o.pid) this.write(`${dir}/init.pid`, String(o.pid));
    return dir;
  }

  /** A CRI-O container: /run/containers/storage/overlay-containers/<id>/userdata/config.json. */
  crio(id: string, o: { k8s: K8sMeta; cgroupsPath: string }): string {
    const spec = template('crio-config.json');
    const a = spec.annotations;
    a['io.kubernetes.cri-o.ContainerID'] = id;
    a['io.kubernetes.cri-o.ContainerType'] = o.k8s.type ?? 'container';
    a['io.kubernetes.container.name'] = o.k8s.type === 'sandbox' ? 'POD' : o.k8s.container ?? 'app';
    a['io.kubernetes.pod.name'] = o.k8s.pod;
    a['io.kubernetes.pod.namespace'] = o.k8s.namespace;
    a['io.kubernetes.pod.uid'] = o.k8s.uid;
    spec.linux.cgroupsPath = o.cgroupsPath;
    const dir = `/run/containers/storage/overlay-containers/${id}`;
    this.write(`${dir}/userdata/config.json`, JSON.stringify(spec));
    return dir;
  }

  /** A Docker container: /var/lib/docker/containers/<id>/config.v2.json. */
  docker(id: string, o: { name?: string; k8s?: K8sMeta; running?: boolean; pid?: number }): string {
    const cfg = template('docker-config.v2.json');
    cfg.ID = id;
    cfg.State.Running = o.running ?? true;
    cfg.State.Pid = o.pid ?? 0;
    if (o.k8s) {
      cfg.Name = `/k8s_${o.k8s.container ?? 'POD'}_${o.k8s.pod}_${o.k8s.namespace}_${o.k8s.uid}_0`;
      cfg.Config.Labels = {
        'io.kubernetes.container.name': o.k8s.type === 'sandbox' ? 'POD' : o.k8s.container ?? 'app',
        'io.kubernetes.docker.type': o.k8s.type === 'sandbox' ? 'podsandbox' : 'container',
        'io.kubernetes.pod.name': o.k8s.pod,
        'io.kubernetes.pod.namespace': o.k8s.namespace,
        'io.kubernetes.pod.uid': o.k8s.uid,
      };
    } else {
      cfg.Name = `/${o.name ?? 'docker-ctr'}`;
      cfg.Config.Labels = { maintainer: 'someone' };
    }
    const dir = `/var/lib/docker/containers/${id}`;
    this.write(`${dir}/config.v2.json`, JSON.stringify(cfg));
    return dir;
  }

  /** /proc/<pid>/cgroup for a process in this cgroup (every hierarchy). */
  proc(pid: number, path: string): void {
    const text = this.layout === 'unified' ? `0::${path}\n` : `12:pids:${path}\n4:memory:${path}\n2:cpu,cpuacct:${path}\n1:name=systemd:${path}\n0::${path}\n`;
    this.write(`/proc/${pid}/cgroup`, text);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The systemd driver's path of a pod's cgroup. */
export function systemdPodPath(qos: 'guaranteed' | 'burstable' | 'besteffort', uid: string): string {
  const u = uid.replace(/-/g, '_');
  return qos === 'guaranteed'
    ? `/kubepods.slice/kubepods-pod${u}.slice`
    : `/kubepods.slice/kubepods-${qos}.slice/kubepods-${qos}-pod${u}.slice`;
}

/** The cgroupfs driver's path of a pod's cgroup. */
export function cgroupfsPodPath(qos: 'guaranteed' | 'burstable' | 'besteffort', uid: string): string {
  return qos === 'guaranteed' ? `/kubepods/pod${uid}` : `/kubepods/${qos}/pod${uid}`;
}
