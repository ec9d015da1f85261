// The README's "Common flags" promise, checked against every tracing tool's --help: a flag
// the README lists and a tool's help lacks (or a tool that lost one) fails here.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { packagePath } from '../../src/paths.js';
import { TOOLS } from '../../src/registry.js';

function help(tool: string): string {
  const r = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), tool, '--help'], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The flags in the README's "Common flags" list, as `-p/--pid` or `--json` (short form optional). */
function readmeCommonFlags(): Array<{ short?: string; long: string }> {
  const readme = readFileSync(packagePath('README.md'), 'utf8');
  const section = /### Common flags\n([^]*?)\n\nPositional/.exec(readme);
  if (!section) throw new Error('README has no "### Common flags" list followed by "Positional"');
  return [...section[1].matchAll(/`(?:(-[a-zA-Z])\/)?(--[a-z][a-z-]*)/g)].map((m) => ({ short: m[1], long: m[2] }));
}

describe('each tracing tool\'s --help lists the common flags the README promises', () => {
  const flags = readmeCommonFlags();
  const tracing = TOOLS.filter((t) => t.bpf !== null);

  it('the README lists the filter, output and timing flags', () => {
    const longs = flags.map((f) => f.long);
    for (const f of ['--pid', '--tid', '--comm', '--cgroup', '--pod', '--namespace', '--container', '--container-id', '--cgroup-hierarchy', '--host-root', '--json', '--plain', '--output', '--verbose', '--duration', '--interval']) {
      expect(longs).toContain(f);
    }
  });

  for (const t of tracing) {
    it(`huatuo ${t.name} --help`, () => {
      const text = help(t.name);
      for (const f of flags) {
        const spelled = f.short ? `${f.short}, ${f.long}` : f.long;
        expect(text, `${t.name} --help lacks ${spelled}`).toMatch(new RegExp(`(^|\\s)${spelled.replace(/[-/]/g, '\\$&')}[\\s=<]`, 'm'));
      }
    });
  }

  it('positional arguments are as the README says: schedlat [interval [count]], profile [duration]', () => {
    expect(help('schedlat')).toMatch(/Usage: huatuo schedlat \[options\] \[interval\] \[count\]/);
    expect(help('profile')).toMatch(/Usage: huatuo profile \[options\] \[duration\]/);
  });
});
