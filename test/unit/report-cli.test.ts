// `huatuo report` as users run it (bin/huatuo, a child process, no root): what each input
// can produce, option values, malformed captures named by their first bad field, collapsed
// stacks as flamegraph.pl takes them, and `-` as stdout.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { packagePath } from '../../src/paths.js';
import { rng } from '../helpers/rng.js';

const FIXTURES = packagePath('test', 'fixtures', 'captures');
const fixture = (name: string) => join(FIXTURES, name);
const fixtureJson = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, any>;

interface Run { code: number | null; stdout: string; stderr: string; out: Buffer }

function report(args: string[], opts: { input?: string | Buffer; cwd?: string } = {}): Run {
  const r = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), 'report', ...args], {
    input: opts.input, cwd: opts.cwd, timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), out: r.stdout };
}

/** Exactly one line on stderr, starting with huatuo, matching `pattern`. */
function oneLine(r: Run, pattern: RegExp): string {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^huatuo/);
  expect(lines[0]).toMatch(pattern);
  return lines[0];
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'huatuo-report-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const FLAME_OUTPUTS = ['--svg', '--html', '--folded', '--speedscope', '--pprof'];

describe('outputs an input cannot produce are refused (exit 2), before anything is written', () => {
  for (const capture of ['schedlat-v1.json', 'schedlat-v2.json']) {
    for (const flag of FLAME_OUTPUTS) {
      it(`${capture} ${flag}`, () => {
        const file = join(dir, 'out');
        const r = report([fixture(capture), flag, file]);
        expect(r.code).toBe(2);
        oneLine(r, new RegExp(`${flag}: does not apply to a schedlat capture`));
        expect(r.stdout).toBe('');
        expect(existsSync(file)).toBe(false);
      });
    }
  }

  const latencyFlags: string[][] = [['--group-by', 'pod'], ['--per-pid'], ['--inverted'], ['--min-width', '2'], ['--title', 'x'], ['--top', '3']];
  for (const flags of latencyFlags) {
    it(`schedlat capture ${flags.join(' ')}`, () => {
      const r = report([fixture('schedlat-v2.json'), ...flags]);
      expect(r.code).toBe(2);
      oneLine(r, new RegExp(`${flags[0]}: does not apply to a schedlat capture`));
    });
  }

  it('--diff with a schedlat capture names it', () => {
    const folded = join(dir, 'a.folded');
    writeFileSync(folded, 'a;b 1\n');
    const svg = join(dir, 'd.svg');
    const r = report(['--diff', fixture('schedlat-v2.json'), folded, '--svg', svg]);
    expect(r.code).toBe(2);
    oneLine(r, /--diff: .*schedlat-v2\.json is a schedlat capture/);
    expect(existsSync(svg)).toBe(false);
  });

  it('--group-by and --per-pid with collapsed stacks', () => {
    const folded = join(dir, 'a.folded');
    writeFileSync(folded, 'a;b 1\n');
    oneLine(report([folded, '--group-by', 'pod', '--svg', join(dir, 'x.svg')]), /--group-by: applies to profile captures/);
    expect(report([folded, '--per-pid']).code).toBe(2);
    expect(existsSync(join(dir, 'x.svg'))).toBe(false);
  });

  const profileCases: Array<[string[], RegExp]> = [
    [['--inverted'], /--inverted: only the SVG has it/],
    [['--min-width', '3', '--html', 'OUT'], /--min-width: only the SVG has it/],
    [['--title', 't', '--folded', 'OUT'], /--title: names the SVG, HTML or speedscope file/],
    [['--group-by', 'pod', '--per-pid'], /--per-pid goes with --group-by process/],
  ];
  for (const [flags, pattern] of profileCases) {
    it(`profile capture ${flags.join(' ')}`, () => {
      const out = join(dir, 'out');
      const r = report([fixture('profile-v2.json'), ...flags.map((f) => (f === 'OUT' ? out : f))]);
      expect(r.code).toBe(2);
      oneLine(r, pattern);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('--diff draws only an SVG and prints no summary', () => {
    const f = fixture('profile-v2.json');
    oneLine(report(['--diff', f, f, '--svg', join(dir, 'd.svg'), '--html', join(dir, 'd.html')]), /--html: --diff draws an SVG only/);
    oneLine(report(['--diff', f, f, '--svg', join(dir, 'd.svg'), '--json']), /--json: --diff writes no summary/);
    oneLine(report(['--diff', f, f]), /--diff draws an SVG: give --svg FILE/);
    oneLine(report(['--diff', f]), /--diff takes two inputs/);
    oneLine(report([f, f]), /report takes one input/);
    expect(existsSync(join(dir, 'd.svg'))).toBe(false);
  });

  it('checks every output path before rendering any: a bad one leaves the good ones unwritten', () => {
    const good = join(dir, 'ok.folded');
    for (const bad of [join(dir, 'no-such-dir', 'x.svg'), dir]) {
      const r = report([fixture('profile-v2.json'), '--folded', good, '--svg', bad]);
      expect(r.code).toBe(2);
      oneLine(r, /--svg /);
      expect(existsSync(good)).toBe(false);
    }
    const r = report([fixture('profile-v2.json'), '--folded', '-', '--svg', '-']);
    expect(r.code).toBe(2);
    oneLine(r, /--folded and --svg name the same stdout/);
    expect(r.stdout).toBe('');
  });
});

describe('option values are checked (exit 2, one line)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--top', 'abc'], /--top <n>.*"abc" must be a positive integer/],
    [['--top', '0'], /--top <n>.*"0" must be a positive integer/],
    [['--top', '1.5'], /--top <n>.*"1\.5" must be a positive integer/],
    [['--top', '-2'], /--top <n>.*"-2" must be a positive integer/],
    [['--min-width', 'abc'], /--min-width <px>.*"abc" must be a number ≥ 0/],
    [['--min-width', '-1'], /--min-width <px>.*"-1" must be a number ≥ 0/],
    [['--group-by', 'nope'], /--group-by.*nope.*process, pod, container, none/],
  ];
  for (const [flags, pattern] of cases) {
    it(flags.join(' '), () => {
      const r = report([fixture('profile-v2.json'), ...flags]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      oneLine(r, pattern);
    });
  }
});

