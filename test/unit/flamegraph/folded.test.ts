import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseFolded, toFolded } from '../../../src/flamegraph/index.js';
import { HuatuoError } from '../../../src/errors.js';
import { pathTotals, randomStacks } from './helpers.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/flamegraph/${name}`, import.meta.url), 'utf8');

const stacksOf = (text: string) => parseFolded(text).stacks;

describe('parseFolded', () => {
  it('reads stacks, summing duplicates and skipping blank lines, trailing spaces and CRLF', () => {
    const text = 'a;b;c 3\n\n  \r\na;b 2   \r\na;b;c\t4\n[unknown] (libc.so.6+0x1f);x y 1\na;b 0\n';
    expect(parseFolded(text)).toEqual({
      stacks: [
        { frames: ['a', 'b', 'c'], count: 7 },
        { frames: ['a', 'b'], count: 2 },
        { frames: ['[unknown] (libc.so.6+0x1f)', 'x y'], count: 1 },
      ],
      ignored: 0,
      firstIgnored: null,
    });
  });

  it('reads stackcollapse-perf.pl, bcc profile -f and collapsed bpftrace output', () => {
    const perf = stacksOf(fixture('perf-collapsed.folded'));
    expect(perf).toHaveLength(8);
    expect(perf.reduce((n, s) => n + s.count, 0)).toBe(412 + 37 + 9 + 14 + 21 + 6 + 11 + 8);
    expect(perf[0].frames.at(-1)).toBe('native_safe_halt_[k]');
    expect(perf.find((s) => s.frames[0] === 'postgres')!.frames[1]).toBe('[unknown] (/usr/lib/postgresql/16/bin/postgres+0x4f2a10)');

    const bcc = stacksOf(fixture('bcc-profile.folded'));
    expect(bcc).toHaveLength(5); // one stack appears twice
    expect(bcc[0]).toEqual({ frames: 'redis-server;_start;__libc_start_main;main;aeMain;aeProcessEvents;processCommand;call;getCommand;lookupKeyRead;dictFind'.split(';'), count: 21 });
    expect(bcc.some((s) => s.frames.includes('-'))).toBe(true);

    const bt = stacksOf(fixture('bpftrace-collapsed.folded'));
    expect(bt.map((s) => s.count)).toEqual([902, 33, 7]);
    expect(bt[1].frames.at(-1)).toBe('iomap_dio_rw');
  });

  it('takes fractional counts, as flamegraph.pl does', () => {
    expect(stacksOf('a;b 1.5\na;b 2.25\na;c 3.\nd 0.5\n')).toEqual([
      { frames: ['a', 'b'], count: 3.75 },
      { frames: ['a', 'c'], count: 3 },
      { frames: ['d'], count: 0.5 },
    ]);
  });

  it('ignores and counts lines that are not "frames COUNT", keeping the first for the warning', () => {
    const bad = ['no count here', ' 12', 'a;;b 4', 'a;b; 4', 'a;b -3', 'a;b 1e3', 'bin\u0001ary 3', 'bad\ufffdutf8 2'];
    const r = parseFolded(['a;b 1', ...bad, 'a;c 2', ''].join('\n'));
    expect(r.stacks).toEqual([{ frames: ['a', 'b'], count: 1 }, { frames: ['a', 'c'], count: 2 }]);
    expect(r.ignored).toBe(bad.length);
    expect(r.firstIgnored).toEqual({ line: 2, excerpt: 'no count here' });
  });

  it('quotes an ignored line as its own bytes, escaped and short', () => {
    const bytes = Buffer.concat([Buffer.from('a 1\n'), Buffer.from([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a]), Buffer.from(' x'.repeat(40)), Buffer.from('\n')]);
    const r = parseFolded(bytes);
    expect(r.ignored).toBe(1);
    expect(r.firstIgnored!.line).toBe(2);
    expect(r.firstIgnored!.excerpt.startsWith('\\xff\\x00\\x1b[2J x')).toBe(true);
    expect(r.firstIgnored!.excerpt.length).toBeLessThanOrEqual(40);
    expect(r.firstIgnored!.excerpt.endsWith('...')).toBe(true);
  });

  it('refuses input with no valid line, a differential file, bpftrace map output and huge counts', () => {
    const bad: Array<[string, RegExp]> = [
      ['no count here\nnor here\n', /no line is "frame;frame;\.\.\. COUNT" \(2 lines; line 1: "no count here"\)/],
      ['a;b 10 12\n', /line 1: two counts on one line/],
      ['a;b 1.5 2\n', /line 1: two counts on one line/],
      ['a 99999999999999999999\n', /line 1: count 99999999999999999999 is too large/],
      ['@[\n    do_idle+10\n]: 3\n', /line 1: bpftrace map output/],
      ['Attaching 1 probe...\n@[\n]: 3\n', /line 1: bpftrace map output/],
    ];
    for (const [text, re] of bad) {
      expect(() => parseFolded(text), text).toThrow(HuatuoError);
      expect(() => parseFolded(text), text).toThrow(re);
    }
  });

  it('rejects empty input and input without samples', () => {
    expect(() => parseFolded('')).toThrow(/empty input/);
    expect(() => parseFolded('\n  \n\r\n')).toThrow(/empty input/);
    expect(() => parseFolded('a;b 0\n')).toThrow(/no samples/);
    expect(() => parseFolded('a;b 0\njunk\n')).toThrow(/no samples/);
  });
});

