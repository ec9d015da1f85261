// bpf/memreclaim.bpf.c's pairing of begin and end events per thread, driven with
// BPF_PROG_TEST_RUN: the raw_tp programs run here, in this thread, with arguments made up
// by the test (order, gfp, nr_reclaimed), so every case is exact and needs no reclaim.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBpf } from '../helpers/env.js';
import { BpfObject } from '../../src/bpf-loader/object.js';
import { HIST_SPEC } from '../../src/tools/latency-session.js';
import { MEMRECLAIM_KEY_SPEC, MEMRECLAIM_STATS_SPEC } from '../../src/tools/memreclaim.js';
import { taskKeyCode } from '../../src/tools/task-key.js';
import { sumPerCpuHist, sumPerCpuU64, histOffsets } from '../../src/histogram/bpf-hist.js';
import { sleep } from '../helpers/processes.js';

const PROGRAMS = ['memreclaim_memcg_begin_raw', 'memreclaim_memcg_end_raw', 'memreclaim_direct_begin_raw', 'memreclaim_direct_end_raw', 'memreclaim_exit_raw'];
let obj: BpfObject;

interface Row { tid: number; kind: number; order: number; gfp: number; count: number; pages: number; sumNs: number }

/** The stalls map, decoded: one entry per (thread, kind, order, gfp). */
function rows(): Row[] {
  const key = obj.struct<{ task: { id: number }; kind: number; order: number; gfp: number }>('memreclaim_key').expectSpec(MEMRECLAIM_KEY_SPEC);
  const stats = obj.struct('memreclaim_stats').expectSpec(MEMRECLAIM_STATS_SPEC);
  const off = histOffsets(obj.struct('hist').expectSpec(HIST_SPEC));
  return obj.mapEntries('stalls').map(({ key: k, value }) => {
    const d = key.decode(k);
    const h = sumPerCpuHist(value, off, stats.field('stall').offset, stats.size);
    return { tid: d.task.id, kind: d.kind, order: d.order, gfp: d.gfp, count: h.count, pages: sumPerCpuU64(value, stats.field('pages').offset, stats.size), sumNs: h.sumNs };
  });
}

describeBpf('memreclaim: begin/end pairing per thread (BPF_PROG_TEST_RUN)', () => {
  let kind: Record<string, number>;
  beforeEach(() => {
    obj = BpfObject.open('memreclaim');
    obj.selectPrograms(PROGRAMS);
    obj.setRodata({ targ_by: taskKeyCode(obj, 'tid') });
    obj.load();
    kind = obj.enumValues('memreclaim_kind', 'MEMRECLAIM_', ['DIRECT', 'MEMCG']);
  });
  afterEach(() => obj.close());

  it('a begin and its end make one stall of this thread, with its order, flags, pages and length', async () => {
    const t0 = process.hrtime.bigint();
    obj.testRun('memreclaim_memcg_begin_raw', [2, 0xcc0]);
    const t1 = process.hrtime.bigint();
    await sleep(3);
    const t2 = process.hrtime.bigint();
    obj.testRun('memreclaim_memcg_end_raw', [5]);
    const t3 = process.hrtime.bigint();
    const r = rows();
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ tid: process.pid, kind: kind.MEMCG, order: 2, gfp: 0xcc0, count: 1, pages: 5 });
    // Between the two programs' clocks: at least the sleep between the calls, at most the calls and the sleep.
    expect(r[0].sumNs).toBeGreaterThanOrEqual(Number(t2 - t1));
    expect(r[0].sumNs).toBeLessThanOrEqual(Number(t3 - t0));
  });

  it('an end without a begin (a stall that began before attach) counts nothing', () => {
    obj.testRun('memreclaim_memcg_end_raw', [9]);
    expect(rows()).toEqual([]);
  });

  it('a thread that exits mid-stall takes the open stall along: a later end of its tid counts nothing', () => {
    obj.testRun('memreclaim_memcg_begin_raw', [0, 0xcc0]);
    obj.testRun('memreclaim_exit_raw', [0, 0]);
    obj.testRun('memreclaim_memcg_end_raw', [4]);
    expect(rows()).toEqual([]);
  });

  it('an end of another kind closes nothing and drops the open stall; each kind pairs with its own', () => {
    obj.testRun('memreclaim_direct_begin_raw', [0, 0x100cca]);
    obj.testRun('memreclaim_memcg_end_raw', [3]);
    obj.testRun('memreclaim_direct_end_raw', [3]);
    expect(rows()).toEqual([]);
    obj.testRun('memreclaim_direct_begin_raw', [1, 0x100cca]);
    obj.testRun('memreclaim_direct_end_raw', [8]);
    obj.testRun('memreclaim_memcg_begin_raw', [0, 0xcc0]);
    obj.testRun('memreclaim_memcg_end_raw', [2]);
    const byKind = new Map(rows().map((x) => [x.kind, x]));
    expect(byKind.get(kind.DIRECT)).toMatchObject({ order: 1, gfp: 0x100cca, count: 1, pages: 8 });
    expect(byKind.get(kind.MEMCG)).toMatchObject({ order: 0, gfp: 0xcc0, count: 1, pages: 2 });
  });

  it('stalls of the same key add up in one entry', () => {
    for (let i = 0; i < 3; i++) {
      obj.testRun('memreclaim_memcg_begin_raw', [0, 0xcc0]);
      obj.testRun('memreclaim_memcg_end_raw', [10]);
    }
    expect(rows()).toMatchObject([{ count: 3, pages: 30 }]);
  });
});
