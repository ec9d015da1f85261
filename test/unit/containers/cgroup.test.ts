// Finding the cgroup mounts: mountinfo parsing, the host root, and the fallback probe.
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../../src/paths.js';
import { CgroupHier, cgroupDir, cgroupMounts, defaultMount, parseMountinfo, readCgroupMounts, resolveCgroupPath } from '../../../src/containers/cgroup.js';
import { parseProcCgroup } from '../../../src/containers/snapshot.js';
import { FakeHost } from './fake-host.js';

describe('parseMountinfo', () => {
  it('a hybrid host: v2 at /sys/fs/cgroup/unified, v1 cpu and memory; filters on v1 cpu', () => {
    const text = readFileSync(packagePath('test', 'fixtures', 'containers', 'mountinfo-hybrid.txt'), 'utf8');
    const m = parseMountinfo(text);
    expect(m).toEqual([
      { hier: CgroupHier.V2, root: '/sys/fs/cgroup/unified', base: '/' },
      { hier: CgroupHier.V1Cpu, root: '/sys/fs/cgroup/cpu', base: '/' },
      { hier: CgroupHier.V1Memory, root: '/sys/fs/cgroup/memory', base: '/' },
    ]);
    expect(defaultMount(m)?.hier).toBe(CgroupHier.V1Cpu);
    expect(parseMountinfo(text, '/host')[0].root).toBe('/host/sys/fs/cgroup/unified');
  });
  it('a unified host filters on v2; escapes are decoded; the mount of the root wins', () => {
    const text = [
      '40 30 0:30 /kubepods /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw',
      '35 23 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
    ].join('\n');
    const m = parseMountinfo(text);
    expect(m).toEqual([{ hier: CgroupHier.V2, root: '/sys/fs/cgroup', base: '/' }]);
    expect(defaultMount(m)?.hier).toBe(CgroupHier.V2);
    expect(parseMountinfo(text.split('\n')[0])).toEqual([{ hier: CgroupHier.V2, root: '/mnt/my cgroup', base: '/kubepods' }]);
  });
  it('cgroupDir maps hierarchy paths into a sub-tree mount', () => {
    expect(cgroupDir({ hier: 0, root: '/mnt/x', base: '/kubepods' }, '/kubepods/pod1')).toBe('/mnt/x/pod1');
    expect(cgroupDir({ hier: 0, root: '/sys/fs/cgroup', base: '/' }, '/kubepods/pod1')).toBe('/sys/fs/cgroup/kubepods/pod1');
  });
});

describe('readCgroupMounts', () => {
  let host: FakeHost;
  afterEach(() => {
    host?.cleanup();
    delete process.env.HUATUO_HOST_ROOT;
  });

  it('reads <host>/proc/1/mountinfo and prefixes the mount points', () => {
    host = new FakeHost('hybrid');
    const m = readCgroupMounts({ hostRoot: host.root });
    expect(m.map((x) => x.root)).toEqual([host.path('/sys/fs/cgroup/unified'), host.path('/sys/fs/cgroup/cpu,cpuacct'), host.path('/sys/fs/cgroup/memory')]);
  });
  it('$HUATUO_HOST_ROOT is the default host root, also for cgroupMounts()', () => {
    host = new FakeHost('unified');
    process.env.HUATUO_HOST_ROOT = host.root + '/';
    expect(cgroupMounts()).toEqual([{ hier: CgroupHier.V2, root: host.path('/sys/fs/cgroup'), base: '/' }]);
  });
  it('--cgroup takes host paths under $HUATUO_HOST_ROOT', () => {
    host = new FakeHost('hybrid');
    const ids = host.cgroup('/kubepods/besteffort');
    process.env.HUATUO_HOST_ROOT = host.root;
    expect(resolveCgroupPath('/sys/fs/cgroup/cpu,cpuacct/kubepods/besteffort')).toMatchObject({ id: ids[CgroupHier.V1Cpu], mount: { hier: CgroupHier.V1Cpu } });
    expect(resolveCgroupPath('kubepods/besteffort').id).toBe(ids[CgroupHier.V1Cpu]);
  });
  it('without a readable mountinfo, probes the usual places', () => {
    host = new FakeHost('hybrid');
    host.rm('/proc/1/mountinfo');
    const cg = host.path('/sys/fs/cgroup');
    writeFileSync(join(cg, 'unified', 'cgroup.controllers'), '');
    writeFileSync(join(cg, 'cpu,cpuacct', 'cpu.shares'), '1024\n');
    mkdirSync(join(cg, 'memory'), { recursive: true });
    writeFileSync(join(cg, 'memory', 'memory.limit_in_bytes'), '-1\n');
    expect(readCgroupMounts({ hostRoot: host.root }).map((m) => [m.hier, m.root])).toEqual([
      [CgroupHier.V2, join(cg, 'unified')],
      [CgroupHier.V1Cpu, join(cg, 'cpu,cpuacct')],
      [CgroupHier.V1Memory, join(cg, 'memory')],
    ]);
  });
});

describe('parseProcCgroup', () => {
  it('v2, v1 cpu and memory lines; paths outside our cgroup namespace are dropped', () => {
    expect(parseProcCgroup('12:pids:/a\n4:memory:/m\n2:cpu,cpuacct:/c\n1:name=systemd:/s\n0::/u\n')).toEqual({ 0: '/u', 1: '/c', 2: '/m' });
    expect(parseProcCgroup('0::/../../kubepods.slice/x\n')).toEqual({});
  });
});
