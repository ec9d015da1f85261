// `huatuo containers` in-process on a fake node: the table, --json, filters, errors, help.
import { describe, it, expect, beforeAll, afterAll, afterEach, vi } from 'vitest';
import { CommanderError } from 'commander';
import { containersCommand } from '../../../src/commands/containers.js';
import { TOOLS } from '../../../src/registry.js';
import { HuatuoError } from '../../../src/errors.js';
import { setVerbose } from '../../../src/log.js';
import { CgroupHier } from '../../../src/containers/cgroup.js';
import { FakeHost, cid, systemdPodPath, cgroupfsPodPath } from './fake-host.js';

const UID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
let host: FakeHost;
let appIds: Partial<Record<CgroupHier, number>>;

beforeAll(() => {
  host = new FakeHost('hybrid');
  const pod = systemdPodPath('burstable', UID);
  const k8s = { pod: 'checkout-7d9f-x2x9z', namespace: 'shop', uid: UID };
  appIds = host.cgroup(`${pod}/cri-containerd-${cid('a1')}.scope`, [101, 102, 103, 104]);
  host.containerd(cid('a1'), { k8s: { ...k8s, container: 'app' } });
  host.cgroup(`${pod}/cri-containerd-${cid('a0')}.scope`, [100]);
  host.containerd(cid('a0'), { k8s: { ...k8s, type: 'sandbox' } });
  host.cgroup(`${cgroupfsPodPath('guaranteed', 'c0ffee00-0000-4000-8000-000000000001')}/${cid('e1')}`, [200]);
  host.containerd(cid('e1'), { k8s: { pod: 'web-1', namespace: 'default', uid: 'c0ffee00-0000-4000-8000-000000000001', container: 'nginx' } });
  host.cgroup(`/system.slice/docker-${cid('d1')}.scope`, [300]);
  host.docker(cid('d1'), { name: 'redis' });
});
afterAll(() => host.cleanup());
afterEach(() => {
  vi.restoreAllMocks();
  setVerbose(false);
});

async function run(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    await containersCommand().exitOverride().parseAsync(['--host-root', host.root, ...args], { from: 'user' });
  } finally {
    vi.restoreAllMocks();
  }
  return { out, err };
}

describe('huatuo containers', () => {
  it('is registered in the one list of tools, without a BPF object', () => {
    expect(TOOLS.find((t) => t.name === 'containers')?.bpf).toBeNull();
  });

  it('plain table: pods first, sandboxes hidden, v1 cpu ids on a hybrid host, short ids, abbreviated pids', async () => {
    const { out } = await run();
    const lines = out.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['POD', 'NAMESPACE', 'CONTAINER', 'RUNTIME', 'ID', 'QOS', 'CGROUP-ID', 'PIDS']);
    expect(lines).toHaveLength(4);
    expect(lines[1].split(/\s{2,}/)).toEqual(['web-1', 'default', 'nginx', 'containerd', cid('e1').slice(0, 12), 'guaranteed', expect.any(String), '200']);
    expect(lines[2].split(/\s{2,}/)).toEqual(['checkout-7d9f-x2x9z', 'shop', 'app', 'containerd', cid('a1').slice(0, 12), 'burstable', String(appIds[CgroupHier.V1Cpu]), '101,102,+2']);
    expect(lines[3].split(/\s{2,}/)).toEqual(['-', '-', 'redis', 'docker', cid('d1').slice(0, 12), '-', expect.any(String), '300']);
  });

  it('--all shows sandboxes; --wide --cgroup-hierarchy v2 adds the v2 path and id', async () => {
    const { out } = await run('--all', '--wide', '--cgroup-hierarchy', 'v2', '--pod', 'checkout-*');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/CGROUP\s+CGROUP-ID/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`/cri-containerd-${cid('a1')}.scope`);
    expect(lines[1]).toContain(String(appIds[CgroupHier.V2]));
    expect(lines[2]).toContain('(sandbox)');
  });

  it('--json: one object per container with every hierarchy and all pids', async () => {
    const { out } = await run('--json', '-n', 'shop');
    const rows = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({
      pod: 'checkout-7d9f-x2x9z', namespace: 'shop', pod_uid: UID, container: 'app', type: 'container', runtime: 'containerd', id: cid('a1'), qos: 'burstable',
      cgroups: [
        { hier: 'v2', path: expect.stringContaining('cri-containerd-'), id: appIds[CgroupHier.V2] },
        { hier: 'cpu', path: expect.any(String), id: appIds[CgroupHier.V1Cpu] },
        { hier: 'memory', path: expect.any(String), id: appIds[CgroupHier.V1Memory] },
      ],
      pids: [101, 102, 103, 104],
    });
  });

  it('-v says what was read, on stderr only', async () => {
    const { out, err } = await run('-v', '--json');
    expect(err).toMatch(/^huatuo: cgroup cpu at .*cpu,cpuacct$/m);
    expect(err).toMatch(/\/run\/containerd: 3 containers$/m);
    expect(err).toMatch(/\/run\/k3s\/containerd: not there$/m);
    expect(out.trimEnd().split('\n')).toHaveLength(3);
  });

  it('an unknown pod is a one-line error, exit 1', async () => {
    const e = await run('--pod', 'checkout-7d9f', '-n', 'shop').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HuatuoError);
    expect((e as HuatuoError).exitCode).toBe(1);
    expect((e as Error).message).toBe('no pod "checkout-7d9f" in namespace "shop" on this node; did you mean shop/checkout-7d9f-x2x9z?');
  });

  it('help ends with EXAMPLES', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const e = await containersCommand().exitOverride().parseAsync(['--help'], { from: 'user' }).catch((x: unknown) => x);
    vi.restoreAllMocks();
    expect(e).toBeInstanceOf(CommanderError);
    expect(out).toMatch(/EXAMPLES:\n {2}huatuo containers /);
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^ {2}huatuo containers/);
  });
});
