// schedlat and huatuo containers against pods of a real containerd (test/helpers/containerd.ts):
// two pods in namespace "shop", each a CPU hog plus a 1 ms sleeper pinned to one CPU, in
// kubepods-style cgroups that runc creates in every hierarchy of this hybrid host — so the
// pod filter and --by pod are checked on the v1 cpu hierarchy and on the unified v2 one.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { itBpf } from '../helpers/env.js';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import {
  ContainerdHarness, describeContainerd, busyWorkload, cleanupBusyboxRootfs, HOG_COMM, SLEEPER_COMM, type RunningPod,
} from '../helpers/containerd.js';
import { huatuo, huatuoOk, start, killAll, workload } from '../helpers/processes.js';
import { cgroupMounts, HIER_NAMES } from '../../src/containers/cgroup.js';

const CPU = String(cpus().length - 1);

interface Row { pod?: string; namespace?: string; container?: string; container_id?: string; count: number; p99_ns: number }
interface Rec { type: string; cgroup_hierarchy: string; rows: Row[] }

function summary(stdout: string): Rec {
  const s = stdout.trim().split('\n').map((l) => JSON.parse(l) as Rec).find((r) => r.type === 'summary');
  if (!s) throw new Error(`no summary in: ${stdout.slice(0, 400)}`);
  return s;
}

let h: ContainerdHarness | undefined;
const pods = new Map<string, RunningPod>();
let env: NodeJS.ProcessEnv;

const run = (args: string[]) => huatuoOk(args, { env });

// containerd without BPF still runs the listing tests: BPF is asked for test by test.
describeContainerd('pods of a real containerd', () => {
  beforeAll(async () => {
    h = await ContainerdHarness.start();
    for (const pod of ['busy-a', 'busy-b']) {
      const p = await h.runPod({ pod, namespace: 'shop', uid: randomUUID(), container: `${pod}-main`, cmd: busyWorkload(), cpus: CPU });
      await h.waitForComms(p.id, [HOG_COMM, SLEEPER_COMM]);
      pods.set(pod, p);
    }
    // A host process on the same CPU that also waits: it must never count for a pod.
    start('taskset', ['-c', CPU, workload('spin-sleep'), 'ht-host-sleeper', '0', '1000', '60']);
    env = { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir };
  });

  afterAll(async () => {
    await killAll();
    await h?.stop();
    cleanupBusyboxRootfs();
  });

  // Each hierarchy this host mounts: v1 cpu and the unified tree on a hybrid host, v2
  // alone on a stock cgroup-v2 one (runc puts the pods in every hierarchy there is).
  for (const hier of cgroupMounts().map((m) => HIER_NAMES[m.hier]).filter((n) => n !== 'memory')) {
    itBpf(`--pod busy-a --by pod counts busy-a only (${hier} hierarchy)`, async () => {
      const r = await run(['schedlat', '--pod', 'busy-a', '-n', 'shop', '--by', 'pod', '--cgroup-hierarchy', hier, '--json', '-d', '3']);
      const s = summary(r.stdout);
      expect(s.cgroup_hierarchy).toBe(hier);
      expect(s.rows.map((x) => `${x.namespace}/${x.pod}`)).toEqual(['shop/busy-a']);
      expect(s.rows[0].count).toBeGreaterThan(100);
    });

    itBpf(`--by pod without a filter shows both pods and the host apart (${hier} hierarchy)`, async () => {
      const r = await run(['schedlat', '--by', 'pod', '--cgroup-hierarchy', hier, '--json', '-d', '3']);
      const rows = summary(r.stdout).rows;
      const byPod = new Map(rows.map((x) => [x.pod, x]));
      for (const pod of ['busy-a', 'busy-b']) {
        expect(byPod.get(pod)?.namespace).toBe('shop');
        expect(byPod.get(pod)!.count).toBeGreaterThan(100);
      }
      // The host sleeper alone wakes ~1000 times a second on a CPU the pods' hogs keep busy.
      expect(byPod.get('(host)')!.count).toBeGreaterThan(500);
    });
  }

  itBpf('--by container names the containers and their ids', async () => {
    const r = await run(['schedlat', '--namespace', 'shop', '--by', 'container', '--json', '-d', '2']);
    const rows = summary(r.stdout).rows;
    expect(rows.map((x) => x.container).sort()).toEqual(['busy-a-main', 'busy-b-main']);
    for (const x of rows) expect(pods.get(x.pod!)!.id.startsWith(x.container_id!)).toBe(true);
  });

  itBpf('host processes stay out of a pod: --pod busy-a --by comm has only the pod\'s commands', async () => {
    const r = await run(['schedlat', '--pod', 'busy-a', '--json', '-d', '2']);
    const comms = summary(r.stdout).rows.map((x) => (x as Row & { comm: string }).comm);
    expect(comms).toContain(SLEEPER_COMM);
    expect(comms).not.toContain('ht-host-sleeper');
    // The harness runs the workload under busybox timeout (and taskset) inside the pod.
    for (const c of comms) expect(['sh', 'timeout', 'taskset', HOG_COMM, SLEEPER_COMM]).toContain(c);
  });

  itBpf('an unknown pod is an error naming close matches, exit 1', async () => {
    const r = await huatuo(['schedlat', '--pod', 'busy-c', '-n', 'shop', '-d', '1'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^huatuo: no pod "busy-c" in namespace "shop" on this node; did you mean shop\/busy-a, shop\/busy-b\?$/);
  });

  it('huatuo containers lists both pods, as a table and as JSON', async () => {
    const t = await run(['containers']);
    for (const pod of ['busy-a', 'busy-b']) expect(t.stdout).toMatch(new RegExp(`${pod}\\s+shop\\s+${pod}-main\\s+containerd`));
    const j = await run(['containers', '--json']);
    const list = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { pod: string; namespace: string; container: string; id: string; pids: number[] });
    for (const [pod, p] of pods) {
      const c = list.find((x) => x.pod === pod)!;
      expect(c).toMatchObject({ namespace: 'shop', container: `${pod}-main`, id: p.id, runtime: 'containerd' });
      expect(c.pids).toContain(p.pid);
    }
  });
}, { bpf: false });