/** A copy of a fixture with one change, written to dir/cap.json. */
function broken(name: string, change: (c: Record<string, any>) => void): string {
  const c = fixtureJson(name);
  change(c);
  const path = join(dir, 'cap.json');
  writeFileSync(path, JSON.stringify(c));
  return path;
}

describe('malformed captures: exit 1, one line naming the first bad field', () => {
  const cases: Array<[string, string, (c: Record<string, any>) => void, string]> = [
    ['profile-v2.json', 'frames not an array', (c) => { c.data.samples[3].frames = 'main;foo'; }, 'data.samples[3].frames: must be an array (got a string)'],
    ['profile-v2.json', 'a frame kind out of its set', (c) => { c.data.samples[2].frames[0].kind = 'python'; }, 'data.samples[2].frames[0].kind: must be one of "kernel", "user", "jit", "unknown"'],
    ['profile-v2.json', 'a count as a string', (c) => { c.data.samples[0].count = '3'; }, 'data.samples[0].count: must be an integer (got a string)'],
    ['profile-v2.json', 'a negative count', (c) => { c.data.samples[1].count = -4; }, 'data.samples[1].count: must be ≥ 0 (got -4)'],
    ['profile-v2.json', 'a missing field', (c) => { delete c.data.samples[1].comm; }, 'data.samples[1].comm: is missing'],
    ['profile-v2.json', 'samples not an array', (c) => { c.data.samples = {}; }, 'data.samples: must be an array (got an object)'],
    ['profile-v2.json', 'no data', (c) => { delete c.data; }, 'data: is missing'],
    ['profile-v2.json', 'meta null', (c) => { c.data.meta = null; }, 'data.meta: must be an object (got null)'],
    ['profile-v2.json', 'a camelCase key in version 2', (c) => { c.data.samples[0].cgroupId = c.data.samples[0].cgroup_id; delete c.data.samples[0].cgroup_id; }, 'data.samples[0].cgroup_id: is missing'],
    ['profile-v2.json', 'an unknown key', (c) => { c.data.samples[0].extra = 1; }, 'data.samples[0].extra: is not a field of this record'],
    ['profile-v2.json', 'a bad time', (c) => { c.started = 'yesterday'; }, 'started: must be an ISO 8601 time'],
    ['profile-v2.json', 'args not strings', (c) => { c.args = [1]; }, 'args[0]: must be a string (got 1)'],
    ['profile-v1.json', 'a bad version-1 field', (c) => { c.data.samples[5].cgroupId = 'root'; }, 'data.samples[5].cgroupId: must be an integer (got a string)'],
    ['schedlat-v2.json', 'a histogram slot cut short', (c) => { c.data.summary.rows[0].hist[1] = [4096]; }, 'data.summary.rows[0].hist[1]: must have at least 2 items'],
    ['schedlat-v2.json', 'an interval record typed summary', (c) => { c.data.intervals[0].type = 'summary'; }, 'data.intervals[0].type: must be "interval"'],
    ['schedlat-v2.json', 'overhead a string', (c) => { c.overhead = 'none'; }, 'overhead: must be an object or null (got a string)'],
    ['schedlat-v2.json', 'a slow event without its latency', (c) => { delete c.data.summary.events[0].lat_ns; }, 'data.summary.events[0].lat_ns: is missing'],
    ['schedlat-v2.json', 'a label neither string nor null', (c) => { c.data.summary.rows[0].namespace = 0; }, 'data.summary.rows[0].namespace: must be a string or null (got 0)'],
    ['profile-v2.json', 'version as a string', (c) => { c.version = '1'; }, 'version: must be an integer (got a string)'],
    ['profile-v2.json', 'no version', (c) => { delete c.version; }, 'version: is missing'],
    ['profile-v2.json', 'a future version', (c) => { c.version = 3; }, 'capture version 3 is newer than this huatuo reads (1 to 2): use a newer huatuo'],
    ['profile-v2.json', 'no format', (c) => { delete c.format; }, 'not a huatuo capture (no "format": "huatuo-capture")'],
  ];
  for (const [name, what, change, message] of cases) {
    it(`${name}: ${what}`, () => {
      const path = broken(name, change);
      const r = report([path, '--svg', join(dir, 'x.svg')]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const line = oneLine(r, /./);
      expect(line.startsWith(`huatuo: ${path}: ${message}`), line).toBe(true);
      expect(existsSync(join(dir, 'x.svg'))).toBe(false);
    });
  }

  it('the fixtures themselves are fine (so the cases above fail for the change alone)', () => {
    for (const name of ['profile-v1.json', 'profile-v2.json']) expect(report([fixture(name), '--json']).code).toBe(0);
    for (const name of ['schedlat-v1.json', 'schedlat-v2.json']) expect(report([fixture(name), '--json']).code).toBe(0);
  });

  it('an empty file, and one of blanks', () => {
    for (const text of ['', ' \n\n']) {
      const path = join(dir, 'empty.json');
      writeFileSync(path, text);
      const r = report([path]);
      expect(r.code).toBe(1);
      oneLine(r, new RegExp(`^huatuo: ${path}: is empty$`));
    }
  });

  it('truncated JSON', () => {
    const text = readFileSync(fixture('profile-v2.json'), 'utf8');
    const path = join(dir, 'cut.json');
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    oneLine(report([path]), new RegExp(`^huatuo: ${path}: truncated: the JSON ends before it is complete$`));
    expect(report([path]).code).toBe(1);
  });

  it('invalid JSON: where, and a short escaped excerpt', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"format": "huatuo-capture",\n  "version": 2, \u001b[2J\u0000garbage}');
    const r = report([path]);
    expect(r.code).toBe(1);
    oneLine(r, new RegExp(`^huatuo: ${path}: not valid JSON at line 2, column 17: "\\\\x1b\\[2J\\\\x00garbage}"$`));
  });

  it('binary garbage is not echoed: at most a short excerpt, non-printables as \\xNN', () => {
    const r0 = rng(7);
    const bytes = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(r0() * 256)));
    for (const data of [bytes, Buffer.concat([Buffer.from('{"format":"huatuo-capture","version":2,"data":'), bytes])]) {
      const path = join(dir, 'random.bin');
      writeFileSync(path, data);
      const r = report([path]);
      expect(r.code).toBe(1);
      const line = oneLine(r, /: (not a huatuo capture nor collapsed stacks: no line is|not valid JSON at line)/);
      expect(r.stderr).toMatch(/^[\x20-\x7e]*\n$/); // printable ASCII only
      const quoted = /"([^"]*)"\)?$/.exec(line)![1];
      expect(quoted.length).toBeLessThanOrEqual(40);
      expect(quoted).toMatch(/\\x[0-9a-f]{2}/);
    }
  });
});

