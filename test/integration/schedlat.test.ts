// schedlat against a real scheduler situation made here: a SCHED_FIFO hog and a 1 ms
// sleeper pinned to the same CPU. The hog spins 5 ms then sleeps 5 ms, so the sleeper,
// woken while the hog spins, waits up to 5 ms for the CPU (a plain CFS hog is not
// enough: EEVDF lets the sleeper preempt it within microseconds).
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { describeBpf } from '../helpers/env.js';
import { readFileSync } from 'node:fs';
import { workload, start, killAll, cleanupBuildDir, huatuo, waitFor, waitForComm, expectNothingLeft, bpfRunCount, type Run } from '../helpers/processes.js';

const CPU = String(cpus().length - 1);

interface Record_ {
  attach?: string;
  type: 'interval' | 'summary';
  rows: Array<{ comm?: string; pid?: number; count: number; p99_ns: number; p50_ns: number }>;
  events: Array<{ pid: number; tgid: number; comm: string; lat_ns: number; prev_pid: number; prev_comm: string }>;
  lost: { ringbuf_full: number; rate_limited: number };
  overhead: { bpf_ns_per_run: number | null; bpf_runs: number };
}

function records(stdout: string): Record_[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record_);
}

function summaryOf(stdout: string): Record_ {
  const s = records(stdout).find((r) => r.type === 'summary');
  if (!s) throw new Error(`no summary record in: ${stdout.slice(0, 500)}`);
  return s;
}

let hog: ChildProcess;
let sleeper: ChildProcess;

/** Its state letter from /proc/PID/stat (R, S, T, …). */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Runs of this file: each must leave none of its programs or links behind. */
const runs: Run[] = [];
async function run(args: string[], opts?: Parameters<typeof huatuo>[1]): Promise<Run> {
  const r = await huatuo(args, opts);
  runs.push(r);
  return r;
}