describe('toFolded', () => {
  it('merges, drops zeros and sorts frame-wise (the flame graph order)', () => {
    const out = toFolded([
      { frames: ['b', 'x'], count: 1 },
      { frames: ['a', 'y'], count: 2 },
      { frames: ['a'], count: 3 },
      { frames: ['b', 'x'], count: 4 },
      { frames: ['c'], count: 0 },
      { frames: ['a b'], count: 1 },
    ]);
    expect(out).toBe('a 3\na;y 2\na b 1\nb;x 5\n');
  });

  it('round-trips random stacks and is stable', () => {
    for (const seed of [1, 2, 3]) {
      const stacks = randomStacks(seed, 500);
      const text = toFolded(stacks);
      const back = stacksOf(text);
      expect(pathTotals(back)).toEqual(pathTotals(stacks));
      expect(toFolded(back)).toBe(text);
      expect(toFolded([...stacks].reverse())).toBe(text);
    }
  });

  it('round-trips the fixtures', () => {
    for (const name of ['perf-collapsed.folded', 'bcc-profile.folded', 'bpftrace-collapsed.folded']) {
      const stacks = stacksOf(fixture(name));
      expect(pathTotals(stacksOf(toFolded(stacks)))).toEqual(pathTotals(stacks));
    }
  });

  it('keeps a frame with ; or a line break from breaking the format', () => {
    expect(toFolded([{ frames: ['Lcom/Foo;::bar', 'x\ny'], count: 2 }])).toBe('Lcom/Foo:::bar;x y 2\n');
  });

  it('rejects invalid stacks', () => {
    expect(() => toFolded([])).toThrow(/no samples/);
    expect(() => toFolded([{ frames: ['a'], count: -1 }])).toThrow(/not a non-negative number/);
    expect(() => toFolded([{ frames: ['a'], count: NaN }])).toThrow(/not a non-negative number/);
  });

  it('writes fractional counts without float noise, and they read back', () => {
    const out = toFolded([{ frames: ['a'], count: 0.1 }, { frames: ['a'], count: 0.2 }, { frames: ['b'], count: 1e-7 }, { frames: ['c'], count: 2 }]);
    expect(out).toBe('a 0.3\nb 0.0000001\nc 2\n');
    expect(stacksOf(out)).toEqual([{ frames: ['a'], count: 0.3 }, { frames: ['b'], count: 1e-7 }, { frames: ['c'], count: 2 }]);
  });
});
