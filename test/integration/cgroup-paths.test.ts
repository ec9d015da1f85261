// --cgroup on every hierarchy this host mounts (here: the unified v2 tree and the v1 cpu
// and memory ones): an absolute path selects its own hierarchy, a relative one is read in
// --cgroup-hierarchy's (or the default), and nothing climbs out of a mount.
import { it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, rmdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { describeBpf } from '../helpers/env.js';
import { huatuo, killAll, start, workload } from '../helpers/processes.js';
import { cgroupMounts, HIER_NAMES, type CgroupMount } from '../../src/containers/cgroup.js';

const NAME = `huatuo-test-${randomBytes(4).toString('hex')}`;
const COMM = 'ht-cg-sleeper';
let mounts: CgroupMount[] = [];
let sleeper: ChildProcess;
const made: string[] = [];

/** The last record of a --json run: the summary. */
function summary(stdout: string): { rows: Array<{ pid: number; comm: string; count: number }> } {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describeBpf('--cgroup on every mounted hierarchy', () => {
  beforeAll(() => {
    mounts = cgroupMounts();
    // A sleeper waking every millisecond: plenty of run-queue waits in any window.
    sleeper = start(workload('spin-sleep'), [COMM, '0', '1000', '60']);
    for (const m of mounts) {
      const d = join(m.root, NAME);
      mkdirSync(d);
      made.push(d);
      writeFileSync(join(d, 'cgroup.procs'), String(sleeper.pid));
    }
  });

  afterAll(async () => {
    await killAll();
    for (const d of made.reverse()) {
      // A killed task leaves its cgroup a moment later: retry briefly.
      for (let i = 0; i < 50 && existsSync(d); i++) {
        try { rmdirSync(d); } catch { await new Promise((r) => setTimeout(r, 20)); }
      }
    }
  });

  it('the host mounts at least one hierarchy, and the sleeper is in each test cgroup', () => {
    expect(mounts.length).toBeGreaterThan(0);
    for (const d of made) expect(readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(sleeper.pid));
  });

  it('an absolute path in each hierarchy counts only the tasks of that cgroup', async () => {
    for (const m of mounts) {
      const r = await huatuo(['schedlat', '--cgroup', join(m.root, NAME), '--by', 'pid', '--json', '-d', '1.5']);
      expect(r.code, `${HIER_NAMES[m.hier]}: ${r.stderr}`).toBe(0);
      const rows = summary(r.stdout).rows;
      expect(rows.map((x) => x.pid), HIER_NAMES[m.hier]).toEqual([sleeper.pid]);
      expect(rows[0].comm).toBe(COMM);
      // ~1000 wakeups a second; under load a fraction is plenty to tell "counted" from "not".
      expect(rows[0].count).toBeGreaterThan(200);
      expect(r.stdout).toContain(`"cgroup_hierarchy":"${HIER_NAMES[m.hier]}"`);
    }
  });

  it('a relative path is read in --cgroup-hierarchy\'s hierarchy', async () => {
    for (const m of mounts) {
      const r = await huatuo(['schedlat', '--cgroup', NAME, '--cgroup-hierarchy', HIER_NAMES[m.hier], '--by', 'pid', '--json', '-d', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect(summary(r.stdout).rows.map((x) => x.pid)).toEqual([sleeper.pid]);
    }
  });

  it('refuses, with exit 2 and one line: another hierarchy than --cgroup-hierarchy, .., a file, a missing cgroup', async () => {
    const [a, b] = mounts;
    const cases: Array<[string[], RegExp]> = [
      [['--cgroup', `${NAME}/../../..`], /leads out of the cgroup hierarchy/],
      [['--cgroup', '../x'], /leads out of the cgroup hierarchy/],
      [['--cgroup', join(mounts[0].root, NAME, 'cgroup.procs')], /is a file, not a cgroup directory/],
      [['--cgroup', join(mounts[0].root, `${NAME}-missing`)], /no such cgroup/],
    ];
    if (b) cases.push([['--cgroup', join(a.root, NAME), '--cgroup-hierarchy', HIER_NAMES[b.hier]], new RegExp(`is in the ${HIER_NAMES[a.hier]} hierarchy, but --cgroup-hierarchy is ${HIER_NAMES[b.hier]}`)]);
    for (const [args, why] of cases) {
      const r = await huatuo(['schedlat', '-d', '600', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(why);
    }
  });
});
