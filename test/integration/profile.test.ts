// huatuo profile end to end: real sampling, symbolization and folded output.
import { afterAll, afterEach, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, copyFileSync, chmodSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import AjvModule from 'ajv';
import { Profile } from 'pprof-format';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { describeBpf } from '../helpers/env.js';
import { packagePath } from '../../src/paths.js';
import { workload, start, killAll, huatuo, waitFor, waitForComm, expectNothingLeft } from '../helpers/processes.js';
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

/** Resolves when the process has printed `ready` on stdout. */
function ready(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    p.stdout!.on('data', (d) => {
      text += d;
      if (text.includes('ready')) resolve();
    });
    p.once('exit', (c) => reject(new Error(`exited (${c}) before it was ready`)));
  });
}

/** Seconds a process has run on a CPU (the first field of /proc/PID/schedstat, in ns). */
const onCpuSeconds = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;

/** Samples of the stacks that match. */
const samplesOf = (f: ReturnType<typeof folded>, match: (stack: string) => boolean) =>
  f.stacks.filter(([s]) => match(s)).reduce((n, [, c]) => n + c, 0);

async function profile(args: string[], env?: NodeJS.ProcessEnv) {
  const r = await huatuo(['profile', '--plain', ...args], { env, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  await expectNothingLeft(r);
  return r;
}

afterAll(async () => {
  await killAll();
  rmSync(out, { recursive: true, force: true });
});

// Each test's workload dies with the test, passed or failed (killAll is the net below).
const workloads: ChildProcess[] = [];
afterEach(() => {
  for (const p of workloads.splice(0)) {
    p.kill('SIGKILL');
    rmSync(`/tmp/perf-${p.pid}.map`, { force: true }); // node --perf-basic-prof leaves its map behind
  }
});
const track = (p: ChildProcess) => (workloads.push(p), p);

describeBpf('huatuo profile (real sampling)', () => {
  it('finds main;spin_a at 70% and main;spin_b at 30% of the process', async () => {
    const p = await waitForComm(track(start('taskset', ['-c', CPU, workload('spin-ab', FP), '20'])), 'spin-ab');
    const file = join(out, 'ab.folded');
    await profile(['-p', String(p.pid), '-d', '5', '--folded', file]);
    const f = folded(file);
    expect(f.total).toBeGreaterThan(300); // 99 Hz × 5 s, minus start-up
    expect(share(f, 'main;spin_a')).toBeGreaterThan(0.6);
    expect(share(f, 'main;spin_a')).toBeLessThan(0.8);
    expect(share(f, 'main;spin_b')).toBeGreaterThan(0.2);
    expect(share(f, 'main;spin_b')).toBeLessThan(0.4);
    // Rooted at the process, and every stack goes through main.
    for (const [s] of f.stacks) expect(s.startsWith('spin-ab;'), s).toBe(true);
    expect(share(f, 'main')).toBeGreaterThan(0.95);
  });

  it('shows kernel frames under a syscall loop, suffixed _[k]', async () => {
    const p = await waitForComm(track(start('taskset', ['-c', CPU, workload('syscall-loop', FP), '20'])), 'syscall-loop');
    const file = join(out, 'sys.folded');
    await profile(['-p', String(p.pid), '-d', '3', '--folded', file]);
    const f = folded(file);
    const kernel = f.stacks.filter(([s]) => /;entry_SYSCALL_64[^;]*_\[k\]/.test(s)).reduce((n, [, c]) => n + c, 0);
    expect(kernel / f.total).toBeGreaterThan(0.3);
  });

  it('symbolizes a process that exits 1 s into a 4 s profile', async () => {
    const file = join(out, 'exit.folded');
    let attached!: () => void;
    const sampling = new Promise<void>((resolve) => (attached = resolve));
    // A name of its own: a stray spin-ab elsewhere on the machine must not count.
    const name = `ht-exit-${randomBytes(3).toString('hex')}`;
    const bin = join(out, name);
    copyFileSync(workload('spin-ab', FP), bin);
    chmodSync(bin, 0o755);
    const run = huatuo(['profile', '--plain', '-v', '-c', name, '-d', '4', '--folded', file], {
      timeoutMs: 60_000,
      onStart: (h) => h.stderr!.on('data', (d) => String(d).includes('profile: attached') && attached()),
    });
    await sampling; // a loaded machine can take a while to start huatuo: not before, or its start is missed
    const p = track(start('taskset', ['-c', CPU, bin, '1']));
    // Its time on a CPU until it exits (the last schedstat read before), for the samples to expect.
    let onCpu = 0;
    const poll = setInterval(() => {
      try {
        onCpu = onCpuSeconds(p.pid!);
      } catch { /* gone */ }
    }, 20);
    await new Promise((resolve) => p.once('exit', resolve));
    clearInterval(poll);
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const f = folded(file);
    expect(onCpu).toBeGreaterThan(0.05);
    expect(f.total).toBeGreaterThan(99 * onCpu * 0.7);
    expect(share(f, 'main;spin_a') + share(f, 'main;spin_b')).toBeGreaterThan(0.9);
    // Everything main ran is named, the vDSO under clock_gettime too (from huatuo's own
    // copy, its unexported helpers after their callers) and PLT stubs. Before main, the
    // loader (no frame pointers) can leave a garbage root: rare, and truly unknown.
    expect(f.stacks.filter(([s]) => s.includes(';main;') && s.includes('[unknown]')).map(([s]) => s)).toEqual([]);
    expect(samplesOf(f, (s) => s.includes('[unknown]'))).toBeLessThanOrEqual(Math.max(1, f.total * 0.02));
  });

  it('names JavaScript functions of node --perf-basic-prof', async () => {
    const js = 'function huatuoHotLoop(){let x=0;for(let i=0;i<1e7;i++)x+=Math.sqrt(i);return x}const end=Date.now()+15000;while(Date.now()<end)huatuoHotLoop();';
    const p = track(start('taskset', ['-c', CPU, process.execPath, '--perf-basic-prof', '-e', js]));
    // Past start-up and JIT-compiled: its perf map names the hot function.
    await waitFor('the perf map to name huatuoHotLoop', () => {
      try {
        return readFileSync(`/tmp/perf-${p.pid}.map`, 'utf8').includes('huatuoHotLoop');
      } catch {
        return false;
      }
    });
    const file = join(out, 'node.folded');
    await profile(['-p', String(p.pid), '-d', '3', '--folded', file]);
    const f = folded(file);
    const named = f.stacks.filter(([s]) => /huatuoHotLoop[^;]*_\[j\]/.test(s)).reduce((n, [, c]) => n + c, 0);
    expect(named / f.total).toBeGreaterThan(0.3);
  });

  it('labels JIT frames of a node process without a perf map, with at most one hint line, on stderr', async () => {
    // Warm (JIT-compiled) before it says ready; no --perf-basic-prof: nothing names the code.
    const js = 'function huatuoJit(){let x=0;for(let i=0;i<1e6;i++)x+=Math.sqrt(i);return x}'
      + 'for(let i=0;i<50;i++)huatuoJit();console.log("ready");const end=Date.now()+15000;while(Date.now()<end)huatuoJit();';
    const p = start('taskset', ['-c', CPU, process.execPath, '-e', js]);
    await ready(p);
    const file = join(out, 'jit.folded');
    const r = await profile(['-d', '3', '--per-pid', '--folded', file]); // the whole node, as on a busy one
    p.kill('SIGKILL');
    const f = folded(file);
    const mine = (s: string) => s.startsWith(`node-${p.pid};`);
    const all = samplesOf(f, mine);
    expect(all).toBeGreaterThan(100);
    expect(samplesOf(f, (s) => mine(s) && s.includes(';[JIT] node_[j]')) / all).toBeGreaterThan(0.5);
    expect(samplesOf(f, (s) => mine(s) && /\[unknown\] \(\[(anon|unmapped)\]/.test(s)) / all).toBeLessThan(0.02);
    // One line for every node process huatuo saw (itself included), on stderr only.
    const hints = r.stderr.split('\n').filter((l) => l.includes('without a perf map'));
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatch(/^huatuo: hint: \d+ node process(es)? ran JIT code without a perf map: start (them|it) with --perf-basic-prof/);
    expect(r.stdout).not.toMatch(/perf map|frame-pointer|hint/);
    // The frame-pointer hint, if any, never blames JIT code.
    expect(r.stderr.split('\n').filter((l) => l.includes('-fno-omit-frame-pointer'))).toHaveLength(r.stderr.includes('broken stacks') ? 1 : 0);
    expect(r.stderr).not.toMatch(/broken stacks:.*(\[anon\]|\[JIT\]|\[unmapped\])/);
  });

  it('--json: one record per interval, its window\'s top functions, then the summary', async () => {
    const p = start('taskset', ['-c', CPU, workload('spin-ab', FP), '20']);
    await ready(p);
    let cpu0 = NaN; // from attach (-v says when) to the end: what a 99 Hz cpu-clock sampler sees of it
    const r = await huatuo(['profile', '-v', '-p', String(p.pid), '--json', '-i', '1', '3', '--top', '3'], {
      timeoutMs: 60_000,
      onStart: (h) => h.stderr!.on('data', (d) => {
        if (Number.isNaN(cpu0) && String(d).includes('profile: attached')) cpu0 = onCpuSeconds(p.pid!);
      }),
    });
    const onCpu = onCpuSeconds(p.pid!) - cpu0;
    p.kill('SIGKILL');
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((x) => x.type)).toEqual(['interval', 'interval', 'interval', 'summary']);
    const intervals = records.slice(0, 3);
    intervals.forEach((x, i) => {
      expect(Object.keys(x)).toEqual(['type', 'tool', 'time', 'elapsed_s', 'window_s', 'samples', 'top']);
      expect(x.tool).toBe('profile');
      expect(new Date(x.time).toISOString()).toBe(x.time);
      expect(x.elapsed_s).toBeCloseTo(i + 1, 0);
      expect(x.window_s).toBeGreaterThan(0.7);
      expect(x.window_s).toBeLessThan(1.3);
      expect(Number.isInteger(x.samples)).toBe(true);
      expect(x.samples).toBeGreaterThan(0);
      expect(x.top.length).toBeLessThanOrEqual(3);
      for (const t of x.top) expect(Object.keys(t)).toEqual(['name', 'self', 'total', 'self_pct', 'total_pct']);
      // Each window on its own: spin_a leads, 70% ± 20 of that window's samples.
      expect(x.top[0].name).toBe('spin_a');
      expect(x.top[0].self_pct).toBeGreaterThan(50);
      expect(x.top[0].self_pct).toBeLessThan(90);
      expect(x.top[0].self).toBeLessThanOrEqual(x.samples);
    });
    const summary = records[3];
    expect(summary).toMatchObject({ type: 'summary', tool: 'profile' });
    expect(summary.duration_s).toBeCloseTo(3, 0);
    // The windows split the run: their samples add up to the summary's, 99 per second on a CPU.
    expect(intervals.reduce((n, x) => n + x.samples, 0)).toBe(summary.samples);
    expect(summary.samples).toBeGreaterThan(99 * onCpu * 0.75);
    expect(summary.samples).toBeLessThan(99 * onCpu * 1.25);
    const selfOf = (x: { top: Array<{ name: string; self: number }> }) => x.top.find((t) => t.name === 'spin_a')?.self ?? 0;
    expect(summary.top[0].name).toBe('spin_a');
    expect(selfOf(summary)).toBe(intervals.reduce((n, x) => n + selfOf(x), 0));
  });

  it('writes every format from one run, each holding the workload\'s profile; report re-renders the capture without root', async () => {
    const p = await waitForComm(track(start('taskset', ['-c', CPU, workload('spin-ab', FP), '20'])), 'spin-ab');
    chmodSync(out, 0o755); // so that the unprivileged user below can reach the files
    const files = Object.fromEntries(['svg', 'html', 'folded', 'speedscope', 'pprof', 'output'].map((k) => [k, join(out, `all.${k}`)]));
    // As if run with sudo by nobody: the files are nobody's (docs/output-files.md).
    const sudo = { ...process.env, SUDO_UID: '65534', SUDO_GID: '65534' };
    const r = await profile(['-p', String(p.pid), '-d', '4', ...Object.entries(files).flatMap(([k, v]) => [`--${k}`, v])], sudo);
    for (const [k, v] of Object.entries(files)) if (k !== 'output') expect(r.stdout).toContain(`wrote ${v}`);
    for (const v of Object.values(files)) expect(statSync(v).uid).toBe(65534);

    // Folded: the measured split, 70/30 ± 10 (4 s: ~400 samples, so the bound is ~4 sigma).
    const f = folded(files.folded);
    expect(share(f, 'main;spin_a')).toBeGreaterThan(0.6);
    expect(share(f, 'main;spin_a')).toBeLessThan(0.8);
    // SVG: a frame per function of the workload, titled with its share.
    const svg = readFileSync(files.svg, 'utf8');
    expect(svg).toMatch(/<title>spin_a \(\d[\d,]* samples?, (6\d|7\d)\.\d+%\)<\/title>/);
    expect(svg).toMatch(/<title>spin_b \(/);
    // HTML: the same tree in its data, spin_a and spin_b under main.
    const html = readFileSync(files.html, 'utf8');
    expect(html).toMatch(/"name":"main"/);
    expect(html).toMatch(/"name":"spin_a"/);
    // pprof: decodes, samples/count and cpu/nanoseconds, spin_a the top leaf.
    const prof = Profile.decode(gunzipSync(readFileSync(files.pprof)));
    const str = (i: number | bigint) => prof.stringTable.strings[Number(i)];
    expect(prof.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['samples/count', 'cpu/nanoseconds']);
    const fnName = new Map(prof.function.map((fn) => [Number(fn.id), str(fn.name)]));
    const locFn = new Map(prof.location.map((l) => [Number(l.id), fnName.get(Number(l.line[0]?.functionId))]));
    const leafCounts = new Map<string, number>();
    for (const smp of prof.sample) {
      const leaf = locFn.get(Number(smp.locationId[0])) ?? '?';
      leafCounts.set(leaf, (leafCounts.get(leaf) ?? 0) + Number(smp.value[0]));
    }
    expect([...leafCounts.entries()].sort((a, b) => b[1] - a[1])[0][0]).toBe('spin_a');
    // speedscope: valid against its own schema, weights summing to the folded total.
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('speedscope/dist/release/file-format-schema.json'), 'utf8')) as object;
    const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o: object) => { compile(s: object): (d: unknown) => boolean };
    const ss = JSON.parse(readFileSync(files.speedscope, 'utf8')) as { profiles: Array<{ weights: number[] }> };
    expect(new Ajv({ strict: false }).compile(schema)(ss)).toBe(true);
    expect(ss.profiles[0].weights.reduce((a, b) => a + b, 0)).toBe(f.total);

    // report without privileges (root with every capability dropped, which can still reach a
    // checkout under a 0700 directory): a copy of the capture renders the same folded stacks.
    const copy = join(out, 'copy.json');
    copyFileSync(files.output, copy);
    const again = join(out, 'again.folded');
    const rep = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, packagePath('bin', 'huatuo'), 'report', copy, '--folded', again], { encoding: 'utf8', timeout: 30_000 });
    expect(rep.status, rep.stderr).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(files.folded, 'utf8'));
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
    // Running once a process of that name exists (only the pod has one).
    await waitFor('the pod\'s spin-ab-pod', () => spawnSync('pgrep', ['-x', 'spin-ab-pod']).status === 0);
    const file = join(out, 'pod.folded');
    await profile(['--pod', 'prof-a', '-n', 'shop', '-d', '3', '--folded', file], { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir });
    const f = folded(file);
    expect(f.total).toBeGreaterThan(100);
    expect(share(f, 'main;spin_a')).toBeGreaterThan(0.5);
    // Every sample is the pod's: its program, or now and then the harness's wrappers inside the
    // pod (busybox timeout wakes once a second to poll its child, so 3 s at 99 Hz catch it about
    // one run in a hundred). Nothing of the host's.
    const POD_COMMS = ['spin-ab-pod', 'sh', 'timeout', 'taskset'];
    expect(f.stacks.filter(([s]) => !POD_COMMS.includes(s.split(';')[0])).map(([s, n]) => `${s} ${n}`)).toEqual([]);
    expect(f.stacks.filter(([s]) => s.startsWith('spin-ab-pod;')).reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(0.95 * f.total);

    // --group-by pod and container: the roots name the pod (and container), not the process.
    const env = { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir };
    for (const [by, root] of [['pod', 'shop/prof-a'], ['container', 'shop/prof-a/app']]) {
      const g = join(out, `pod-${by}.folded`);
      await profile(['--pod', 'prof-a', '-n', 'shop', '-d', '2', '--group-by', by, '--folded', g], env);
      const gf = folded(g);
      expect(gf.total).toBeGreaterThan(50);
      expect([...new Set(gf.stacks.map(([s]) => s.split(';')[0]))]).toEqual([root]);
      expect(share(gf, 'main;spin_a')).toBeGreaterThan(0.5);
    }
  });
});