describe('collapsed stacks', () => {
  it('fractional counts and ignored lines: one warning, the rest drawn', () => {
    const text = 'main;a 1.5\nthis line has no count\nmain;b 2\n\nmain;a 0.25\n@oops[\n';
    const r = report(['-', '--folded', '-', '--json'], { input: text });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('main;a 1.75\nmain;b 2\n');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines[0]).toBe('huatuo: warning: stdin: ignored 2 lines that are not "frame;frame;... COUNT" (first, line 2: "this line has no count")');
    // --folded - took stdout: the summary goes to stderr.
    const summary = JSON.parse(lines[1]) as { samples: number; top: Array<{ name: string; self: number }>; files: string[] };
    expect(lines).toHaveLength(2);
    expect(summary.samples).toBe(3.75);
    expect(summary.top.map((t) => [t.name, t.self])).toEqual([['b', 2], ['a', 1.75]]);
    expect(summary.files).toEqual(['stdout']);
  });

  it('every renderer takes fractional counts', () => {
    const path = join(dir, 'w.folded');
    writeFileSync(path, 'main;a 0.5\nmain;b 1.25\n');
    const out = (ext: string) => join(dir, `w.${ext}`);
    const r = report([path, '--svg', out('svg'), '--html', out('html'), '--folded', out('folded'), '--speedscope', out('speedscope'), '--pprof', out('pprof')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out('svg'), 'utf8')).toContain('<title>b (1.25 samples, 71.43%)</title>');
    expect(readFileSync(out('folded'), 'utf8')).toBe('main;a 0.5\nmain;b 1.25\n');
    const ss = JSON.parse(readFileSync(out('speedscope'), 'utf8')) as { profiles: Array<{ weights: number[] }> };
    expect(ss.profiles[0].weights).toEqual([0.5, 1.25]);
    expect(gunzipSync(readFileSync(out('pprof'))).length).toBeGreaterThan(0);
    expect(readFileSync(out('html'), 'utf8')).toContain('1.25');
  });

  it('no valid line at all is an error (exit 1)', () => {
    const r = report(['-'], { input: 'nothing here\nnor here\n' });
    expect(r.code).toBe(1);
    oneLine(r, /stdin: not a huatuo capture nor collapsed stacks: no line is "frame;frame;\.\.\. COUNT" \(2 lines; line 1: "nothing here"\)/);
  });

  it('a differential file is refused with a hint to use --diff', () => {
    const r = report(['-'], { input: 'a;b 3 4\n' });
    expect(r.code).toBe(1);
    oneLine(r, /two counts on one line.*--diff/);
  });

  it('--diff of two collapsed files, the SVG on stdout', () => {
    const before = join(dir, 'before.folded');
    writeFileSync(before, 'main;a 3\nmain;b 1\n');
    const r = report(['--diff', before, '-', '--svg', '-'], { input: 'main;a 1\nmain;b 3.5\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^<\?xml/);
    expect(r.stdout).toContain('<title>b (before 1, after 3.5 samples,');
    expect(r.stderr).toBe('wrote stdout\n');
  });

  it('--diff-rule difffolded colours by self samples (main, which only calls, stays grey); the subtitle says which rule', () => {
    const before = join(dir, 'before2.folded');
    writeFileSync(before, 'main;a 3\nmain;b 1\n');
    const fill = (svg: string, name: string) => new RegExp(`<title>${name} \\(before[^<]*</title><rect [^>]*fill="([^"]+)"`).exec(svg)?.[1];
    const self = report(['--diff', '--diff-rule', 'difffolded', before, '-', '--svg', '-'], { input: 'main;a 3\nmain;b 3\nmain 2\n' });
    expect(self.code, self.stderr).toBe(0);
    expect(self.stdout).toContain('(red grew, blue shrank: self samples)');
    const share = report(['--diff', before, '-', '--svg', '-'], { input: 'main;a 3\nmain;b 3\nmain 2\n' });
    expect(share.stdout).toContain('(red grew, blue shrank: inclusive share)');
    // main: self 0 → 2, so red under difffolded; a: 3 → 3 raw, grey under difffolded, blue by share (3/4 → 3/8).
    expect(fill(self.stdout, 'main')).not.toBe(fill(self.stdout, 'a'));
    expect(fill(self.stdout, 'a')).toBe('rgb(235,235,235)');
    expect(fill(share.stdout, 'a')).not.toBe('rgb(235,235,235)');
  });

  it('refuses --normalize with the share rule, and the diff flags without --diff', () => {
    const f = fixture('profile-v2.json');
    oneLine(report(['--diff', '--normalize', f, f, '--svg', join(dir, 'n.svg')]), /--normalize: --diff-rule share always compares shares/);
    oneLine(report([f, '--diff-rule', 'difffolded', '--svg', join(dir, 'n.svg')]), /--diff-rule: goes with --diff/);
    oneLine(report([f, '--normalize', '--svg', join(dir, 'n.svg')]), /--normalize: goes with --diff/);
    oneLine(report(['--diff', '--diff-rule', 'self', f, f, '--svg', join(dir, 'n.svg')]), /--diff-rule/);
    expect(existsSync(join(dir, 'n.svg'))).toBe(false);
  });
});

describe('captures', () => {
  it('`-` as stdout for an export: the file on stdout, the summary on stderr', () => {
    const r = report([fixture('profile-v2.json'), '--folded', '-']);
    expect(r.code, r.stderr).toBe(0);
    const total = (fixtureJson('profile-v2.json').data.samples as Array<{ count: number }>).reduce((n, s) => n + s.count, 0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)).toBe(total);
    expect(lines.every((l) => l.startsWith('spin.sh;'))).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`^profile: ${total} samples`));
    expect(r.stderr).toMatch(/wrote stdout\n/);

    const pp = report([fixture('profile-v2.json'), '--pprof', '-']);
    expect(pp.code, pp.stderr).toBe(0);
    expect([pp.out[0], pp.out[1]]).toEqual([0x1f, 0x8b]);
  });

  it('reads version 1 captures: profile samples renamed, schedlat "-" labels become null', () => {
    const v1 = fixtureJson('profile-v1.json');
    const total = (v1.data.samples as Array<{ count: number }>).reduce((n, s) => n + s.count, 0);
    const r = report([fixture('profile-v1.json'), '--folded', join(dir, 'v1.folded'), '--json', '--top', '1']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { samples: number; top: unknown[]; stack_errors: unknown };
    expect(summary.samples).toBe(total);
    expect(summary.top).toHaveLength(1);
    expect(summary.stack_errors).toEqual(v1.data.stack_errors);
    expect(readFileSync(join(dir, "v1.folded"), "utf8")).toMatch(/^spin\.sh[ ;]/);

    const s = report([fixture('schedlat-v1.json'), '--json']);
    expect(s.code, s.stderr).toBe(0);
    const rec = JSON.parse(s.stdout) as { type: string; rows: Array<{ pod: string; namespace: string | null }> };
    expect(rec.type).toBe('summary');
    expect(rec.rows[0]).toMatchObject({ pod: '(host)', namespace: null });
    expect(readFileSync(fixture('schedlat-v1.json'), 'utf8')).toContain('"namespace":"-"');
  });

  it('a schedlat capture prints its table again, unknown labels as -', () => {
    const r = report([fixture('schedlat-v2.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^schedlat capture from /);
    expect(r.stdout).toMatch(/\n-\s+\(host\)\s+\(host\)\s+-\s+\d+/);
  });

  it('finds its schemas from any working directory', () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const r = report([fixture('profile-v2.json'), '--json'], { cwd: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    const bad = broken('profile-v2.json', (c) => { c.data.samples[0].frames = 1; });
    expect(report([bad], { cwd: elsewhere }).stderr).toContain('data.samples[0].frames: must be an array');
  });
});
