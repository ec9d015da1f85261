// schedlat through the real command line, for what the measurement tests do not cover:
// the other keys (--by tid|cpu|cgroup), --tid, --sort, -m, --max-events, a capture re-printed
// by report, exit codes 3, 4 and 5, a second Ctrl-C, a closed pipe, and the live view in a
// real terminal (tmux).
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, chmodSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBpf } from '../helpers/env.js';
import { workload, start, killAll, huatuo, waitFor, waitForComm, expectNothingLeft, bpfRunCount, type Run } from '../helpers/processes.js';
import { packagePath } from '../../src/paths.js';

const CPU = String(cpus().length - 1);
const HUATUO = packagePath('bin', 'huatuo');

interface Row { comm?: string; pid?: number; tid?: number; cpu?: number; cgroup_id?: number; cgroup?: string; count: number; p99_ns: number; max_ns: number; avg_ns: number }
interface Rec { type: string; by: string; rows: Row[]; events: Array<{ pid: number; lat_ns: number }>; lost: { rate_limited: number } }

const records = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
const summaryOf = (stdout: string) => records(stdout).find((r) => r.type === 'summary')!;

let hog: ChildProcess;
let sleeper: ChildProcess;
let dir: string;
const runs: Run[] = [];

async function run(args: string[], opts?: Parameters<typeof huatuo>[1]): Promise<Run> {
  const r = await huatuo(args, opts);
  runs.push(r);
  return r;
}

