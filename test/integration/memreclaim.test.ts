// memreclaim against reclaim this test causes: a cgroup v1 memory cgroup it creates with a
// 32 MiB limit, and a reader in it that reads a 300 MiB file through the page cache (its
// cached pages dropped first), so every few pages it charges the reader's cgroup stalls in
// memcg reclaim. Beside it, the same read from a process outside any limit.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { bpfUnavailableReason, describeUnless } from '../helpers/env.js';
import { cleanupBuildDir, expectNothingLeft, huatuo, killAll, type Run } from '../helpers/processes.js';
import { MemoryPressure, memcgUnavailableReason } from '../helpers/memcg.js';

interface Row {
  cgroup?: string; pid?: number; comm?: string; kind: string; count: number; total_ns: number; p99_ns: number; pages: number;
  order: number | null; gfp: string | null; limit_bytes?: number | null; usage_bytes?: number | null; limited_by?: string | null;
}
interface Event { pid: number; comm: string; kind: string; stall_ns: number; cgroup: string | null; user_stack: string[]; kernel_stack: string[] }
interface Rec { type: string; rows: Row[]; events: Event[]; memory: Array<Record<string, unknown>>; lost: { rate_limited: number } }

const LIMIT = 32 * 1024 * 1024;
const FILE_MB = 300;

function summaryOf(r: Run): Rec {
  const s = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec).find((x) => x.type === 'summary');
  if (!s) throw new Error(`no summary (exit ${r.code}): ${r.stderr.slice(0, 400)}`);
  return s;
}
const eventsOf = (r: Run) => r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec).flatMap((x) => (x.type === 'interval' ? x.events : []));

describeUnless(bpfUnavailableReason() ?? memcgUnavailableReason(), 'memreclaim (real BPF, cgroup v1 memory)', () => {
  const name = `ht-memreclaim-${process.pid}`;
  let mem: MemoryPressure;
  const runs: Run[] = [];

  beforeAll(() => {
    mem = new MemoryPressure(name, LIMIT, FILE_MB);
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) await expectNothingLeft(r);
  });
  afterAll(async () => {
    await killAll();
    await mem?.cleanup();
    cleanupBuildDir();
  });

  /** A huatuo run that reads, limited and then unlimited, once its programs run. */
  async function during(args: string[]): Promise<{ run: Run; limited: number[]; unlimited: number[] }> {
    let work: Promise<[number[], number[]]> | undefined;
    const run = await huatuo(args, {
      timeoutMs: 60_000,
      onStart: (_p, bpf) => {
        work = bpf.attached.then(async () => [await mem.read(), await mem.read(false)] as [number[], number[]]);
        work.catch(() => {});
      },
    });
    runs.push(run);
    const [limited, unlimited] = await work!;
    return { run, limited, unlimited };
  }

  it('memcg stalls of the limited cgroup and of its reader; none for the same read outside a limit', async () => {
    const { run, limited, unlimited } = await during(['memreclaim', '--by', 'pid', '--json', '-d', '6']);
    expect(run.code, run.stderr).toBe(0);
    const rows = summaryOf(run).rows;
    for (const pid of limited) {
      const mine = rows.find((r) => r.pid === pid && r.kind === 'memcg');
      expect(mine, JSON.stringify(rows)).toBeDefined();
      expect(mine!.comm).toBe('file-reader');
      expect(mine!.count).toBeGreaterThan(10);
      expect(mine!.total_ns).toBeGreaterThan(0);
      // Page-cache reads: order-0 allocations, every page of 300 MiB reclaimed again but the 32 MiB that stay.
      expect(mine!.pages).toBeGreaterThan(((FILE_MB - 64) * 1024 * 1024) / 4096);
      expect(mine!.order).toBe(0);
      expect(mine!.gfp).toMatch(/__GFP_HARDWALL|GFP_/);
    }
    expect(rows.filter((r) => unlimited.includes(r.pid!) && r.kind === 'memcg')).toEqual([]);
  });

  it('per cgroup (the default): the row names the cgroup at its limit, with limit and usage, and the memory table counts the hits', async () => {
    const { run } = await during(['memreclaim', '--json', '-d', '6']);
    expect(run.code, run.stderr).toBe(0);
    const s = summaryOf(run);
    const row = s.rows.find((r) => r.cgroup === mem.cgroup && r.kind === 'memcg');
    expect(row, JSON.stringify(s.rows.map((r) => [r.cgroup, r.kind]))).toBeDefined();
    expect(row!.count).toBeGreaterThan(10);
    expect(row!.limit_bytes).toBe(LIMIT);
    expect(row!.limited_by).toBe(mem.cgroup);
    expect(row!.usage_bytes).toBeGreaterThan(0);
    expect(row!.usage_bytes).toBeLessThanOrEqual(LIMIT);
    const context = s.memory.find((m) => m.cgroup === mem.cgroup)!;
    expect(context).toMatchObject({ hierarchy: 'v1 memory', limited_by: mem.cgroup, limit_bytes: LIMIT, pgscan: null });
    // v1 counts charges that hit the limit in memory.failcnt: this run's reads hit it.
    expect(context.max).toBeGreaterThan(0);
  });

  it('--threshold 100us: stalls with the reader\'s symbolized user stack and a kernel stack through the reclaim entry', async () => {
    const { run, limited } = await during(['memreclaim', '--by', 'pid', '--threshold', '100us', '--max-events', '20', '--json', '-d', '6']);
    expect(run.code, run.stderr).toBe(0);
    const events = eventsOf(run).filter((e) => limited.includes(e.pid));
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(e.comm).toBe('file-reader');
      expect(e.kind).toBe('memcg');
      expect(e.stall_ns).toBeGreaterThanOrEqual(100_000);
      expect(e.cgroup).toBe(mem.cgroup);
      expect(e.user_stack).toContain('read_file_chunks');
      expect(e.user_stack).toContain('main');
      expect(e.kernel_stack[0]).toBe('try_to_free_mem_cgroup_pages');
      expect(e.kernel_stack.some((f) => /^(ksys_read|vfs_read)$/.test(f))).toBe(true);
    }
  });
});
