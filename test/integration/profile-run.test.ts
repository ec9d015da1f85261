// A profile run as a library call (src/profile/run.ts), in this process: what autotrace will
// do. Sampling a pinned spinner stops on the caller's signal, the model holds its samples, the
// render gives folded stacks and a summary, and nothing stays attached afterwards.
import { afterAll, expect, it } from 'vitest';
import { describeBpf } from '../helpers/env.js';
import { bpfHeldBy, killAll, start, waitForComm, workload } from '../helpers/processes.js';
import { renderProfile, runProfile } from '../../src/profile/run.js';
import { cpus } from 'node:os';

const CPU = String(cpus().length - 1);

afterAll(() => killAll());

describeBpf('runProfile (library)', () => {
  it('samples until the caller stops it, reports each tick, renders, and leaves nothing attached', async () => {
    const p = await waitForComm(start('taskset', ['-c', CPU, workload('spin-ab', ['-O0', '-fno-omit-frame-pointer']), '20']), 'spin-ab');
    const stop = new AbortController();
    const ticks: number[] = [];
    const run = await runProfile({
      sampling: { filter: { tgid: p.pid }, event: 'cpu-clock', userOnly: false, kernelOnly: false, includeIdle: false, stackStorageSize: 16384 },
      intervalS: 0.5,
      signal: stop.signal,
      onTick: (s) => {
        ticks.push(s.totalSamples);
        if (ticks.length === 4) stop.abort();
      },
    });
    expect(ticks.length).toBe(4);
    expect(run.elapsedS).toBeGreaterThan(1.5);
    expect(run.elapsedS).toBeLessThan(4);
    // 99 Hz (the one default) for about 2 s.
    expect(run.periodNs).toBeCloseTo(1e9 / 99);
    expect(run.snap.totalSamples).toBeGreaterThan(120);
    const { stacks, summary } = renderProfile(run, {}, { groupBy: 'process', perPid: false, who: `pid ${p.pid}`, event: 'cpu-clock', top: 5 });
    expect(stacks.every((s) => s.frames[0] === 'spin-ab')).toBe(true);
    expect(summary.top.map((t) => t.name)).toContain('spin_a');
    // Closed in the library's finally: this process holds no BPF program or link any more.
    const held = bpfHeldBy(process.pid);
    expect(held).toEqual({ progs: [], links: [] });
  }, 30_000);

  it('closes everything when the caller\'s tick throws mid-run, and passes the error on', async () => {
    const p = await waitForComm(start('taskset', ['-c', CPU, workload('spin-ab', ['-O0', '-fno-omit-frame-pointer']), '20']), 'spin-ab');
    const run = runProfile({
      sampling: { filter: { tgid: p.pid }, event: 'cpu-clock', userOnly: false, kernelOnly: false, includeIdle: false, stackStorageSize: 16384 },
      intervalS: 0.3,
      signal: new AbortController().signal,
      onTick: () => { throw new Error('caller failed'); },
    });
    await expect(run).rejects.toThrow('caller failed');
    expect(bpfHeldBy(process.pid)).toEqual({ progs: [], links: [] });
  }, 30_000);
});