describeBpf('schedlat on the command line', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'huatuo-test-cli-'));
    const bin = workload('spin-sleep');
    hog = start('taskset', ['-c', CPU, 'chrt', '-f', '50', bin, 'ht-cli-hog', '5000', '5000', '60']);
    sleeper = start('taskset', ['-c', CPU, bin, 'ht-cli-sleeper', '0', '1000', '60']);
    await waitForComm(hog, 'ht-cli-hog');
    await waitForComm(sleeper, 'ht-cli-sleeper');
  });

  afterEach(async () => {
    for (const r of runs.splice(0)) await expectNothingLeft(r);
  });

  afterAll(async () => {
    await killAll();
    spawnSync('tmux', ['-L', 'huatuo-test', 'kill-server']);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--by tid --tid: one row, the thread', async () => {
    const r = await run(['schedlat', '--by', 'tid', '--tid', String(sleeper.pid), '--json', '-d', '1.5']);
    expect(r.code, r.stderr).toBe(0);
    const rows = summaryOf(r.stdout).rows;
    expect(rows.map((x) => [x.tid, x.comm])).toEqual([[sleeper.pid, 'ht-cli-sleeper']]);
    expect(rows[0].count).toBeGreaterThan(200);
  });

  it('--by cpu: the sleeper\'s waits are on its pinned CPU only', async () => {
    const r = await run(['schedlat', '--by', 'cpu', '-p', String(sleeper.pid), '--json', '-d', '1.5']);
    expect(r.code, r.stderr).toBe(0);
    const rows = summaryOf(r.stdout).rows;
    expect(rows.map((x) => x.cpu)).toEqual([Number(CPU)]);
  });

  it('--by cgroup: the sleeper\'s row is its own cgroup, by id and path', async () => {
    const r = await run(['schedlat', '--by', 'cgroup', '-p', String(sleeper.pid), '--json', '-d', '1.5']);
    expect(r.code, r.stderr).toBe(0);
    const [row, ...rest] = summaryOf(r.stdout).rows;
    expect(rest).toEqual([]);
    // The default hierarchy here: v1 cpu on a hybrid host, else v2 (its line in /proc/PID/cgroup).
    const lines = readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8').trim().split('\n');
    const v1cpu = lines.find((l) => /^\d+:[^:]*\bcpu\b[^:]*:/.test(l));
    const path = (v1cpu ?? lines.find((l) => l.startsWith('0::'))!).split(':').slice(2).join(':');
    expect(row.cgroup).toBe(path);
    expect(row.cgroup_id).toBeGreaterThan(0);
  });

  it('--sort orders rows by the field asked for, and -m shows milliseconds', async () => {
    const r = await run(['schedlat', '--by', 'pid', '--comm', 'ht-cli-sleeper', '--json', '-d', '1', '--sort', 'count']);
    expect(r.code, r.stderr).toBe(0);
    const all = await run(['schedlat', '--by', 'pid', '--sort', 'max', '--json', '-d', '1.5']);
    const rows = summaryOf(all.stdout).rows;
    expect(rows.length).toBeGreaterThan(1);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1].max_ns).toBeGreaterThanOrEqual(rows[i].max_ns);
    const byCount = await run(['schedlat', '--by', 'pid', '--sort', 'count', '--json', '-d', '1.5']);
    const c = summaryOf(byCount.stdout).rows;
    for (let i = 1; i < c.length; i++) expect(c[i - 1].count).toBeGreaterThanOrEqual(c[i].count);
    // -m: the plain table's durations in ms, the capture of the same run in ns.
    const cap = join(dir, 'ms.json');
    const ms = await run(['schedlat', '-p', String(sleeper.pid), '-m', '--plain', '-d', '1.5', '-o', cap]);
    expect(ms.code, ms.stderr).toBe(0);
    const head = ms.stdout.split('\n').find((l) => l.startsWith('COMM'))!.trim().split(/\s+/);
    expect(head).toEqual(['COMM', 'COUNT', 'AVG(ms)', 'P50(ms)', 'P90(ms)', 'P99(ms)', 'MAX(ms)']);
    const cells = ms.stdout.split('\n').filter((l) => l.startsWith('ht-cli-sleeper')).pop()!.trim().split(/\s+/);
    const row = (JSON.parse(readFileSync(cap, 'utf8')) as { data: { summary: Rec } }).data.summary.rows[0];
    expect(Number(cells[5])).toBeCloseTo(row.p99_ns / 1e6, 1);
    expect(Number(cells[6])).toBeCloseTo(row.max_ns / 1e6, 1);
    // The sleeper waits behind 5 ms of FIFO spinning: milliseconds, not microseconds or seconds.
    expect(Number(cells[5])).toBeGreaterThanOrEqual(2);
    expect(Number(cells[5])).toBeLessThan(50);
  });

  it('--max-events caps slow events per second per CPU and counts the rest', async () => {
    const r = await run(['schedlat', '-p', String(sleeper.pid), '--threshold', '1us', '--max-events', '5', '--json', '-d', '2']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    // ~1000 waits a second over 1 µs; 5 per second per CPU get through.
    expect(s.events.length).toBeGreaterThan(0);
    expect(s.events.length).toBeLessThanOrEqual(5 * cpus().length * 3);
    expect(s.lost.rate_limited).toBeGreaterThan(500);
    const counted = s.rows.reduce((n, x) => n + x.count, 0);
    // Sent plus suppressed is what crossed the threshold (read a moment apart: a few more).
    expect(s.events.length + s.lost.rate_limited).toBeLessThanOrEqual(counted + 50);
  });

  it('a capture re-prints with report: the same rows as the run\'s summary', async () => {
    const cap = join(dir, 'schedlat.json');
    const r = await run(['schedlat', '--by', 'pid', '-p', String(sleeper.pid), '--json', '-d', '1.5', '-o', cap]);
    expect(r.code, r.stderr).toBe(0);
    const rep = await huatuo(['report', cap, '--json']);
    expect(rep.code, rep.stderr).toBe(0);
    const again = JSON.parse(rep.stdout.trim().split('\n').pop()!) as Rec;
    expect(again.rows).toEqual(summaryOf(r.stdout).rows);
    const table = await huatuo(['report', cap]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${sleeper.pid}\\s+ht-cli-sleeper\\s+${summaryOf(r.stdout).rows[0].count}\\b`));
  });

  it('exit 3 without privileges, 4 for a missing kernel feature, 5 for a broken BPF object: one line each', async () => {
    const noRoot = await new Promise<Run>((resolve) => {
      // Root with every capability dropped: unprivileged, and still able to reach the checkout
      // wherever it lies (a clone under a 0700 mktemp directory shuts other users out).
      const p = spawn('setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, HUATUO, 'schedlat', '-d', '1']);
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, held: { progs: [], links: [] } }));
    });
    expect(noRoot.code).toBe(3);
    expect(noRoot.stderr.trim().split('\n')).toHaveLength(1);
    expect(noRoot.stderr).toMatch(/^huatuo: needs root/);

    // No hardware PMU on this machine (a fact DEVELOPERS.md verified).
    const cycles = await run(['profile', '--event', 'cycles', '-d', '1']);
    expect(cycles.code).toBe(4);
    expect(cycles.stderr.trim().split('\n')).toHaveLength(1);
    expect(cycles.stderr).toMatch(/no hardware PMU/);

    const objs = join(dir, 'bpf');
    spawnSync('mkdir', ['-p', objs]);
    for (const f of readdirSync(packagePath('build', 'bpf'))) copyFileSync(packagePath('build', 'bpf', f), join(objs, f));
    truncateSync(join(objs, 'schedlat.bpf.o'), 100);
    const broken = await run(['schedlat', '-d', '1'], { env: { ...process.env, HUATUO_BPF_DIR: objs } });
    expect(broken.code).toBe(5);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toMatch(/^huatuo: cannot open .*schedlat\.bpf\.o/);
  });

  it('two Ctrl-Cs in a row: the second may cut the summary short (death by SIGINT), never leaves anything attached', async () => {
    // Long intervals, so the first SIGINT starts the summary; the second comes right after
    // and races it: either ending is right, an error or a leftover is not.
    const r = await run(['schedlat', '--json', '-i', '30'], {
      onStart: (p, bpf) => {
        void bpf.attached.then(() => waitFor('runs', () => bpfRunCount(bpf.held.progs) > 0)).then(() => {
          p.kill('SIGINT');
          p.kill('SIGINT');
        });
      },
    });
    expect(r.held.links.length).toBeGreaterThan(0);
    // Either the first one's normal end won the race (exit 0) or the second cut it short
    // (the process dies of SIGINT, as any Unix tool would).
    expect([[0, null], [null, 'SIGINT']]).toContainEqual([r.code, r.signal]);
    if (r.code === 0) expect(summaryOf(r.stdout).type).toBe('summary');
  });

  it('a closed pipe (| head -1) ends the run quietly with exit 0', async () => {
    const sh = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${HUATUO}" schedlat --json -i 0.2 -d 20 | head -1`], { encoding: 'utf8', timeout: 20_000 });
    expect(sh.status, sh.stderr).toBe(0);
    expect(sh.stderr).toBe('');
    expect(JSON.parse(sh.stdout).type).toBe('interval');
  });

  it('the live view in a real terminal: a table that updates, q quits with the summary', async () => {
    const t = ['-L', 'huatuo-test'];
    // Without CI in its environment: Ink draws only the last frame when it thinks it runs in CI.
    const cmd = `cd ${dir} && env -u CI "${process.execPath}" "${HUATUO}" schedlat -p ${sleeper.pid} -i 0.5; echo EXIT=$?; sleep 30`;
    expect(spawnSync('tmux', [...t, 'new-session', '-d', '-x', '100', '-y', '30', '-s', 'live', cmd]).status).toBe(0);
    const screen = () => spawnSync('tmux', [...t, 'capture-pane', '-p', '-t', 'live'], { encoding: 'utf8' }).stdout;
    await waitFor('the live table', () => /ht-cli-sleeper/.test(screen()) && /COUNT/.test(screen()), 15_000);
    const first = screen();
    // It updates: the elapsed time in the header moves on.
    await waitFor('a redraw', () => screen() !== first, 5_000);
    spawnSync('tmux', [...t, 'send-keys', '-t', 'live', 'q']);
    await waitFor('the summary and exit', () => /EXIT=0/.test(screen()), 10_000);
    expect(screen()).toMatch(/schedlat summary over/);
    expect(screen()).toMatch(/ht-cli-sleeper/);
  });
});

