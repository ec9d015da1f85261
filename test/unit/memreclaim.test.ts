// memreclaim's pure parts: GFP flag names from a tracepoint's print fmt, and the cgroup
// memory context readers on fixture trees of both hierarchies (v2 is not testable live
// here: this host's unified tree has no memory controller, see docs/memreclaim.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalMask, gfpNames, parseGfpTable } from '../../src/tools/memreclaim-gfp.js';
import { countersDelta, memoryMount, MemoryContextReader, parsePressure } from '../../src/tools/memreclaim-context.js';
import { CgroupHier } from '../../src/containers/cgroup.js';
import { packagePath } from '../../src/paths.js';

describe('GFP flags', () => {
  const table = parseGfpTable(readFileSync(packagePath('test', 'fixtures', 'memreclaim', 'memcg_reclaim_begin.format'), 'utf8'));

  it('evaluates the masks of a print fmt: casts, shifts, ~, &, |', () => {
    expect(evalMask('(( gfp_t)((((1UL))) << (10)))')).toBe(1024n);
    expect(evalMask('((( gfp_t)(((((1UL))) << (10))|((((1UL))) << (11)))) | (( gfp_t)((((1UL))) << (6))))')).toBe(0xc40n);
    expect(evalMask('(0x10 | 3) & ~(1)')).toBe(0x12n);
    expect(() => evalMask('sizeof(int)')).toThrow(/not a flag mask/);
  });

  it('reads the kernel\'s table in its order, composite names first', () => {
    expect(table.length).toBeGreaterThan(20);
    expect(table[0].name).toBe('GFP_TRANSHUGE');
    const byName = new Map(table.map((f) => [f.name, f.mask]));
    expect(byName.get('GFP_KERNEL')).toBe(0xcc0n);
    expect(byName.get('__GFP_HARDWALL')).toBe(1n << 20n);
  });

  it('names flags as __print_flags does: whole masks first, the rest in hex, 0 as none', () => {
    expect(gfpNames(0xcc0, table)).toBe('GFP_KERNEL');
    expect(gfpNames(0x100cca, table)).toBe('GFP_HIGHUSER_MOVABLE');
    expect(gfpNames(0xcc0 | 0x400000, table)).toBe('GFP_KERNEL_ACCOUNT');
    expect(gfpNames(1n << 40n, table)).toBe('0x10000000000');
    expect(gfpNames(0, table)).toBe('none');
    expect(gfpNames(0xcc0, [])).toBe('0xcc0');
  });
});

describe('cgroup memory context', () => {
  let root: string;
  const put = (rel: string, files: Record<string, string>) => {
    mkdirSync(join(root, rel), { recursive: true });
    for (const [f, t] of Object.entries(files)) writeFileSync(join(root, rel, f), t);
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'huatuo-memctx-'));
    // v2: a pod with a limit, a container without one inside it.
    put('v2', { 'cgroup.controllers': 'cpuset cpu io memory pids\n', 'memory.max': 'max\n' });
    put('v2/kubepods/pod1', {
      'memory.max': '33554432\n', 'memory.current': '31000000\n',
      'memory.pressure': 'some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=4.25 avg60=1.00 avg300=0.50 total=45\n',
    });
    put('v2/kubepods/pod1/ctr', {
      'memory.max': 'max\n', 'memory.current': '30000000\n',
      'memory.events': 'low 0\nhigh 2\nmax 17\noom 1\noom_kill 1\noom_group_kill 0\n',
      'memory.stat': 'anon 1\nfile 2\npgscan 900\npgsteal 800\npgscan_direct 5\n',
    });
    // v1: limit on the cgroup itself; no pressure file (the host's is used).
    put('v1', { 'memory.limit_in_bytes': '9223372036854771712\n' });
    put('v1/ht', { 'memory.limit_in_bytes': '33554432\n', 'memory.usage_in_bytes': '32000000\n', 'memory.failcnt': '4585\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n' });
    put('v1/free', { 'memory.limit_in_bytes': '9223372036854771712\n', 'memory.usage_in_bytes': '1000\n' });
    put('proc', { 'pressure': 'some avg10=0.75 avg60=0.10 avg300=0.00 total=9\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n' });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('v2: limit and usage of the nearest limited ancestor, its pressure, the cgroup\'s own events and scans', () => {
    const r = new MemoryContextReader({ hier: CgroupHier.V2, root: join(root, 'v2') }, join(root, 'proc', 'pressure'));
    expect(r.read('/kubepods/pod1/ctr')).toEqual({
      hierarchy: 'v2', cgroup: '/kubepods/pod1/ctr', limited_by: '/kubepods/pod1', limit_bytes: 33554432, usage_bytes: 31000000,
      psi_some_avg10: 12.5, psi_full_avg10: 4.25, psi_source: 'cgroup',
      events: { high: 2, max: 17, oom: 1, oom_kill: 1 }, pgscan: 900, pgsteal: 800,
    });
  });

  it('v1: the limit is the cgroup\'s own, failcnt counts as max hits, oom_kill from oom_control, no scans, the host\'s PSI', () => {
    const r = new MemoryContextReader({ hier: CgroupHier.V1Memory, root: join(root, 'v1') }, join(root, 'proc', 'pressure'));
    expect(r.read('/ht')).toEqual({
      hierarchy: 'v1 memory', cgroup: '/ht', limited_by: '/ht', limit_bytes: 33554432, usage_bytes: 32000000,
      psi_some_avg10: 0.75, psi_full_avg10: 0, psi_source: 'host',
      events: { max: 4585, oom_kill: 2 }, pgscan: null, pgsteal: null,
    });
  });

  it('no limit up to the root: null limit and limiter, the cgroup\'s own usage', () => {
    const r = new MemoryContextReader({ hier: CgroupHier.V1Memory, root: join(root, 'v1') }, join(root, 'missing'));
    expect(r.read('/free')).toMatchObject({ limited_by: null, limit_bytes: null, usage_bytes: 1000, psi_source: null, psi_some_avg10: null });
  });

  it('counter deltas: events and scans gained; a counter first seen counts from zero; null stays null', () => {
    expect(countersDelta({ events: { max: 20, oom_kill: 1 }, pgscan: 950, pgsteal: null }, { events: { max: 17 }, pgscan: 900, pgsteal: null }))
      .toEqual({ events: { max: 3, oom_kill: 1 }, pgscan: 50, pgsteal: null });
  });

  it('picks v2 only where it has the memory controller, else v1 memory', () => {
    const v2 = { hier: CgroupHier.V2, root: join(root, 'v2') };
    const v1 = { hier: CgroupHier.V1Memory, root: join(root, 'v1') };
    expect(memoryMount([v1, v2])).toBe(v2);
    expect(memoryMount([v1, { hier: CgroupHier.V2, root: join(root, 'proc') }])).toBe(v1);
  });

  it('reads PSI lines', () => {
    expect(parsePressure('some avg10=1.00 avg60=0 avg300=0 total=1\n')).toEqual({ some: 1, full: null });
    expect(parsePressure(null)).toEqual({ some: null, full: null });
  });
});
