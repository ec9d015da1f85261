// The containerd harness itself: two pods in kubepods-style cgroups, as huatuo's container
// resolver will see them (task config.json with the CRI annotations, cgroup paths in every
// hierarchy), and nothing of them left after stop().
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  ContainerdHarness, describeContainerd, busyWorkload, cgroupMountRoots, procCgroups, isAlive, ourProcesses,
  HOG_COMM, SLEEPER_COMM, K8S_NAMESPACE, cleanupBusyboxRootfs, type RunningPod,
} from '../helpers/containerd.js';

const CPU = String(cpus().length - 1);

function voluntarySwitches(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^voluntary_ctxt_switches:\s*(\d+)/m)![1]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
const POD_NAMES = ['busy-a', 'busy-b'];

let h: ContainerdHarness | undefined;
const pods: RunningPod[] = [];

describeContainerd('containerd harness (real containerd + runc)', () => {
  beforeAll(async () => {
    h = await ContainerdHarness.start();
    for (const pod of POD_NAMES) {
      pods.push(await h.runPod({ pod, namespace: 'shop', uid: randomUUID(), container: 'main', cmd: busyWorkload(), cpus: CPU }));
    }
  });

  afterAll(async () => {
    await h?.stop();
    cleanupBusyboxRootfs();
  });

  it('runs each pod as a live task of containerd, in k8s.io', async () => {
    const tasks = await h!.tasks();
    for (const p of pods) {
      expect(isAlive(p.pid)).toBe(true);
      expect(tasks.get(p.id)).toEqual({ pid: p.pid, status: 'RUNNING' });
      expect(p.cgroupPath).toMatch(/^\/kubepods\/burstable\/pod[0-9a-f-]{36}\/[0-9a-f]{64}$/);
    }
  });

  it('puts the task in the kubepods cgroup in every hierarchy (cpu, memory, …, and v2)', () => {
    for (const p of pods) {
      const cg = procCgroups(p.pid);
      expect(cg.get('cpu')).toBe(p.cgroupPath);
      // This host is hybrid: runc (cgroupfs driver) uses every v1 hierarchy and the v2 tree.
      for (const [hier, path] of cg) expect(path, `hierarchy "${hier}"`).toBe(p.cgroupPath);
      expect([...cg.keys()].sort()).toEqual(expect.arrayContaining(['', 'cpu', 'memory']));
      for (const root of cgroupMountRoots()) {
        const procs = readFileSync(join(root, p.cgroupPath, 'cgroup.procs'), 'utf8').split('\n').map(Number);
        expect(procs, root).toContain(p.pid);
      }
    }
  });

  it('writes config.json with the CRI annotations under <stateDir>/io.containerd.runtime.v2.task/k8s.io/<id>/', () => {
    for (const [i, p] of pods.entries()) {
      const file = join(h!.stateDir, 'io.containerd.runtime.v2.task', K8S_NAMESPACE, p.id, 'config.json');
      expect(h!.taskDir(p.id)).toBe(join(file, '..'));
      const spec = JSON.parse(readFileSync(file, 'utf8')) as { annotations: Record<string, string>; linux: { cgroupsPath: string } };
      expect(spec.linux.cgroupsPath).toBe(p.cgroupPath);
      expect(spec.annotations).toMatchObject({
        'io.kubernetes.cri.sandbox-name': POD_NAMES[i],
        'io.kubernetes.cri.sandbox-namespace': 'shop',
        'io.kubernetes.cri.sandbox-uid': p.spec.uid,
        'io.kubernetes.cri.container-name': 'main',
        'io.kubernetes.cri.container-type': 'container',
      });
      expect(Number(readFileSync(join(h!.taskDir(p.id), 'init.pid'), 'utf8'))).toBe(p.pid);
    }
  });

  it('runs the hog and the 1 ms sleeper pinned to one CPU', async () => {
    for (const p of pods) {
      const byComm = await h!.waitForComms(p.id, [HOG_COMM, SLEEPER_COMM]);
      for (const pid of [p.pid, ...byComm.get(HOG_COMM)!, ...byComm.get(SLEEPER_COMM)!]) {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        expect(status.match(/^Cpus_allowed_list:\s*(\S+)/m)?.[1], `pid ${pid}`).toBe(CPU);
      }
    }
    // The sleepers wake about every ms: ~900/s next to one hog, ~500/s with both pods'
    // hogs and sleepers on the one CPU. At least 100 in 500 ms (a 1 s sleep would give 0-1).
    const sleepers = await Promise.all(pods.map(async (p) => (await h!.waitForComms(p.id, [SLEEPER_COMM])).get(SLEEPER_COMM)![0]));
    const before = sleepers.map(voluntarySwitches);
    await sleep(500);
    sleepers.forEach((pid, i) => expect(voluntarySwitches(pid) - before[i], `sleeper ${pid}`).toBeGreaterThan(100));
  });

  it('stop() leaves no containerd, shim, container process or cgroup behind, and can be called again', async () => {
    const byPod = pods.map((p) => ({ p, procs: h!.processes(p.id).map((x) => x.pid) }));
    const dir = h!.dir;
    expect(ourProcesses(dir).length).toBeGreaterThanOrEqual(1 + pods.length); // containerd + a shim per pod
    const t0 = Date.now();
    await h!.stop();
    const stopMs = Date.now() - t0;
    expect(ourProcesses(dir)).toEqual([]);
    for (const { p, procs } of byPod) {
      for (const pid of [p.pid, ...procs]) expect(isAlive(pid), `pid ${pid}`).toBe(false);
      for (const root of cgroupMountRoots()) {
        expect(existsSync(join(root, p.cgroupPath)), root + p.cgroupPath).toBe(false);
        expect(existsSync(join(root, p.cgroupPath, '..')), `${root}${p.cgroupPath}/..`).toBe(false);
      }
    }
    expect(existsSync(dir)).toBe(false);
    await h!.stop();
    expect(stopMs).toBeLessThan(10_000);
  });
});
