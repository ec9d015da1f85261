// Bad arguments: one clear line on stderr and exit 2, before anything touches the kernel.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { packagePath } from '../../src/paths.js';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('argument errors exit 2 with one line', () => {
  const cases: Array<[string[], RegExp]> = [
    [['schedlat', '-d', '-1'], /-d, --duration.*"-1"/],
    [['schedlat', '-d', '0'], /must be greater than zero/],
    [['schedlat', '--by', 'nope'], /--by.*nope.*comm, pid, tid, cpu, cgroup/],
    [['schedlat', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['schedlat', '--threshold', 'soon'], /not a duration/],
    [['schedlat', '-p', 'abc'], /--pid.*must be an integer from 1/],
    [['nosuchtool'], /unknown command 'nosuchtool'/],
    // Every class of value, each tool: enums, integers, ranges, numbers, durations, paths.
    [['schedlatt'], /unknown command 'schedlatt' \(Did you mean schedlat\?\)/],
    [['schedlat', '--bi', 'pid'], /unknown option '--bi' \(Did you mean --by\?\)/],
    [['schedlat', '--sort', 'nope'], /--sort: "nope" is not one of comm, count, avg.*p99.*max/],
    [['schedlat', '--by', 'pid', '--sort', 'cpu'], /--sort: "cpu" is not one of pid, comm, count/],
    [['schedlat', '--method', 'fast'], /--method.*fast.*wakeup, sched-info/],
    [['schedlat', '--max-events', '-1'], /--max-events.*"-1" must be an integer from 0 to 1000000/],
    [['schedlat', '--max-events', '1.5'], /--max-events.*must be an integer/],
    [['schedlat', '-p', '99999999999'], /--pid.*must be an integer from 1 to 4194304/],
    [['schedlat', '-p', '0'], /--pid.*must be an integer from 1 to 4194304/],
    [['schedlat', '-t', '1e3'], /--tid.*must be an integer/],
    [['schedlat', '-p', '1', '--pid', '2'], /--pid was given more than once/],
    [['schedlat', '--by', 'pid', '--by', 'comm'], /--by was given more than once/],
    [['schedlat', '-i', '0'], /must be greater than zero/],
    [['schedlat', '-d', '2weeks'], /not a duration/],
    [['schedlat', '-d', '9999999h'], /out of range/],
    [['schedlat', '5', 'x'], /'x' is invalid for argument 'count'.*positive integer/],
    [['schedlat', '--threshold', '-3ms'], /not a duration/],
    [['schedlat', '-o', 'json'], /looks like a kubectl output format.*--json/],
    [['schedlat', '-o', 'yaml'], /looks like a kubectl output format/],
    [['schedlat', '-o', 'jsonpath={.rows}'], /looks like a kubectl output format/],
    [['schedlat', '--cgroup-hierarchy', 'v3'], /--cgroup-hierarchy.*v3.*v2, cpu, memory/],
    [['schedlat', '--host-root', '/nonexistent-huatuo-root'], /--host-root \/nonexistent-huatuo-root: no such directory/],
    [['schedlat', '--host-root', '/etc/hostname'], /--host-root \/etc\/hostname: not a directory/],
    [['schedlat', '--host-root', '/usr'], /--host-root \/usr: no cgroup hierarchy under \/usr\/sys\/fs\/cgroup/],
    [['schedlat', '--comm', ''], /--comm: the name is empty/],
    [['profile', '-F', 'abc'], /--frequency.*must be a positive integer/],
    [['profile', '--period', '0'], /--period.*must be a positive integer/],
    [['profile', '--min-width', 'abc'], /--min-width.*must be a number/],
    [['profile', '--top', '0'], /--top.*positive integer/],
    [['profile', '--stack-storage-size', '-5'], /--stack-storage-size.*must be/],
    [['profile', '--group-by', 'nope'], /--group-by.*nope/],
    [['profile', '--event', 'instructions'], /--event.*instructions.*cpu-clock/],
    [['profile', '-i', 'soon'], /not a duration/],
    [['profile', '5', '-d', '5'], /duration/],
    [['report', 'x.folded', '--top', 'abc'], /--top.*positive integer/],
    [['report', 'x.folded', '--min-width', '-1'], /--min-width.*must be a number/],
    [['containers', '--cgroup-hierarchy', 'v3'], /--cgroup-hierarchy.*v3/],
    [['containers', '--host-root', '/nonexistent-huatuo-root'], /no such directory/],
    [['check', '--nope'], /unknown option '--nope'/],
  ];
  for (const [args, pattern] of cases) {
    it(`huatuo ${args.join(' ')}`, () => {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^huatuo/);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it('--help lists EXAMPLES and exits 0', () => {
    const r = run('schedlat', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/EXAMPLES:\n {2}huatuo schedlat/);
  });
});
