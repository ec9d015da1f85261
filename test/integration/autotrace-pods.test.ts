// autotrace's per-container rules against a pod of a real containerd (test/helpers/containerd.ts):
// a sys-heavy burner in the pod and another on the host. The trigger must name the pod's
// container, and the capture (and its look-back) hold the pod's burner, not the host's.
import { afterAll, beforeAll, expect } from 'vitest';
import { itBpf } from '../helpers/env.js';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerdHarness, describeContainerd, busyboxRootfs, cleanupBusyboxRootfs, type RunningPod } from '../helpers/containerd.js';
import { huatuoOk, killAll, workload, start } from '../helpers/processes.js';

type Rec = Record<string, unknown> & { type: string };

let h: ContainerdHarness | undefined;
let pod: RunningPod;
let env: NodeJS.ProcessEnv;
const out = mkdtempSync(join(tmpdir(), 'huatuo-autotrace-pods-'));

describeContainerd('autotrace on a pod of a real containerd', () => {
  beforeAll(async () => {
    const rootfs = busyboxRootfs();
    copyFileSync(workload('wait-kinds', ['-O0', '-fno-omit-frame-pointer', '-static']), join(rootfs, 'bin', 'wait-kinds'));
    chmodSync(join(rootfs, 'bin', 'wait-kinds'), 0o755);
    h = await ContainerdHarness.start();
    pod = await h.runPod({ pod: 'burn-a', namespace: 'shop', uid: randomUUID(), container: 'burner', maxSeconds: 60, cmd: ['/bin/wait-kinds', 'wk-podburn', 'syscall', '40'] });
    await h.waitForComms(pod.id, ['wk-podburn']);
    // The host burns system time as well, meanwhile: it must stay out of the pod's capture.
    start(workload('wait-kinds', ['-O0', '-fno-omit-frame-pointer']), ['wk-hostburn', 'syscall', '40']);
    env = { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir };
  });

  afterAll(async () => {
    await killAll();
    await h?.stop();
    cleanupBusyboxRootfs();
    rmSync(out, { recursive: true, force: true });
  });

  itBpf('a per-container rule names the pod\'s container, and its capture and look-back hold the pod\'s burner only', async () => {
    const dir = join(out, 'pod');
    const r = await huatuoOk(['autotrace', '--json', '-d', '16', '--on', 'container.sys>15 for 2', '--capture-duration', '3', '--lookback', '10', '--dir', dir], { env, timeoutMs: 90_000 });
    const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Rec);
    const triggers = recs.filter((x) => x.type === 'trigger');
    expect(triggers.map((t) => t.scope), JSON.stringify(recs.filter((x) => x.type !== 'sample'))).toEqual(['shop/burn-a/burner']);
    const capture = recs.find((x) => x.type === 'capture') as Rec & { dir: string; scope: string; top: Array<{ process: string }> };
    expect(capture.scope).toBe('shop/burn-a/burner');
    expect(capture.top.map((t) => t.process.replace(/-\d+$/, ''))).toEqual(['wk-podburn']);
    const summary = JSON.parse(readFileSync(join(capture.dir, 'summary.json'), 'utf8')) as { lookback: { samples: number; top_processes: Array<{ process: string }> } };
    expect(summary.lookback.samples).toBeGreaterThan(0);
    expect(summary.lookback.top_processes.map((t) => t.process.replace(/-\d+$/, ''))).toEqual(['wk-podburn']);
    expect(readFileSync(join(capture.dir, 'flame.svg'), 'utf8')).toContain('container shop/burn-a/burner');
    // The sample records name the pod's container with its values.
    const sample = recs.filter((x) => x.type === 'sample').at(-1) as Rec & { containers: Record<string, Record<string, number>> };
    expect(sample.containers['shop/burn-a/burner']['container.sys']).toBeGreaterThan(15);
  });
});
