import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseFolded, toFolded } from '../../../src/flamegraph/index.js';
import { HuatuoError } from '../../../src/errors.js';
import { pathTotals, randomStacks } from './helpers.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/flamegraph/${name}`, import.meta.url), 'utf8');

describe('parseFolded', () => {
  it('reads stacks, summing duplicates and skipping blank lines, trailing spaces and CRLF', () => {
    const text = 'a;b;c 3\n\n  \r\na;b 2   \r\na;b;c\t4\n[unknown] (libc.so.6+0x1f);x y 1\na;b 0\n';
    expect(parseFolded(text)).toEqual([
      { frames: ['a', 'b', 'c'], count: 7 },
      { frames: ['a', 'b'], count: 2 },
      { frames: ['[unknown] (libc.so.6+0x1f)', 'x y'], count: 1 },
    ]);
  });

  it('reads stackcollapse-perf.pl, bcc profile -f and collapsed bpftrace output', () => {
    const perf = parseFolded(fixture('perf-collapsed.folded'));
    expect(perf).toHaveLength(8);
    expect(perf.reduce((n, s) => n + s.count, 0)).toBe(412 + 37 + 9 + 14 + 21 + 6 + 11 + 8);
    expect(perf[0].frames.at(-1)).toBe('native_safe_halt_[k]');
    expect(perf.find((s) => s.frames[0] === 'postgres')!.frames[1]).toBe('[unknown] (/usr/lib/postgresql/16/bin/postgres+0x4f2a10)');

    const bcc = parseFolded(fixture('bcc-profile.folded'));
    expect(bcc).toHaveLength(5); // one stack appears twice
    expect(bcc[0]).toEqual({ frames: 'redis-server;_start;__libc_start_main;main;aeMain;aeProcessEvents;processCommand;call;getCommand;lookupKeyRead;dictFind'.split(';'), count: 21 });
    expect(bcc.some((s) => s.frames.includes('-'))).toBe(true);

    const bt = parseFolded(fixture('bpftrace-collapsed.folded'));
    expect(bt.map((s) => s.count)).toEqual([902, 33, 7]);
    expect(bt[1].frames.at(-1)).toBe('iomap_dio_rw');
  });

  it('rejects malformed lines, naming the line', () => {
    const bad: Array<[string, RegExp]> = [
      ['a;b 1\nno count here\n', /line 2: expected "frame;frame;\.\.\. COUNT"/],
      ['a;b 1\n\n 12\n', /line 3: a count with no stack/],
      ['a;;b 4\n', /line 1: frame 2 is empty/],
      ['a;b; 4\n', /line 1: frame 3 is empty/],
      ['a;b 10 12\n', /line 1: two counts on one line/],
      ['a;b -3\n', /line 1: expected/],
      ['a;b 1.5\n', /line 1: expected/],
      ['a 99999999999999999999\n', /line 1: count 99999999999999999999 is too large/],
      ['@[\n    do_idle+10\n]: 3\n', /line 1: bpftrace map output/],
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
      const back = parseFolded(text);
      expect(pathTotals(back)).toEqual(pathTotals(stacks));
      expect(toFolded(back)).toBe(text);
      expect(toFolded([...stacks].reverse())).toBe(text);
    }
  });

  it('round-trips the fixtures', () => {
    for (const name of ['perf-collapsed.folded', 'bcc-profile.folded', 'bpftrace-collapsed.folded']) {
      const stacks = parseFolded(fixture(name));
      expect(pathTotals(parseFolded(toFolded(stacks)))).toEqual(pathTotals(stacks));
    }
  });

  it('keeps a frame with ; or a line break from breaking the format', () => {
    expect(toFolded([{ frames: ['Lcom/Foo;::bar', 'x\ny'], count: 2 }])).toBe('Lcom/Foo:::bar;x y 2\n');
  });

  it('rejects invalid stacks', () => {
    expect(() => toFolded([])).toThrow(/no samples/);
    expect(() => toFolded([{ frames: ['a'], count: -1 }])).toThrow(/not a non-negative integer/);
  });
});
