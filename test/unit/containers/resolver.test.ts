// The resolver on a fake node: both kubelet cgroup drivers, all three runtimes, every QoS
// class, containers outside Kubernetes, --host-root, and containers that come and go.
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import { CgroupHier } from '../../../src/containers/cgroup.js';
import { ContainerResolver, containerLabel, type ContainerInfo } from '../../../src/containers/resolver.js';
import { HuatuoError } from '../../../src/errors.js';
import { FakeHost, cid, systemdPodPath, cgroupfsPodPath } from './fake-host.js';

const { V2, V1Cpu, V1Memory } = CgroupHier;
const UID = {
  checkout: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
  cart: '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
  report: '0e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a',
  web: 'b7a6c5d4-e3f2-4a1b-9c8d-7e6f5a4b3c2d',
  orphan: 'c0ffee00-0000-4000-8000-000000000001',
};
const us = (uid: string) => uid.replace(/-/g, '_');

/** Builds the node; returns the cgroup ids of what it made, by name. */
function buildNode(host: FakeHost) {
  const ids: Record<string, Partial<Record<CgroupHier, number>>> = {};
  // shop/checkout-7d9f-x2x9z: burstable, containerd, systemd driver; app has a sub-cgroup.
  const checkout = systemdPodPath('burstable', UID.checkout);
  ids.checkoutPod = host.cgroup(checkout);
  const k8sCheckout = { pod: 'checkout-7d9f-x2x9z', namespace: 'shop', uid: UID.checkout };
  for (const [tag, name, pids] of [['a0', undefined, [100]], ['a1', 'app', [101, 102]], ['a2', 'envoy', [103]]] as const) {
    ids[tag] = host.cgroup(`${checkout}/cri-containerd-${cid(tag)}.scope`, [...pids]);
    host.containerd(cid(tag), {
      k8s: { ...k8sCheckout, container: name, type: name ? 'container' : 'sandbox' },
      cgroupsPath: `kubepods-burstable-pod${us(UID.checkout)}.slice:cri-containerd:${cid(tag)}`,
    });
  }
  ids.a1worker = host.cgroup(`${checkout}/cri-containerd-${cid('a1')}.scope/worker`, [104]);

  // shop/cart-5c4b-qq: guaranteed, CRI-O, systemd driver, with conmon beside the container.
  const cart = systemdPodPath('guaranteed', UID.cart);
  for (const [tag, name, pids] of [['b0', undefined, [200]], ['b1', 'cart', [201]]] as const) {
    ids[tag] = host.cgroup(`${cart}/crio-${cid(tag)}.scope`, [...pids]);
    host.crio(cid(tag), {
      k8s: { pod: 'cart-5c4b-qq', namespace: 'shop', uid: UID.cart, container: name, type: name ? 'container' : 'sandbox' },
      cgroupsPath: `kubepods-pod${us(UID.cart)}.slice:crio:${cid(tag)}`,
    });
  }
  ids.conmon = host.cgroup(`${cart}/crio-conmon-${cid('b1')}.scope`, [199]);

  // batch/report-28731: besteffort, Docker (cri-dockerd), cgroupfs driver.
  const report = cgroupfsPodPath('besteffort', UID.report);
  for (const [tag, name, pids] of [['c0', undefined, [300]], ['c1', 'report', [301]]] as const) {
    ids[tag] = host.cgroup(`${report}/${cid(tag)}`, [...pids]);
    host.docker(cid(tag), { k8s: { pod: 'report-28731', namespace: 'batch', uid: UID.report, container: name, type: name ? 'container' : 'sandbox' } });
  }

  // default/web-1: guaranteed, containerd, cgroupfs driver.
  ids.e1 = host.cgroup(`${cgroupfsPodPath('guaranteed', UID.web)}/${cid('e1')}`, [401]);
  host.containerd(cid('e1'), { k8s: { pod: 'web-1', namespace: 'default', uid: UID.web, container: 'nginx' }, cgroupsPath: `/kubepods/pod${UID.web}/${cid('e1')}` });

  // A kubelet container whose runtime state is gone or elsewhere: still a container of a pod.
  ids.ee1 = host.cgroup(`${cgroupfsPodPath('burstable', UID.orphan)}/${cid('ee1')}`, [450]);

  // Outside Kubernetes.
  ids.d1 = host.cgroup(`/system.slice/docker-${cid('d1')}.scope`, [501]);
  host.docker(cid('d1'), { name: 'redis' });
  ids.probe2 = host.cgroup('/default/probe2', [502]); // ctr run: /<ns>/<id>
  host.containerd('probe2', { ns: 'default', cgroupsPath: '/default/probe2' });
  ids.f1 = host.cgroup(`/custom/jobs/job_${cid('f1')}`, [503]); // ctr run --cgroup, found by its name
  host.containerd(cid('f1'), { ns: 'default' });
  ids.rel = host.cgroup('/system.slice/containerd.service/mygroup', [504]); // relative cgroupsPath: found by its init pid
  host.containerd('rel1', { ns: 'default', cgroupsPath: 'mygroup', pid: 504 });
  host.proc(504, '/system.slice/containerd.service/mygroup');
  ids.h1 = host.cgroup('/private/h1', [505]); // containerd with a private --state
  host.containerd('h1', { ns: 'default', cgroupsPath: '/private/h1', state: '/tmp/x/state' });

  // Not containers: a 64-hex name no runtime knows, a stopped docker container, a plain service.
  ids.stray = host.cgroup(`/system.slice/docker-${cid('99')}.scope`, [600]);
  host.docker(cid('98'), { name: 'stopped', running: false });
  ids.sshd = host.cgroup('/system.slice/sshd.service', [601]);
  return ids;
}

