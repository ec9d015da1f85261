// huatuo profile end to end: real sampling, symbolization and folded output.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describeBpf } from '../helpers/env.js';
import { workload, start, killAll, huatuo, sleep, programsLeft } from '../helpers/processes.js';
import { ContainerdHarness, describeContainerd, busyboxRootfs, cleanupBusyboxRootfs } from '../helpers/containerd.js';

const CPU = String(cpus().length - 1);
const FP = ['-O0', '-fno-omit-frame-pointer'];
const out = mkdtempSync(join(tmpdir(), 'huatuo-profile-'));

/** folded text → (stack → count), and the total. */
function folded(path: string): { stacks: Array<[string, number]>; total: number } {
  const stacks = readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l): [string, number] => {
    const i = l.lastIndexOf(' ');
    return [l.slice(0, i), Number(l.slice(i + 1))];
  });
  return { stacks, total: stacks.reduce((n, [, c]) => n + c, 0) };
}

/** Share of samples whose stack contains `frames` in order, as consecutive frames. */
function share(f: ReturnType<typeof folded>, frames: string): number {
  return f.stacks.filter(([s]) => `;${s};`.includes(`;${frames};`)).reduce((n, [, c]) => n + c, 0) / f.total;
}

async function profile(args: string[], env?: NodeJS.ProcessEnv) {
  const r = await huatuo(['profile', '--plain', ...args], { env, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return r;
}

afterAll(async () => {
  await killAll();
  rmSync(out, { recursive: true, force: true });
  expect(await programsLeft((n) => n.startsWith('profile'))).toEqual([]);
});

describeBpf('huatuo profile (real sampling)', () => {
  it('finds main;spin_a at 70% and main;spin_b at 30% of the process', async () => {
    const p = start('taskset', ['-c', CPU, workload('spin-ab', FP), '20']);
    await sleep(200);
    const file = join(out, 'ab.folded');
    await profile(['-p', String(p.pid), '-d', '5', '--folded', file]);
    const f = folded(file);
    expect(f.total).toBeGreaterThan(300); // 99 Hz × 5 s, minus start-up
    expect(share(f, 'main;spin_a')).toBeGreaterThan(0.6);
    expect(share(f, 'main;spin_a')).toBeLessThan(0.8);
    expect(share(f, 'main;spin_b')).toBeGreaterThan(0.2);
    expect(share(f, 'main;spin_b')).toBeLessThan(0.4);
    // Rooted at the process, and every stack goes through main.
    for (const [s] of f.stacks) expect(s.startsWith('spin-ab;')).toBe(true);
    expect(share(f, 'main')).toBeGreaterThan(0.95);
    p.kill('SIGKILL');
  });

  it('shows kernel frames under a syscall loop, suffixed _[k]', async () => {
    const p = start('taskset', ['-c', CPU, workload('syscall-loop', FP), '20']);
    await sleep(200);
    const file = join(out, 'sys.folded');
    await profile(['-p', String(p.pid), '-d', '3', '--folded', file]);
    const f = folded(file);
    const kernel = f.stacks.filter(([s]) => /;entry_SYSCALL_64[^;]*_\[k\]/.test(s)).reduce((n, [, c]) => n + c, 0);
    expect(kernel / f.total).toBeGreaterThan(0.3);
    p.kill('SIGKILL');
  });

  it('symbolizes a process that exits 1 s into a 4 s profile', async () => {
    const file = join(out, 'exit.folded');
    const run = profile(['-c', 'spin-ab', '-d', '4', '--folded', file]);
    await sleep(300);
    start('taskset', ['-c', CPU, workload('spin-ab', FP), '1']);
    await run;
    const f = folded(file);
    expect(f.total).toBeGreaterThan(40);
    expect(share(f, 'main;spin_a') + share(f, 'main;spin_b')).toBeGreaterThan(0.9);
    expect(f.stacks.filter(([s]) => s.includes('[unknown]')).length).toBe(0);
  });

  it('names JavaScript functions of node --perf-basic-prof', async () => {
    const js = 'function huatuoHotLoop(){let x=0;for(let i=0;i<1e7;i++)x+=Math.sqrt(i);return x}const end=Date.now()+15000;while(Date.now()<end)huatuoHotLoop();';
    const p = start('taskset', ['-c', CPU, process.execPath, '--perf-basic-prof', '-e', js]);
    await sleep(1500); // past start-up, and JIT-compiled
    const file = join(out, 'node.folded');
    await profile(['-p', String(p.pid), '-d', '3', '--folded', file]);
    const f = folded(file);
    const named = f.stacks.filter(([s]) => /huatuoHotLoop[^;]*_\[j\]/.test(s)).reduce((n, [, c]) => n + c, 0);
    expect(named / f.total).toBeGreaterThan(0.3);
    p.kill('SIGKILL');
  });

  it('writes every format from one run, and report re-renders its capture without root', async () => {
    const p = start('taskset', ['-c', CPU, workload('spin-ab', FP), '20']);
    await sleep(200);
    const files = Object.fromEntries(['svg', 'html', 'folded', 'speedscope', 'pprof', 'output'].map((k) => [k, join(out, `all.${k}`)]));
    const r = await profile(['-p', String(p.pid), '-d', '2', ...Object.entries(files).flatMap(([k, v]) => [`--${k}`, v])]);
    for (const v of Object.values(files)) expect(r.stdout + v).toContain(v);
    const again = join(out, 'again.folded');
    const rep = await huatuo(['report', files.output, '--folded', again]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(files.folded, 'utf8'));
    p.kill('SIGKILL');
  });
});

describeContainerd('huatuo profile --pod (real containerd)', () => {
  let h: ContainerdHarness | undefined;
  afterAll(async () => {
    await h?.stop();
    cleanupBusyboxRootfs();
  });

  it('symbolizes a program from the container\'s own filesystem', async () => {
    // The binary exists only inside the container's rootfs (statically linked: busybox has no libc).
    const rootfs = busyboxRootfs();
    const bin = workload('spin-ab', [...FP, '-static']);
    copyFileSync(bin, join(rootfs, 'bin', 'spin-ab-pod'));
    chmodSync(join(rootfs, 'bin', 'spin-ab-pod'), 0o755);
    h = await ContainerdHarness.start();
    await h.runPod({ pod: 'prof-a', namespace: 'shop', uid: randomUUID(), container: 'app', cmd: ['/bin/spin-ab-pod', '30'], cpus: CPU });
    await sleep(500);
    const file = join(out, 'pod.folded');
    await profile(['--pod', 'prof-a', '-n', 'shop', '-d', '3', '--folded', file], { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir });
    const f = folded(file);
    expect(f.total).toBeGreaterThan(100);
    expect(share(f, 'main;spin_a')).toBeGreaterThan(0.5);
    expect(f.stacks.every(([s]) => s.startsWith('spin-ab-pod;'))).toBe(true);
  });
});
