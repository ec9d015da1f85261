// huatuo autotrace end to end on this machine's real signals: a quiet stretch, a sys-heavy
// burner the test starts (test/fixtures/workloads/wait-kinds.c, syscall mode: getppid in a
// tight loop, bounded in time), and a second spike inside the cooldown and over the budget.
import { expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeBpf } from '../helpers/env.js';
import { workload, start, huatuo, expectNothingLeft, sleep } from '../helpers/processes.js';
import { loopExt4 } from '../helpers/loopfs.js';
import { testScratch } from '../helpers/scratch.js';

const { out, track, cleanups } = testScratch('huatuo-autotrace-');
const burner = () => workload('wait-kinds', ['-O0', '-fno-omit-frame-pointer']);

type Rec = Record<string, unknown> & { type: string; time?: string };
const records = (stdout: string): Rec[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
const index = (dir: string): Rec[] => records(readFileSync(join(dir, 'index.ndjson'), 'utf8'));

/** Burn system time for `s` seconds after `afterMs`; resolves when it has exited. */
async function burn(afterMs: number, s: number, name = 'wk-burn'): Promise<number> {
  await sleep(afterMs);
  const p = track(start(burner(), [name, 'syscall', String(s)]));
  const at = Date.now();
  await new Promise((r) => p.once('exit', r));
  return at;
}

/** Run autotrace; `during` starts once its look-back is attached (without one, at once: nothing attaches while armed). */
async function autotrace(args: string[], during?: () => Promise<unknown>) {
  let work: Promise<unknown> | undefined;
  const r = await huatuo(['autotrace', '--json', ...args], {
    timeoutMs: 90_000,
    onStart: (_p, bpf) => {
      if (during) work = args.includes('--lookback') ? during() : bpf.attached.then(during);
      work?.catch(() => {});
    },
  });
  expect(r.code, r.stderr).toBe(0);
  await expectNothingLeft(r);
  return { r, recs: records(r.stdout), work: await work };
}

describeBpf('huatuo autotrace (real BPF, this machine\'s signals)', () => {
  it('a quiet 30 s under HUATUO\'s preset: no capture, and its cost while armed under 1 % of a core', async () => {
    const dir = join(out, 'quiet');
    const { recs } = await autotrace(['-d', '30', '--dir', dir]);
    const samples = recs.filter((x) => x.type === 'sample');
    expect(samples.length).toBeGreaterThanOrEqual(28);
    expect((samples.at(-1)!.host as Record<string, number>)['cpu.sys']).toBeTypeOf('number');
    expect(recs.filter((x) => x.type === 'capture')).toEqual([]);
    expect(index(dir).map((x) => x.type)).toEqual(['armed']); // nothing fired, nothing suppressed
    const summary = recs.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', captures: 0 });
    expect(summary.armed_cpu_pct as number).toBeLessThan(1);
    expect(summary.lookback_bpf_cpu_pct as number).toBeLessThan(1);
  });

  it('a sys-heavy burner: a capture within 15 s with the burner on top, and its look-back holds the burner from before the trigger', async () => {
    const dir = join(out, 'burn');
    const { recs, work } = await autotrace(['-d', '22', '--on', 'cpu.sys>20 for 2', '--capture-duration', '3', '--dir', dir], () => burn(3000, 12));
    const burnedAt = work as number;
    const trigger = recs.find((x) => x.type === 'trigger')!;
    expect(trigger, JSON.stringify(recs.filter((x) => x.type !== 'sample'))).toBeDefined();
    expect(trigger).toMatchObject({ rule: 'cpu.sys>20 for 2', signal: 'cpu.sys', action: 'profile' });
    const capture = recs.find((x) => x.type === 'capture')! as Rec & { dir: string; top: Array<{ process: string; share: number }> };
    expect(Date.parse(capture.time!) - burnedAt).toBeLessThan(15_000);
    expect(capture.top[0].process).toMatch(/^wk-burn-\d+$/);
    expect(readdirSync(capture.dir).sort()).toEqual(['flame-before.svg', 'flame-both.svg', 'flame-diff.svg', 'flame.html', 'flame.svg', 'lookback.json', 'profile.json', 'summary.json']);
    // The look-back was taken when the rule fired, and the burner was in it already.
    const lookback = JSON.parse(readFileSync(join(capture.dir, 'lookback.json'), 'utf8')) as { data: { meta: { sampled_from_ms: number; duration_s: number }; samples: Array<{ comm: string; count: number }> } };
    const lookbackEnd = lookback.data.meta.sampled_from_ms + lookback.data.meta.duration_s * 1000;
    expect(Math.abs(lookbackEnd - Date.parse(trigger.time!))).toBeLessThan(500);
    expect(lookback.data.samples.filter((x) => x.comm === 'wk-burn').reduce((n, x) => n + x.count, 0)).toBeGreaterThan(5);
    const summary = JSON.parse(readFileSync(join(capture.dir, 'summary.json'), 'utf8')) as { lookback: { top_processes: Array<{ process: string }> }; before: Array<{ value: number | null }>; trigger: Rec };
    expect(summary.lookback.top_processes[0].process).toMatch(/^wk-burn-\d+$/);
    expect(summary.trigger).toMatchObject({ type: 'trigger', rule: 'cpu.sys>20 for 2' });
    expect(summary.before.length).toBeGreaterThan(0);
    expect(readFileSync(join(capture.dir, 'flame.svg'), 'utf8')).toContain('syscall_here');
    // Both parts in one graph, in CPU time: the burner under [before] and under [after].
    const both = readFileSync(join(capture.dir, 'flame-both.svg'), 'utf8');
    for (const part of ['[before]', '[after]']) expect(both).toMatch(new RegExp(`<title>${part.replace(/[[\]]/g, '\\$&')} \\(\\d`));
    expect(both).toMatch(/<title>wk-burn-\d+ \(\d+(\.\d+)?(ms|s)/);
  });

  it('a second spike inside the cooldown is logged as suppressed, not captured; so is one over the budget', async () => {
    const dir = join(out, 'again');
    const { recs } = await autotrace(['-d', '24', '--on', 'cpu.sys>20 for 2 cooldown 10m', '--on', 'cpu.sys>15 for 2 cooldown 1s', '--max-captures-per-hour', '1',
      '--capture-duration', '3', '--dir', dir], async () => {
      await burn(2000, 6);
      await burn(5000, 6);
    });
    const log = index(dir);
    expect(log.filter((x) => x.type === 'capture')).toHaveLength(1);
    expect(recs.filter((x) => x.type === 'capture')).toHaveLength(1);
    const suppressed = log.filter((x) => x.type === 'suppressed').map((x) => `${String(x.rule)}: ${String(x.reason)}`);
    // First spike: one capture, the other rule waits for it (busy). Second: the first rule is cooling down, the other over the budget.
    expect(suppressed).toEqual(['cpu.sys>15 for 2 cooldown 1s: busy', 'cpu.sys>20 for 2 cooldown 10m: cooldown', 'cpu.sys>15 for 2 cooldown 1s: budget']);
  });

  it('a kernel PSI trigger on a cgroup\'s own io pressure (made by the test) fires, with signals read only every 10 s, and routes to an off-CPU capture of its D-state waits', async () => {
    const dir = join(out, 'psi');
    const mnt = loopExt4(cleanups);
    // A cgroup v2 of the test's own: its io.pressure counts its tasks only, whatever else the machine does.
    const v2 = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' - ')).find((p) => p[1]?.startsWith('cgroup2 '))![0].split(' ')[4];
    const name = `/huatuo-at-psi-${process.pid}`;
    mkdirSync(join(v2, name));
    cleanups.push(() => rmdirSync(join(v2, name)));
    let syncFrom = 0;
    // fdatasync in a loop on the loop-mounted ext4: the writer waits in D state, its cgroup's io pressure rises.
    const { recs } = await autotrace(['-d', '14', '-i', '10', '--lookback', '0', '--on', `psi.io.some>100ms/2s cgroup ${name}`, '--capture-duration', '2', '--dir', dir], async () => {
      await sleep(3000); // armed by then (its start takes well under a second)
      const p = track(start('sh', ['-c', `echo $$ > ${join(v2, name, 'cgroup.procs')} && exec ${burner()} wk-sync sync ${join(mnt, 'f')} 8`]));
      syncFrom = Date.now();
      await new Promise((r) => p.once('exit', r));
    });
    const trigger = recs.find((x) => x.type === 'trigger')!;
    expect(trigger, JSON.stringify(recs.filter((x) => x.type !== 'sample'))).toMatchObject({ signal: 'psi.io.some', scope: name, action: 'offcpu-d', value: 5 });
    // The kernel told us: after the writer started, well inside the 10 s between signal reads.
    expect(Date.parse(trigger.time!)).toBeGreaterThanOrEqual(syncFrom);
    expect(Date.parse(trigger.time!) - syncFrom).toBeLessThan(5000);
    expect(recs.filter((x) => x.type === 'sample').length).toBeLessThanOrEqual(3);
    const capture = recs.find((x) => x.type === 'capture')! as Rec & { dir: string; action: string; top: Array<{ process: string }> };
    expect(capture.action).toBe('offcpu-d');
    // Scoped to the cgroup: the writer and nothing else.
    expect(capture.top.map((t) => t.process.replace(/-\d+$/, ''))).toEqual(['wk-sync']);
    const cap = JSON.parse(readFileSync(join(capture.dir, 'profile.json'), 'utf8')) as { data: { meta: { kind: string; state: string } } };
    expect(cap.data.meta).toMatchObject({ kind: 'off-cpu', state: 'D' });
    // The kernel repeats once a window while the pressure lasts (8 s: 4 windows); repeats are one
    // episode, not a line each. The writer's pressure is bursty: a lull of two windows may end an
    // episode, and the next is logged as a cooldown suppression, never as a second trigger.
    const lines = index(dir).filter((x) => x.type === 'trigger' || x.type === 'suppressed');
    expect(lines.filter((x) => x.type === 'trigger')).toHaveLength(1);
    expect(lines.filter((x) => x.type === 'suppressed').every((x) => x.reason === 'cooldown')).toBe(true);
    expect(lines.length).toBeLessThan(4);
  });
});
