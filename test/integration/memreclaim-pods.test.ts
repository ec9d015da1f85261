// memreclaim --pod against a pod of a real containerd (test/helpers/containerd.ts): the
// container has a 32 MiB memory limit (ctr --memory-limit, on its own cgroup) and reads a
// 200 MiB file of its rootfs over and over, so it stalls in memcg reclaim; the host reads
// the same amount unlimited at the same time. Rows must name the pod and its limit.
import { afterAll, beforeAll, expect } from 'vitest';
import { itBpf } from '../helpers/env.js';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ContainerdHarness, describeContainerd, busyboxRootfs, cleanupBusyboxRootfs, type RunningPod } from '../helpers/containerd.js';
import { huatuoOk, killAll, workload, start } from '../helpers/processes.js';

interface Row { pod?: string; namespace?: string; container?: string; kind: string; count: number; pages: number; limit_bytes?: number | null; limited_by?: string | null }
interface Rec { type: string; rows: Row[] }

const LIMIT = 32 * 1024 * 1024;

function summary(stdout: string): Rec {
  const s = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec).find((r) => r.type === 'summary');
  if (!s) throw new Error(`no summary in: ${stdout.slice(0, 400)}`);
  return s;
}

let h: ContainerdHarness | undefined;
let pod: RunningPod;
let env: NodeJS.ProcessEnv;

const run = (args: string[]) => huatuoOk(args, { env });

describeContainerd('memreclaim on a memory-limited pod of a real containerd', () => {
  beforeAll(async () => {
    const rootfs = busyboxRootfs();
    copyFileSync(workload('file-reader', ['-O1', '-fno-omit-frame-pointer', '-static']), join(rootfs, 'bin', 'file-reader-pod'));
    chmodSync(join(rootfs, 'bin', 'file-reader-pod'), 0o755);
    const dd = spawnSync('dd', ['if=/dev/zero', `of=${join(rootfs, 'big')}`, 'bs=1M', 'count=200', 'conv=fsync', 'status=none']);
    if (dd.status !== 0) throw new Error(`dd: ${dd.stderr}`);
    h = await ContainerdHarness.start();
    pod = await h.runPod({
      pod: 'mem-a', namespace: 'shop', uid: randomUUID(), container: 'reader', maxSeconds: 60, memoryLimit: LIMIT,
      cmd: ['sh', '-c', 'while :; do /bin/file-reader-pod /big 0 >/dev/null; done'],
    });
    await h.waitForComms(pod.id, ['file-reader-pod']);
    // The host reads the same file, with no limit, meanwhile.
    start('sh', ['-c', `for i in $(seq 30); do ${workload('file-reader', ['-O1', '-fno-omit-frame-pointer'])} ${join(rootfs, 'big')} 0 >/dev/null; done`]);
    env = { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir };
  });

  afterAll(async () => {
    await killAll();
    await h?.stop();
    cleanupBusyboxRootfs();
  });

  itBpf('--pod mem-a --by pod: the pod\'s memcg stalls, its limit, and nothing else', async () => {
    const r = await run(['memreclaim', '--pod', 'mem-a', '-n', 'shop', '--by', 'pod', '--json', '-d', '3']);
    const rows = summary(r.stdout).rows;
    expect(rows.map((x) => `${x.namespace}/${x.pod}`)).toEqual(rows.map(() => 'shop/mem-a'));
    const memcg = rows.find((x) => x.kind === 'memcg');
    expect(memcg, JSON.stringify(rows)).toBeDefined();
    expect(memcg!.count).toBeGreaterThan(10);
    expect(memcg!.pages).toBeGreaterThan(1000);
    // The limit is on the container's own cgroup, under the pod's.
    expect(memcg!.limit_bytes).toBe(LIMIT);
    expect(memcg!.limited_by).toBe(pod.cgroupPath);
  });

  itBpf('--by container without a filter: the pod\'s container has memcg rows, the host reader none', async () => {
    const r = await run(['memreclaim', '--by', 'container', '--json', '-d', '3']);
    const rows = summary(r.stdout).rows.filter((x) => x.kind === 'memcg');
    expect(rows.map((x) => x.container)).toContain('reader');
    expect(rows.map((x) => x.container)).not.toContain('(host)');
  });
}, { bpf: false });
