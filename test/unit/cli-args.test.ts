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
    [['schedlat', '-p', 'abc'], /positive integer/],
    [['nosuchtool'], /unknown command 'nosuchtool'/],
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