describeBpf('schedlat (real BPF)', () => {
  beforeAll(async () => {
    const bin = workload('spin-sleep');
    hog = start('taskset', ['-c', CPU, 'chrt', '-f', '50', bin, 'ht-fifo-hog', '5000', '5000', '60']);
    sleeper = start('taskset', ['-c', CPU, bin, 'ht-sleeper', '0', '1000', '60']);
    // Running under their own names (exec'd past taskset and chrt), not a fixed head start.
    await waitForComm(hog, 'ht-fifo-hog');
    await waitForComm(sleeper, 'ht-sleeper');
  });

  afterAll(async () => {
    await killAll();
    cleanupBuildDir();
  });

  afterEach(async () => {
    // Whatever a test did, nothing the runs held stays in the kernel.
    for (const r of runs.splice(0)) await expectNothingLeft(r);
  });

  it('measures the sleeper waiting behind the FIFO hog: count > 0, p99 >= 2 ms', async () => {
    const r = await run(['schedlat', '--pid', String(sleeper.pid), '--json', '-d', '3']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.rows).toHaveLength(1);
    expect(s.rows[0].comm).toBe('ht-sleeper');
    expect(s.rows[0].count).toBeGreaterThan(100);
    expect(s.rows[0].p99_ns).toBeGreaterThanOrEqual(2e6);
    // The hog is released after at most 5 ms of spinning: nothing waits much longer.
    expect(s.rows[0].p99_ns).toBeLessThan(8e6);
    expect(records(r.stdout).filter((x) => x.type === 'interval').length).toBeGreaterThanOrEqual(2);
  });

  it("measures the same from the scheduler's own timestamps (--method sched-info)", async () => {
    const r = await run(['schedlat', '--pid', String(sleeper.pid), '--json', '-d', '3', '--method', 'sched-info']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.rows[0].count).toBeGreaterThan(100);
    expect(s.rows[0].p99_ns).toBeGreaterThanOrEqual(2e6);
    // Bounded above too: a method that also counted the 1 ms sleeps, or the hog's 5 ms
    // sleeps, would land here.
    expect(s.rows[0].p99_ns).toBeLessThan(8e6);
  });

  it('measures the same with the raw_tp programs (kernels without tp_btf)', async () => {
    const r = await run(['schedlat', '--pid', String(sleeper.pid), '--json', '-d', '2', '--threshold', '2ms'], {
      env: { ...process.env, HUATUO_ATTACH: 'raw_tp' },
    });
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout) as Record_ & { attach: string };
    expect(s.attach).toBe('raw_tp');
    expect(s.rows[0].comm).toBe('ht-sleeper');
    expect(s.rows[0].count).toBeGreaterThan(100);
    expect(s.rows[0].p99_ns).toBeGreaterThanOrEqual(2e6);
    expect(s.rows[0].p99_ns).toBeLessThan(8e6);
    expect(s.events.some((e) => e.prev_comm === 'ht-fifo-hog')).toBe(true);
  });

  it('names the hog as the task that held the CPU, for waits over --threshold 2ms', async () => {
    const r = await run(['schedlat', '--pid', String(sleeper.pid), '--json', '-d', '3', '--threshold', '2ms']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.events.length).toBeGreaterThan(10);
    for (const e of s.events) {
      expect(e.tgid).toBe(sleeper.pid);
      expect(e.lat_ns).toBeGreaterThanOrEqual(2e6);
    }
    // The hog is who held the CPU: the most frequent prev by far. Not every time: when
    // the hog sleeps, other runnable tasks of this busy machine may run before the sleeper.
    const prevs = new Map<number, number>();
    for (const e of s.events) prevs.set(e.prev_pid, (prevs.get(e.prev_pid) ?? 0) + 1);
    const [top] = [...prevs.entries()].sort((a, b) => b[1] - a[1]);
    expect(top[0]).toBe(hog.pid);
    const byHog = s.events.filter((e) => e.prev_pid === hog.pid && e.prev_comm === 'ht-fifo-hog');
    expect(byHog.length / s.events.length).toBeGreaterThan(0.5);
    expect(s.lost.ringbuf_full).toBe(0);
  });

  it('filters by --comm and --by pid on the measured task', async () => {
    const r = await run(['schedlat', '--comm', 'ht-sleeper', '--by', 'pid', '--json', '-d', '2']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.rows.map((x) => x.pid)).toEqual([sleeper.pid]);
    expect(s.rows[0].p99_ns).toBeGreaterThanOrEqual(2e6);
  });

  it('counts nothing for a stopped process', async () => {
    const bin = workload('spin-sleep');
    const stopped = start('taskset', ['-c', CPU, bin, 'ht-stopped', '0', '1000', '60']);
    await waitForComm(stopped, 'ht-stopped');
    process.kill(stopped.pid!, 'SIGSTOP');
    await waitFor('ht-stopped to stop', () => stateOf(stopped.pid!) === 'T');
    const r = await run(['schedlat', '--pid', String(stopped.pid), '--json', '-d', '2']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.rows.reduce((n, x) => n + x.count, 0)).toBe(0);
    // The programs did run: zero is the filter's doing, not a dead probe.
    expect(s.overhead.bpf_runs).toBeGreaterThan(0);
  });
});

describeBpf('schedlat leaves nothing attached', () => {
  afterAll(killAll);

  async function runUntilAttached(signal: NodeJS.Signals | null) {
    // With a signal: a 30 s interval, so the run ends before its first tick; the signal
    // comes once the run is attached (it holds links, read from its own fds) and its
    // programs have run, so there is something to report.
    const r = await huatuo(['schedlat', '--json', ...(signal ? ['-i', '30'] : ['-i', '1', '-d', '1'])], {
      onStart: (p, bpf) => {
        if (!signal) return;
        void bpf.attached
          .then(() => waitFor('the programs to run', () => bpfRunCount(bpf.held.progs) > 10))
          .then(() => p.kill(signal));
      },
    });
    expect(r.held.links.length, 'the run attached').toBeGreaterThan(0);
    await expectNothingLeft(r);
    return r;
  }

  it('after a normal exit', async () => {
    const r = await runUntilAttached(null);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout).type).toBe('summary');
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`after ${sig}, with a final summary of what was measured and exit 0`, async () => {
      const r = await runUntilAttached(sig);
      expect(r.code, r.stderr).toBe(0);
      // Nothing was lost for stopping between ticks: the short last interval is reported.
      const lines = records(r.stdout);
      expect(lines.map((x) => x.type)).toEqual(['interval', 'summary']);
      expect(summaryOf(r.stdout).rows.reduce((n, x) => n + x.count, 0)).toBeGreaterThan(0);
    });
  }
});
