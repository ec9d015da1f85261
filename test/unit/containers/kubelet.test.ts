// Pure parsing of kubelet's and the runtimes' cgroup paths (no files involved).
import { describe, it, expect } from 'vitest';
import { parseCgroupPath, cgroupsPathToPath, expandSlice, dashedUid } from '../../../src/containers/kubelet.js';

const ID = 'a'.repeat(60) + '1234';
const UID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const UID_ = UID.replace(/-/g, '_');

describe('parseCgroupPath', () => {
  const cases: Array<[string, string, ReturnType<typeof parseCgroupPath>]> = [
    [
      'systemd, burstable, containerd',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
      {
        kind: 'container', qos: 'burstable', podUid: UID, containerId: ID, runtime: 'containerd',
        podPath: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`,
        containerPath: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
      },
    ],
    [
      'systemd, guaranteed (directly under kubepods.slice), cri-o',
      `/kubepods.slice/kubepods-pod${UID_}.slice/crio-${ID}.scope`,
      {
        kind: 'container', qos: 'guaranteed', podUid: UID, containerId: ID, runtime: 'cri-o',
        podPath: `/kubepods.slice/kubepods-pod${UID_}.slice`, containerPath: `/kubepods.slice/kubepods-pod${UID_}.slice/crio-${ID}.scope`,
      },
    ],
    [
      'systemd, besteffort, docker, without the leading slash',
      `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/docker-${ID}.scope`,
      {
        kind: 'container', qos: 'besteffort', podUid: UID, containerId: ID, runtime: 'docker',
        podPath: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice`,
        containerPath: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/docker-${ID}.scope`,
      },
    ],
    [
      'cgroupfs, burstable',
      `/kubepods/burstable/pod${UID}/${ID}`,
      { kind: 'container', qos: 'burstable', podUid: UID, containerId: ID, runtime: undefined, podPath: `/kubepods/burstable/pod${UID}`, containerPath: `/kubepods/burstable/pod${UID}/${ID}` },
    ],
    [
      'cgroupfs, guaranteed',
      `/kubepods/pod${UID}/${ID}`,
      { kind: 'container', qos: 'guaranteed', podUid: UID, containerId: ID, runtime: undefined, podPath: `/kubepods/pod${UID}`, containerPath: `/kubepods/pod${UID}/${ID}` },
    ],
    [
      'a cgroup below a container belongs to the container',
      `/kubepods/besteffort/pod${UID}/${ID}/init.scope`,
      { kind: 'container', qos: 'besteffort', podUid: UID, containerId: ID, runtime: undefined, podPath: `/kubepods/besteffort/pod${UID}`, containerPath: `/kubepods/besteffort/pod${UID}/${ID}` },
    ],
    ['a pod cgroup', `/kubepods/burstable/pod${UID}`, { kind: 'pod', qos: 'burstable', podUid: UID, podPath: `/kubepods/burstable/pod${UID}` }],
    [
      "CRI-O's conmon is part of the pod, not a container",
      `/kubepods.slice/kubepods-pod${UID_}.slice/crio-conmon-${ID}.scope`,
      { kind: 'pod', qos: 'guaranteed', podUid: UID, podPath: `/kubepods.slice/kubepods-pod${UID_}.slice` },
    ],
    [
      'kind-style kubelet cgroup root (/kubelet.slice/kubelet-kubepods…)',
      `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
      {
        kind: 'container', qos: 'besteffort', podUid: UID, containerId: ID, runtime: 'containerd',
        podPath: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice`,
        containerPath: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
      },
    ],
    [
      'static pod UID (32 hex, no dashes)',
      `/kubepods/burstable/pod0123456789abcdef0123456789abcdef/${ID}`,
      {
        kind: 'container', qos: 'burstable', podUid: '0123456789abcdef0123456789abcdef', containerId: ID, runtime: undefined,
        podPath: '/kubepods/burstable/pod0123456789abcdef0123456789abcdef', containerPath: `/kubepods/burstable/pod0123456789abcdef0123456789abcdef/${ID}`,
      },
    ],
    ['docker outside kubepods, systemd driver', `/system.slice/docker-${ID}.scope`, { kind: 'container', containerId: ID, runtime: 'docker', containerPath: `/system.slice/docker-${ID}.scope` }],
    ['docker outside kubepods, cgroupfs driver', `/docker/${ID}`, { kind: 'container', containerId: ID, runtime: 'docker', containerPath: `/docker/${ID}` }],
    ['an arbitrary path ending with an id (ctr run --cgroup)', `/batch/jobs/x_${ID}/sub`, { kind: 'container', containerId: ID, runtime: undefined, containerPath: `/batch/jobs/x_${ID}` }],
    ['podman conmon is not a container', `/machine.slice/libpod-conmon-${ID}.scope`, undefined],
    ['not a container', '/system.slice/sshd.service', undefined],
    ['the root', '/', undefined],
    ['pod-like name outside kubepods', `/burstable/pod${UID}/${ID}`, { kind: 'container', containerId: ID, runtime: undefined, containerPath: `/burstable/pod${UID}/${ID}` }],
  ];
  for (const [what, path, want] of cases) {
    it(what, () => expect(parseCgroupPath(path)).toEqual(want));
  }

  it('pod UIDs come back dashed from either driver', () => {
    const a = parseCgroupPath(`/kubepods.slice/kubepods-pod${UID_}.slice`);
    const b = parseCgroupPath(`/kubepods/pod${UID}`);
    expect(a?.podUid).toBe(UID);
    expect(b?.podUid).toBe(UID);
    expect(dashedUid(UID_.toUpperCase())).toBe(UID);
  });
});

describe('cgroupsPathToPath (OCI linux.cgroupsPath)', () => {
  it('systemd driver: slice:prefix:name', () => {
    expect(cgroupsPathToPath(`kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID}`)).toBe(
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    );
    expect(cgroupsPathToPath(`kubepods-pod${UID_}.slice:crio:${ID}`)).toBe(`/kubepods.slice/kubepods-pod${UID_}.slice/crio-${ID}.scope`);
    expect(cgroupsPathToPath(`system.slice:docker:${ID}`)).toBe(`/system.slice/docker-${ID}.scope`);
    expect(cgroupsPathToPath(`:nerdctl:${ID}`)).toBe(`/system.slice/nerdctl-${ID}.scope`);
    expect(cgroupsPathToPath('machine.slice::my.slice')).toBe('/machine.slice/my.slice');
  });
  it('cgroupfs driver: an absolute path', () => {
    expect(cgroupsPathToPath(`/kubepods/burstable/pod${UID}/${ID}`)).toBe(`/kubepods/burstable/pod${UID}/${ID}`);
    expect(cgroupsPathToPath('/default/probe2/')).toBe('/default/probe2');
  });
  it('a relative path (relative to the runtime’s own cgroup) is not known', () => {
    expect(cgroupsPathToPath('mygroup/x')).toBeUndefined();
  });
  it('expandSlice nests by dashes', () => {
    expect(expandSlice('a-b-c.slice')).toBe('/a.slice/a-b.slice/a-b-c.slice');
    expect(expandSlice('-.slice')).toBe('');
    expect(expandSlice('system.slice')).toBe('/system.slice');
  });
});
