// netdrop's attribution to pods against a pod of a real containerd (test/helpers/containerd.ts),
// which has a network namespace of its own. The test joins that namespace to a namespace it
// creates with a veth pair of its own (10.251.x.0/30, nothing routed beyond the pair) and
// sends UDP from its side: to a closed port of the pod (NO_SOCKET: no socket, so only the
// namespace says whose it is) and to a socket in the pod with the smallest receive buffer,
// never read (SOCKET_RCVBUFF: the socket's cgroup says). Meanwhile the host floods its own
// loopback, which must never be attributed to the pod.
import { afterAll, beforeAll, expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { itBpf } from '../helpers/env.js';
import { ContainerdHarness, describeContainerd, busyboxRootfs, cleanupBusyboxRootfs, type RunningPod } from '../helpers/containerd.js';
import { huatuoOk, killAll, start, workload, type Run } from '../helpers/processes.js';

interface Row { reason?: string; pod?: string | null; namespace?: string | null; netns?: number; dev?: string | null; packets: number }
interface Event { reason: string; pod: string | null; netns: number; dst: string | null; dport: number | null; dev: string | null; cgroup_id: number }
interface Rec { type: string; rows: Row[]; events: Event[] }

const records = (stdout: string): Rec[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
const summary = (r: Run): Rec => records(r.stdout).find((x) => x.type === 'summary')!;

const tag = (process.pid % 200) + 20;
const NETNS = `ht-nd-${process.pid}`;
const VETH_OURS = `htnd${process.pid % 100000}a`;
const VETH_POD = `htnd${process.pid % 100000}b`;
const OUR_ADDR = `10.251.${tag}.1`;
const POD_ADDR = `10.251.${tag}.2`;
const CLOSED_PORT = 42001;
const SINK_PORT = 42002;
const HOST_PORT = 42003;
const N = 20_000;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** A bounded flood from the test's namespace into the pod, run to completion. */
function floodPod(port: number, count = N): Promise<void> {
  const p = start('ip', ['netns', 'exec', NETNS, workload('udp-flood'), String(count), String(port), '0', '10', POD_ADDR]);
  return new Promise((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`flood into the pod exited ${code}`)))));
}

let h: ContainerdHarness | undefined;
let pod: RunningPod;
let podNetns: number;
let env: NodeJS.ProcessEnv;

/** huatuo while the pod is flooded on both ports and the host floods its loopback. */
async function during(args: string[]): Promise<Run> {
  let work: Promise<unknown> | undefined;
  const r = await huatuoOk(args, {
    env,
    onStart: (_p, bpf) => {
      work = bpf.attached.then(() => Promise.all([floodPod(CLOSED_PORT), floodPod(SINK_PORT), new Promise<void>((resolve) => {
        const p = start(workload('udp-flood'), [String(N), String(HOST_PORT), '0', '10']);
        p.on('close', () => resolve());
      })]));
      work.catch(() => {});
    },
  });
  await work;
  return r;
}

describeContainerd('netdrop attributes drops to a real containerd pod', () => {
  beforeAll(async () => {
    const rootfs = busyboxRootfs();
    copyFileSync(workload('udp-sink', ['-O1', '-static']), join(rootfs, 'bin', 'udp-sink-pod'));
    chmodSync(join(rootfs, 'bin', 'udp-sink-pod'), 0o755);
    h = await ContainerdHarness.start();
    pod = await h.runPod({ pod: 'net-a', namespace: 'shop', uid: randomUUID(), container: 'sink', maxSeconds: 60, cmd: ['/bin/udp-sink-pod', String(SINK_PORT), '55'] });
    await h.waitForComms(pod.id, ['udp-sink-pod']);
    podNetns = Number(/\d+/.exec(readlinkSync(`/proc/${pod.pid}/ns/net`))![0]);
    // Our namespace and the veth pair between it and the pod's.
    spawnSync('ip', ['netns', 'del', NETNS]);
    sh('ip', ['netns', 'add', NETNS]);
    sh('ip', ['link', 'add', VETH_OURS, 'netns', NETNS, 'type', 'veth', 'peer', 'name', VETH_POD, 'netns', String(pod.pid)]);
    sh('ip', ['-n', NETNS, 'addr', 'add', `${OUR_ADDR}/30`, 'dev', VETH_OURS]);
    sh('ip', ['-n', NETNS, 'link', 'set', VETH_OURS, 'up']);
    sh('nsenter', ['-t', String(pod.pid), '-n', 'ip', 'addr', 'add', `${POD_ADDR}/30`, 'dev', VETH_POD]);
    sh('nsenter', ['-t', String(pod.pid), '-n', 'ip', 'link', 'set', VETH_POD, 'up']);
    env = { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir };
  });

  afterAll(async () => {
    // Deleting our namespace deletes the veth pair; the pod's namespace goes with the pod.
    spawnSync('ip', ['netns', 'del', NETNS]);
    await killAll();
    await h?.stop();
    cleanupBusyboxRootfs();
  });

  itBpf('socketless drops in the pod\'s namespace are the pod\'s (by the namespace), socket drops by the socket\'s cgroup; the host\'s are the host\'s', async () => {
    const r = await during(['netdrop', '--by', 'reason,pod', '--json', '-d', '4', '--rate', '2000']);
    const rows = summary(r).rows;
    const of = (reason: string, podName: string) => rows.filter((x) => x.reason === reason && x.pod === podName).reduce((n, x) => n + x.packets, 0);
    expect(of('NO_SOCKET', 'net-a')).toBe(N);
    expect(rows.find((x) => x.pod === 'net-a')?.namespace).toBe('shop');
    // The sink's buffer holds a datagram or two: the rest are dropped on its socket.
    expect(of('SOCKET_RCVBUFF', 'net-a')).toBeGreaterThan(N - 10);
    expect(of('NO_SOCKET', '(host)')).toBeGreaterThanOrEqual(N);
    const events = records(r.stdout).flatMap((x) => (x.type === 'interval' ? x.events : []));
    const inPod = events.filter((e) => e.dst === POD_ADDR);
    expect(inPod.length).toBeGreaterThan(100);
    for (const e of inPod) {
      expect([e.pod, e.netns, e.dev]).toEqual(['shop/net-a', podNetns, VETH_POD]);
      expect(e.cgroup_id === 0).toBe(e.reason === 'NO_SOCKET'); // no socket: attributed by its namespace
    }
    for (const e of events.filter((x) => x.dport === HOST_PORT)) expect(e.pod).toBe('(host)');
  }, 60_000);

  itBpf('--pod keeps the pod\'s drops, with and without a socket, and none of the host\'s; --by netns shows its namespace', async () => {
    const r = await during(['netdrop', '--pod', 'net-a', '-n', 'shop', '--by', 'all', '--json', '-d', '4']);
    const rows = summary(r).rows;
    expect(new Set(rows.map((x) => x.pod))).toEqual(new Set(['net-a']));
    expect(new Set(rows.map((x) => x.netns))).toEqual(new Set([podNetns]));
    expect(rows.filter((x) => x.reason === 'NO_SOCKET').reduce((n, x) => n + x.packets, 0)).toBe(N);
    expect(rows.filter((x) => x.reason === 'SOCKET_RCVBUFF').reduce((n, x) => n + x.packets, 0)).toBeGreaterThan(N - 10);
    for (const x of rows) expect(x.dev).toBe(VETH_POD);
  }, 60_000);
}, { bpf: false });
