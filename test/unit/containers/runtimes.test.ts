// The runtimes' metadata, from the trimmed copies of their files in test/fixtures/containers/.
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { packagePath } from '../../../src/paths.js';
import { containerdMeta, crioMeta, dockerMeta, runtimeRoots, RuntimeState } from '../../../src/containers/runtimes.js';
import { FakeHost, cid } from './fake-host.js';

const fixture = (name: string) => JSON.parse(readFileSync(packagePath('test', 'fixtures', 'containers', name), 'utf8'));

describe('metadata from each runtime', () => {
  it('containerd: CRI annotations', () => {
    const m = containerdMeta('c1', 'k8s.io', fixture('containerd-config.json'), '/x');
    expect(m).toMatchObject({
      id: 'c1', runtime: 'containerd', type: 'container', name: 'app', pod: 'POD-NAME', namespace: 'POD-NAMESPACE', podUid: 'POD-UID',
      runtimeNamespace: 'k8s.io', cgroupsPath: 'kubepods-burstable-podPOD_UID.slice:cri-containerd:CONTAINER-ID',
    });
  });
  it('containerd: a sandbox has no container name', () => {
    const spec = fixture('containerd-config.json');
    spec.annotations['io.kubernetes.cri.container-type'] = 'sandbox';
    delete spec.annotations['io.kubernetes.cri.container-name'];
    expect(containerdMeta('s1', 'k8s.io', spec, '/x')).toMatchObject({ type: 'sandbox', name: undefined, pod: 'POD-NAME' });
  });
  it('containerd outside Kubernetes: nerdctl name, io.containerd.name, else the id', () => {
    expect(containerdMeta('probe2', 'default', { linux: { cgroupsPath: '/default/probe2' } }, '/x')).toMatchObject({ name: 'probe2', pod: undefined, cgroupsPath: '/default/probe2' });
    expect(containerdMeta('abc', 'default', { annotations: { 'nerdctl/name': 'web' } }, '/x').name).toBe('web');
    expect(containerdMeta('abc', 'default', { annotations: { 'io.containerd.name': 'job' } }, '/x').name).toBe('job');
  });
  it('CRI-O: kubelet labels as annotations', () => {
    expect(crioMeta('c2', fixture('crio-config.json'), '/x')).toMatchObject({
      id: 'c2', runtime: 'cri-o', type: 'container', name: 'CONTAINER-NAME', pod: 'POD-NAME', namespace: 'POD-NAMESPACE', podUid: 'POD-UID',
    });
  });
  it('Docker: running containers, k8s labels or the container name', () => {
    expect(dockerMeta(fixture('docker-config.v2.json'), '/x')).toMatchObject({
      id: 'CONTAINER-ID', runtime: 'docker', type: 'container', name: 'app', pod: 'POD-NAME', namespace: 'POD-NAMESPACE', podUid: 'POD-UID', pid: 4242,
    });
    expect(dockerMeta({ ID: 'd1', Name: '/redis', State: { Running: true }, Config: { Labels: null } }, '/x')).toMatchObject({ name: 'redis', pod: undefined });
    expect(dockerMeta({ ID: 'd1', Name: '/redis', State: { Running: false } }, '/x')).toBeUndefined();
    expect(dockerMeta({ Name: '/x' }, '/x')).toBeUndefined();
  });
});

describe('runtimeRoots', () => {
  it('defaults, $HUATUO_CONTAINERD_STATE and extra roots, all under the host root', () => {
    const r = runtimeRoots('/host', ['/tmp/x/state'], { HUATUO_CONTAINERD_STATE: '/a:/b::/run/containerd' });
    expect(r.containerd).toEqual(['/host/run/containerd', '/host/run/k3s/containerd', '/host/var/snap/microk8s/common/run/containerd', '/host/a', '/host/b', '/host/tmp/x/state']);
    expect(r.crio).toEqual(['/host/run/containers/storage']);
    expect(r.docker).toEqual(['/host/var/lib/docker/containers']);
  });
});

describe('RuntimeState', () => {
  let host: FakeHost;
  afterEach(() => host?.cleanup());

  it('reads all three runtimes, skips broken files, and re-reads only what changed', () => {
    host = new FakeHost();
    const k8s = { pod: 'p', namespace: 'ns', uid: 'u' };
    host.containerd(cid('c1'), { k8s });
    host.containerd('probe2', { ns: 'default', cgroupsPath: '/default/probe2' });
    host.crio(cid('c2'), { k8s, cgroupsPath: 'x' });
    host.docker(cid('d1'), { name: 'redis' });
    host.docker(cid('d2'), { name: 'stopped', running: false });
    host.write(`/run/containerd/io.containerd.runtime.v2.task/k8s.io/${cid('bad')}/config.json`, '{"half');
    const state = new RuntimeState(runtimeRoots(host.root));
    const m = state.read();
    expect([...m.keys()].sort()).toEqual([cid('c1'), cid('c2'), cid('d1'), 'probe2'].sort());
    expect(m.get('probe2')?.runtimeNamespace).toBe('default');
    expect(state.seen.get(host.path('/run/containerd'))).toBe(2);
    expect(state.seen.get(host.path('/run/k3s/containerd'))).toBe(-1);
    const before = m.get(cid('c1'));
    host.containerd(cid('c1'), { k8s: { ...k8s, container: 'renamed' }, annotations: { pad: 'x'.repeat(10) } });
    host.rm(`/var/lib/docker/containers/${cid('d1')}`);
    const again = state.read();
    expect(again.get(cid('c1'))).not.toBe(before);
    expect(again.get(cid('c1'))?.name).toBe('renamed');
    expect(again.get(cid('c2'))).toBe(m.get(cid('c2'))); // unchanged file: the cached object
    expect(again.has(cid('d1'))).toBe(false);
  });
});