describe('ContainerResolver', () => {
  let host: FakeHost;
  let ids: ReturnType<typeof buildNode>;
  let r: ContainerResolver;
  const byId = (id: string) => r.list().find((c) => c.id === id);

  beforeEach(() => {
    host = new FakeHost('hybrid');
    ids = buildNode(host);
    r = new ContainerResolver({ hostRoot: host.root, containerdStateRoots: ['/tmp/x/state'] });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    host.cleanup();
    delete process.env.HUATUO_CONTAINERD_STATE;
  });

  it('finds the cgroup mounts under the host root and filters on v1 cpu on a hybrid host', () => {
    expect(r.mounts.map((m) => m.hier)).toEqual([V2, V1Cpu, V1Memory]);
    expect(r.mounts.every((m) => m.root.startsWith(host.root))).toBe(true);
    expect(r.defaultHier()).toBe(V1Cpu);
  });

  it('lists every container, and nothing else', () => {
    const want = ['a0', 'a1', 'a2', 'b0', 'b1', 'c0', 'c1', 'e1', 'ee1', 'd1', 'f1'].map(cid).concat(['probe2', 'rel1', 'h1']);
    expect(r.list().map((c) => c.id).sort()).toEqual(want.sort());
  });

  it('kubelet containers get pod, namespace, dashed pod uid, qos, runtime and type', () => {
    expect(byId(cid('a1'))).toMatchObject({ runtime: 'containerd', name: 'app', pod: 'checkout-7d9f-x2x9z', namespace: 'shop', podUid: UID.checkout, qos: 'burstable', type: 'container' });
    expect(byId(cid('a0'))).toMatchObject({ runtime: 'containerd', pod: 'checkout-7d9f-x2x9z', type: 'sandbox', qos: 'burstable' });
    expect(byId(cid('a0'))?.name).toBeUndefined();
    expect(byId(cid('b1'))).toMatchObject({ runtime: 'cri-o', name: 'cart', pod: 'cart-5c4b-qq', namespace: 'shop', podUid: UID.cart, qos: 'guaranteed', type: 'container' });
    expect(byId(cid('b0'))).toMatchObject({ runtime: 'cri-o', type: 'sandbox' });
    expect(byId(cid('c1'))).toMatchObject({ runtime: 'docker', name: 'report', pod: 'report-28731', namespace: 'batch', podUid: UID.report, qos: 'besteffort', type: 'container' });
    expect(byId(cid('c0'))).toMatchObject({ runtime: 'docker', type: 'sandbox' });
    expect(byId(cid('e1'))).toMatchObject({ runtime: 'containerd', name: 'nginx', pod: 'web-1', namespace: 'default', podUid: UID.web, qos: 'guaranteed' });
    // No runtime state: what the cgroup path says.
    expect(byId(cid('ee1'))).toMatchObject({ runtime: 'unknown', podUid: UID.orphan, qos: 'burstable' });
    expect(byId(cid('ee1'))?.pod).toBeUndefined();
  });

  it('containers outside Kubernetes get runtime, id and name', () => {
    expect(byId(cid('d1'))).toMatchObject({ runtime: 'docker', name: 'redis' });
    expect(byId(cid('d1'))?.pod).toBeUndefined();
    expect(byId('probe2')).toMatchObject({ runtime: 'containerd', name: 'probe2' });
    expect(byId(cid('f1'))).toMatchObject({ runtime: 'containerd', name: cid('f1') });
    expect(byId('rel1')?.cgroups.map((g) => g.path)).toEqual(Array(3).fill('/system.slice/containerd.service/mygroup'));
    expect(byId('h1')?.cgroups[0].path).toBe('/private/h1');
  });

  it('each container has its cgroup in every hierarchy, with the directory inode as id', () => {
    const a1 = byId(cid('a1'))!;
    const path = `${systemdPodPath('burstable', UID.checkout)}/cri-containerd-${cid('a1')}.scope`;
    expect(a1.cgroups).toEqual([
      { hier: V2, path, id: ids.a1[V2] },
      { hier: V1Cpu, path, id: ids.a1[V1Cpu] },
      { hier: V1Memory, path, id: ids.a1[V1Memory] },
    ]);
    expect(new Set(a1.cgroups.map((g) => g.id)).size).toBe(3);
  });

  it('pids come from cgroup.procs of the container and the cgroups below it', () => {
    expect(byId(cid('a1'))?.pids).toEqual([101, 102, 104]);
    expect(byId(cid('b1'))?.pids).toEqual([201]); // not conmon's 199
  });

  it('byCgroupId: the container, from its own cgroup or one below it, in each hierarchy', () => {
    for (const h of [V2, V1Cpu, V1Memory]) {
      expect(r.byCgroupId(h, ids.a1[h]!)?.id).toBe(cid('a1'));
      expect(r.byCgroupId(h, ids.a1worker[h]!)?.id).toBe(cid('a1'));
      expect(r.byCgroupId(h, ids.c1[h]!)?.id).toBe(cid('c1'));
    }
    expect(r.byCgroupId(V1Cpu, ids.a1[V2]!)).toBeUndefined(); // ids are per hierarchy
    expect(r.byCgroupId(V1Cpu, ids.checkoutPod[V1Cpu]!)).toBeUndefined();
    expect(r.byCgroupId(V1Cpu, ids.conmon[V1Cpu]!)).toBeUndefined();
    expect(r.byCgroupId(V1Cpu, ids.stray[V1Cpu]!)).toBeUndefined();
  });

  it('byPid reads <host>/proc/<pid>/cgroup', () => {
    expect(r.byPid(504)?.id).toBe('rel1');
    expect(r.byPid(999999)).toBeUndefined();
  });

  it('cgroupIds: the containers’ cgroups and everything below, for one hierarchy', () => {
    const sel = r.select({ pod: 'checkout-*', namespace: 'shop' });
    expect(sel.map((c) => c.id).sort()).toEqual([cid('a0'), cid('a1'), cid('a2')].sort());
    expect(r.cgroupIds(sel, V1Cpu).sort()).toEqual([ids.a0[V1Cpu], ids.a1[V1Cpu], ids.a1worker[V1Cpu], ids.a2[V1Cpu]].sort());
    expect(r.cgroupIds(sel, V2)).toContain(ids.a1worker[V2]);
    expect(r.taskCgroups({ pod: 'web-1' })).toEqual({ mount: r.mounts[1], ids: [ids.e1[V1Cpu]] });
  });

  it('select: exact, glob, any namespace, container name and id prefix', () => {
    const ids_ = (cs: ContainerInfo[]) => cs.map((c) => c.id).sort();
    expect(ids_(r.select({ pod: 'cart-5c4b-qq' }))).toEqual([cid('b0'), cid('b1')].sort());
    expect(ids_(r.select({ pod: '*-?????', namespace: 'shop' }))).toEqual([cid('a0'), cid('a1'), cid('a2')].sort());
    expect(ids_(r.select({ namespace: 'batch' }))).toEqual([cid('c0'), cid('c1')].sort());
    expect(ids_(r.select({ pod: 'checkout-7d9f-x2x9z', container: 'envoy' }))).toEqual([cid('a2')]);
    expect(ids_(r.select({ container: 'nginx' }))).toEqual([cid('e1')]);
    expect(ids_(r.select({ containerId: cid('d1').slice(0, 12).toUpperCase() }))).toEqual([cid('d1')]);
    expect(r.select({}).length).toBe(r.list().length);
  });

  it('unknown pod: one line, exit 1, with the close matches that exist', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(HuatuoError);
        expect((e as HuatuoError).exitCode).toBe(1);
        expect((e as Error).message).not.toContain('\n');
        return (e as Error).message;
      }
      throw new Error('did not throw');
    };
    expect(err(() => r.select({ pod: 'checkout-7d9f', namespace: 'shop' }))).toBe(
      'no pod "checkout-7d9f" in namespace "shop" on this node; did you mean shop/checkout-7d9f-x2x9z?',
    );
    expect(err(() => r.select({ pod: 'cart-5c4b-qq', namespace: 'default' }))).toBe('no pod "cart-5c4b-qq" in namespace "default" on this node; did you mean shop/cart-5c4b-qq?');
    expect(err(() => r.select({ pod: 'wbe-1' }))).toBe('no pod "wbe-1" on this node; did you mean default/web-1?');
    expect(err(() => r.select({ pod: 'nothing-like-it' }))).toBe('no pod "nothing-like-it" on this node');
    expect(err(() => r.select({ namespace: 'shopp' }))).toBe('no pods in namespace "shopp" on this node; did you mean shop?');
    expect(err(() => r.select({ pod: 'web-1', container: 'app' }))).toBe('pod "web-1" has no container "app"; it has: nginx');
    expect(err(() => r.select({ containerId: 'deadbeef' }))).toBe('no container with id "deadbeef" on this node');
  });

  it('a node with no pods says so', () => {
    const empty = new FakeHost('unified');
    try {
      const e = new ContainerResolver({ hostRoot: empty.root });
      expect(e.list()).toEqual([]);
      expect(() => e.select({ pod: 'x', namespace: 'y' })).toThrow(/^no pod "x" in namespace "y" on this node; no pods found at all \(is --host-root right\?/);
    } finally {
      empty.cleanup();
    }
  });

  it('a container that exits mid-run drops out, and nothing throws', () => {
    r.list();
    const gone = cid('a2');
    const oldIds = ids.a2;
    host.rmCgroup(`${systemdPodPath('burstable', UID.checkout)}/cri-containerd-${gone}.scope`);
    host.rm(`/run/containerd/io.containerd.runtime.v2.task/k8s.io/${gone}`);
    // Half gone: the cgroup is there but its runtime state is not, and the other way round.
    host.rm(`/var/lib/docker/containers/${cid('d1')}`);
    host.rmCgroup(`/default/probe2`);
    host.rm(`/proc/504`);
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 5_000);
    const list = r.list().map((c) => c.id);
    expect(list).not.toContain(gone);
    expect(list).not.toContain(cid('d1')); // outside kubepods, only a runtime's word makes a container
    expect(list).not.toContain('probe2');
    expect(list).not.toContain('rel1'); // relative cgroupsPath and its init process gone: nowhere to look
    expect(r.cgroupIds(r.select({ pod: 'checkout-*' }), V1Cpu)).not.toContain(oldIds[V1Cpu]);
    // Late events from it still get a name.
    expect(r.byCgroupId(V1Cpu, oldIds[V1Cpu]!)).toMatchObject({ id: gone, name: 'envoy', exited: true });
    expect(r.byCgroupId(V1Cpu, 987654321)).toBeUndefined();
  });

  it('a new cgroup id triggers a re-walk, at most once a second', () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    r.list();
    const path = `${systemdPodPath('besteffort', UID.web)}/cri-containerd-${cid('cc1')}.scope`;
    const fresh = host.cgroup(path, [700]);
    host.containerd(cid('cc1'), { k8s: { pod: 'late-1', namespace: 'default', uid: UID.web, container: 'late' } });
    now += 200;
    expect(r.byCgroupId(V1Cpu, fresh[V1Cpu]!)).toBeUndefined(); // walked 200 ms ago
    now += 1_000;
    expect(r.byCgroupId(V1Cpu, fresh[V1Cpu]!)).toMatchObject({ id: cid('cc1'), pod: 'late-1', qos: 'besteffort', pids: [700] });
    expect(r.byCgroupId(V2, fresh[V2]!)?.name).toBe('late');
    expect(r.select({ pod: 'late-1' })).toHaveLength(1);
  });

  it('an id the last walk met outside any container does not make a new walk', () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    r.list();
    const walk = vi.spyOn(r, 'refresh');
    now += 5_000;
    expect(r.byCgroupId(V1Cpu, ids.sshd[V1Cpu]!)).toBeUndefined();
    expect(r.byCgroupId(V1Cpu, ids.checkoutPod[V1Cpu]!)).toBeUndefined();
    expect(walk).not.toHaveBeenCalled();
    expect(r.byCgroupId(V1Cpu, 987654321)).toBeUndefined();
    expect(walk).toHaveBeenCalledTimes(1);
  });

  it('pids are read when asked for; a container gone by then has none', () => {
    const a1 = r.list().find((c) => c.id === cid('a1'))!;
    host.rmCgroup(`${systemdPodPath('burstable', UID.checkout)}/cri-containerd-${cid('a1')}.scope`);
    expect(a1.pids).toEqual([]);
  });

  it('$HUATUO_CONTAINERD_STATE adds state roots', () => {
    process.env.HUATUO_CONTAINERD_STATE = '/nowhere:/tmp/x/state';
    const viaEnv = new ContainerResolver({ hostRoot: host.root });
    expect(viaEnv.list().map((c) => c.id)).toContain('h1');
    delete process.env.HUATUO_CONTAINERD_STATE;
    expect(new ContainerResolver({ hostRoot: host.root }).list().map((c) => c.id)).not.toContain('h1');
  });

  it('without a host root: a mountinfo with absolute mount points and absolute state roots', () => {
    const local = new ContainerResolver({ hostRoot: '', mountinfo: host.absoluteMountinfo(), containerdStateRoots: [host.path('/run/containerd')] });
    expect(local.mounts[0].root).toBe(host.path('/sys/fs/cgroup/unified'));
    expect(local.select({ pod: 'web-1' })[0]).toMatchObject({ id: cid('e1'), cgroups: [{ hier: V2, id: ids.e1[V2] }, { hier: V1Cpu }, { hier: V1Memory }] });
  });

  it('labels for tables', () => {
    expect(containerLabel(byId(cid('a1'))!)).toBe('shop/checkout-7d9f-x2x9z/app');
    expect(containerLabel(byId(cid('a0'))!)).toBe('shop/checkout-7d9f-x2x9z/(sandbox)');
    expect(containerLabel(byId(cid('d1'))!)).toBe('docker:redis');
    expect(containerLabel(byId(cid('ee1'))!)).toBe(cid('ee1').slice(0, 12));
  });
});

describe('ContainerResolver on a cgroup v2 only host', () => {
  it('filters on v2; one cgroup per container', () => {
    const host = new FakeHost('unified');
    try {
      const path = `${systemdPodPath('besteffort', UID.web)}/crio-${cid('dd1')}.scope`;
      const id = host.cgroup(path, [42])[V2];
      host.crio(cid('dd1'), { k8s: { pod: 'u', namespace: 'n', uid: UID.web, container: 'c' }, cgroupsPath: `kubepods-besteffort-pod${us(UID.web)}.slice:crio:${cid('dd1')}` });
      const r = new ContainerResolver({ hostRoot: host.root });
      expect(r.defaultHier()).toBe(V2);
      expect(r.list()).toEqual([
        { id: cid('dd1'), runtime: 'cri-o', name: 'c', pod: 'u', namespace: 'n', podUid: UID.web, type: 'container', qos: 'besteffort', cgroups: [{ hier: V2, path, id }], pids: [42] },
      ]);
    } finally {
      host.cleanup();
    }
  });
});
