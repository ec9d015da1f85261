// The profile's records and hints: one --json record per window with that window's top
// functions, and one hint line per cause however many processes share it.
import { describe, it, expect } from 'vitest';
import { profileSummary, profileInterval, profileHints } from '../../../src/profile/summary.js';
import type { BrokenStackReport } from '../../../src/symbolize/index.js';
import type { FoldedStack } from '../../../src/model/stack.js';

const stacks: FoldedStack[] = [
  { frames: ['app', 'main', 'work'], count: 6 },
  { frames: ['app', 'main', 'idle'], count: 2 },
  { frames: ['db', 'main', 'work'], count: 2 },
];
const none = { kernel: { collision: 0, missing: 0, map_full: 0, other: 0 }, user: { collision: 0, missing: 0, map_full: 0, other: 0 }, counts_full: 0, pids_full: 0 };
const broken = (module: string, samples: number, b: number): BrokenStackReport => ({ module, samples, broken: b, share: b / samples, hint: 'build with -fno-omit-frame-pointer' });

describe('profile records', () => {
  it('an interval record: its window\'s samples and top functions, roots left out', () => {
    const r = profileInterval(stacks, 2, { time: new Date(Date.UTC(2026, 11, 1, 12, 0, 3, 250)), elapsedS: 3.2504, windowS: 1.0001 });
    expect(r).toEqual({
      type: 'interval', tool: 'profile', time: '2026-12-01T12:00:03.250Z', elapsed_s: 3.25, window_s: 1,
      samples: 10,
      top: [
        { name: 'work', self: 8, total: 8, self_pct: 80, total_pct: 80 },
        { name: 'idle', self: 2, total: 2, self_pct: 20, total_pct: 20 },
      ],
    });
    expect(profileInterval([], 5, { time: new Date(0), elapsedS: 1, windowS: 1 })).toMatchObject({ samples: 0, top: [] });
  });

  it('fractional counts (collapsed input) add up without float noise', () => {
    const r = profileSummary([{ frames: ['x', 'a'], count: 0.1 }, { frames: ['x', 'a'], count: 0.2 }], 5, []);
    expect(r.samples).toBe(0.3);
    expect(r.top.find((t) => t.name === 'a')).toMatchObject({ self: 0.3, total: 0.3, self_pct: 100 });
  });

  it('one hint per cause: JIT per runtime, broken stacks in one line, storage', () => {
    const s = profileSummary(stacks, 5, [], {
      errors: { ...none, user: { ...none.user, collision: 3 } },
      broken: [broken('node', 100, 40), broken('libfoo.so', 50, 50), broken('app', 40, 1), broken('bash', 10, 5), broken('ld.so', 5, 5), broken('libz.so', 5, 5)],
    });
    const hints = profileHints(s, [{ runtime: 'node', processes: 3, samples: 500 }, { runtime: 'java', processes: 1, samples: 9 }, { runtime: '', processes: 2, samples: 4 }]);
    expect(hints).toEqual([
      '3 node processes ran JIT code without a perf map: start them with --perf-basic-prof to name JavaScript frames',
      '1 java process ran JIT code without a perf map: run it with -XX:+PreserveFramePointer and write a perf map (jcmd PID Compiler.perfmap, JDK 17+) to name Java frames',
      '2 processes ran JIT code without a perf map: have them write /tmp/perf-PID.map to name those frames',
      // 105 broken of 210: app (2.5%) is below the 10% that names a binary.
      'broken stacks: 50% of user stacks stop before a thread entry, in libfoo.so, node, bash and 2 more: build them with -fno-omit-frame-pointer',
      'stack storage: 3 samples lost a stack (collisions or full maps): raise --stack-storage-size',
    ]);
    expect(profileHints(profileSummary(stacks, 5, [], { errors: none, broken: [broken('app', 40, 1)] }))).toEqual([]);
    // A binary broken through and through, but with 2 of 100 user stacks: not worth a line.
    expect(profileHints(profileSummary(stacks, 5, [], { errors: none, broken: [broken('app', 98, 0), broken('ld.so', 2, 2)] }))).toEqual([]);
  });
});
