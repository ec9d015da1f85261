// softirq --pod against a pod of a real containerd (test/helpers/containerd.ts): the pod
// floods its own loopback in a loop, a host process floods the host's at the same time,
// and the NET_RX runs land on top of whichever task sent them. The pod filter must keep
// the pod's softirqs and nothing of the host's; --by pod must tell the two apart.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { itBpf } from '../helpers/env.js';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ContainerdHarness, describeContainerd, busyboxRootfs, cleanupBusyboxRootfs } from '../helpers/containerd.js';
import { huatuoOk, start, killAll, workload } from '../helpers/processes.js';

interface Row { pod?: string; namespace?: string; vector?: string; count: number; total_ns: number }
interface Event { comm: string; pod: string | null; vector: string }
interface Rec { type: string; rows: Row[]; events: Event[] }

function records(stdout: string): Rec[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
}
function summary(stdout: string): Rec {
  const s = records(stdout).find((r) => r.type === 'summary');
  if (!s) throw new Error(`no summary in: ${stdout.slice(0, 400)}`);
  return s;
}

let h: ContainerdHarness | undefined;
let env: NodeJS.ProcessEnv;

const run = (args: string[]) => huatuoOk(args, { env });

describeContainerd('softirq on top of a real containerd pod', () => {
  beforeAll(async () => {
    // A static flood (busybox has no libc) that exists only in the container's rootfs.
    const rootfs = busyboxRootfs();
    copyFileSync(workload('udp-flood', ['-O1', '-static']), join(rootfs, 'bin', 'udp-flood-pod'));
    chmodSync(join(rootfs, 'bin', 'udp-flood-pod'), 0o755);
    h = await ContainerdHarness.start();
    const pod = await h.runPod({
      pod: 'flood-a', namespace: 'shop', uid: randomUUID(), container: 'sender', maxSeconds: 40,
      cmd: ['sh', '-c', 'while :; do /bin/udp-flood-pod 20000 9 0 5; sleep 0.2; done'],
    });
    // The pod has a network namespace of its own, loopback down: bring it up from the host.
    const up = spawnSync('nsenter', ['-t', String(pod.pid), '-n', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (up.status !== 0) throw new Error(`lo up in the pod: ${up.stderr}`);
    await h.waitForComms(pod.id, ['udp-flood-pod']);
    // The host floods too, under another comm, for as long as the tests run.
    start('sh', ['-c', `for i in $(seq 60); do ${workload('udp-flood')} 20000 9 0 5 >/dev/null; sleep 0.2; done`]);
    env = { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir };
  });

  afterAll(async () => {
    await killAll();
    await h?.stop();
    cleanupBusyboxRootfs();
  });

  itBpf('--pod flood-a keeps only softirqs on top of the pod\'s tasks, and its events name them', async () => {
    const r = await run(['softirq', '--pod', 'flood-a', '-n', 'shop', '--by', 'pod', '--vector', 'net_rx', '--threshold', '1us', '--max-events', '50', '--json', '-d', '3']);
    const s = summary(r.stdout);
    expect(s.rows.map((x) => `${x.namespace}/${x.pod}`)).toEqual(['shop/flood-a']);
    expect(s.rows[0].count).toBeGreaterThan(10_000);
    expect(s.rows[0].total_ns).toBeGreaterThan(0);
    const events = records(r.stdout).flatMap((x) => (x.type === 'interval' ? x.events : []));
    expect(events.length).toBeGreaterThan(10);
    for (const e of events) expect([e.pod, e.comm, e.vector]).toEqual(['shop/flood-a', 'udp-flood-pod', 'NET_RX']);
  });

  itBpf('--by pod without a filter shows the pod and the host apart: time stolen per pod', async () => {
    const r = await run(['softirq', '--by', 'pod', '--vector', 'net_rx', '--json', '-d', '3']);
    const byPod = new Map(summary(r.stdout).rows.map((x) => [x.pod, x]));
    expect(byPod.get('flood-a')?.namespace).toBe('shop');
    expect(byPod.get('flood-a')!.count).toBeGreaterThan(10_000);
    expect(byPod.get('(host)')!.count).toBeGreaterThan(10_000);
  });
}, { bpf: false });
