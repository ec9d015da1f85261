// The profile kinds' pure parts: frame recovery's proof (on hand-made code and stacks),
// call decoding, lock kinds, folding with the kinds' frames, units through the outputs.
import { describe, it, expect } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { decodeCallBefore, recoverFrameless, RecoveryTally, type CallSite, type CodeOracle } from '../../../src/symbolize/frameless.js';
import { lockKind } from '../../../src/tools/profile.js';
import { foldSamples } from '../../../src/profile/fold.js';
import { foldedForUnit } from '../../../src/profile/outputs.js';
import { profileSummary } from '../../../src/profile/summary.js';
import { toPprof, toSpeedscope, renderSvg } from '../../../src/flamegraph/index.js';
import { renderHtml } from '../../../src/flamegraph/html.js';
import { PROFILE_UNITS, type ProfileSample } from '../../../src/model/stack.js';
import { formatDuration } from '../../../src/model/units.js';

/**
 * A process's code as functions [start, end) and the calls that end at return addresses:
 * main (0x1000) → sleep_here (0x2000) → nanosleep@plt (0x2800) … libc: nanosleep (0x9000) →
 * clock_nanosleep (0x9800), the leaf.
 */
const FUNCS: Array<[number, number, string]> = [
  [0x1000, 0x1100, 'main'], [0x2000, 0x2100, 'sleep_here'], [0x2800, 0x2810, 'nanosleep@plt'],
  [0x9000, 0x9040, 'nanosleep'], [0x9800, 0x9900, 'clock_nanosleep'], [0x3000, 0x3100, 'other'],
];
const CALLS = new Map<number, CallSite>([
  [0x1050, { kind: 'direct', target: 0x2000 }], // main calls sleep_here; returns to 0x1050
  [0x2040, { kind: 'plt' }], // sleep_here calls nanosleep@plt
  [0x9013, { kind: 'direct', target: 0x9800 }], // nanosleep calls clock_nanosleep
  [0x3020, { kind: 'direct', target: 0x9000 }], // other calls nanosleep directly (stale word)
  [0x1080, { kind: 'direct', target: 0x9800 }], // main calls clock_nanosleep itself
]);
const code: CodeOracle = {
  callBefore: (ret) => CALLS.get(ret) ?? null,
  functionStart: (a) => FUNCS.find(([s, e]) => a >= s && a < e)?.[0],
};
const IP = 0x9843n; // in clock_nanosleep, after its syscall
const FRAME1 = 0x1050n; // main, after its call to sleep_here (the frame-pointer walk's next frame)

describe('recoverFrameless', () => {
  it('fills the gap with a chain the call instructions prove: nanosleep, then sleep_here', () => {
    // single-threaded clock_nanosleep pushes nothing: [sp] returns to nanosleep, then nanosleep's pad, then sleep_here
    const words = [0x9013n, 0x7ffd0000n, 0x2040n, 0x1234n];
    expect(recoverFrameless([IP, FRAME1, 0x500n], words, code)).toEqual({ status: 'recovered', frames: [0x9013n, 0x2040n] });
    // with locals below (the multi-threaded path's 0x28 bytes): the same chain
    expect(recoverFrameless([IP, FRAME1], [1n, 2n, 0x3020n, 4n, 5n, 0x9013n, 0n, 0x2040n], code)).toEqual({ status: 'recovered', frames: [0x9013n, 0x2040n] });
  });

  it('changes nothing when frame 1 called the leaf itself, or when its call proves nothing', () => {
    expect(recoverFrameless([IP, 0x1080n], [0x9013n, 0x2040n], code)).toEqual({ status: 'intact' });
    expect(recoverFrameless([IP, 0x2040n], [0x9013n], code)).toEqual({ status: 'intact' }); // frame 1 called through the PLT
    expect(recoverFrameless([IP], [0x9013n, 0x2040n], code)).toEqual({ status: 'intact' });
  });

  it('is lost, not guessed, when the chain does not close at frame 1', () => {
    // a return address into `other` calls nanosleep, but frame 1's call was to sleep_here, which is nowhere
    expect(recoverFrameless([IP, FRAME1], [0x9013n, 0x3020n, 0x55n], code)).toEqual({ status: 'lost' });
    expect(recoverFrameless([IP, FRAME1], [], code)).toEqual({ status: 'lost' });
  });

  it('takes a PLT or register call only as the last link: an intermediate frame it cannot prove is left out', () => {
    const plt: CodeOracle = { ...code, callBefore: (ret) => (ret === 0x9013 ? { kind: 'plt' } : code.callBefore(ret)) };
    expect(recoverFrameless([IP, FRAME1], [0x9013n, 0x2040n], plt)).toEqual({ status: 'recovered', frames: [0x2040n] });
    const none: CodeOracle = { ...code, callBefore: (ret) => (ret === 0x2040 ? null : code.callBefore(ret)) };
    expect(recoverFrameless([IP, FRAME1], [0x9013n, 0x2040n], none)).toEqual({ status: 'lost' });
  });

  it('tallies recovered and lost weight per binary', () => {
    const t = new RecoveryTally();
    t.add('libc.so.6', 'recovered', 5);
    t.add('libc.so.6', 'lost', 2);
    t.add('app', 'intact', 9);
    expect(t.report()).toEqual([{ module: 'libc.so.6', recovered: 5, lost: 2 }]);
  });
});

describe('decodeCallBefore', () => {
  const bytes = (...b: number[]) => Buffer.from(b);
  it('reads x86-64 call forms from the bytes before a return address', () => {
    // call rel32 to ret - 0x100 (0xffffff00)
    expect(decodeCallBefore(bytes(0x90, 0x90, 0xe8, 0x00, 0xff, 0xff, 0xff), 0x5000, () => false)).toEqual({ kind: 'direct', target: 0x4f00 });
    expect(decodeCallBefore(bytes(0x90, 0x90, 0xe8, 0x00, 0xff, 0xff, 0xff), 0x5000, (t) => t === 0x4f00)).toEqual({ kind: 'plt' });
    expect(decodeCallBefore(bytes(0x90, 0xff, 0x15, 1, 2, 3, 4), 0x5000, () => false)).toEqual({ kind: 'plt' }); // call *disp(%rip)
    expect(decodeCallBefore(bytes(0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0), 0x5000, () => false)).toEqual({ kind: 'indirect' }); // call *%rax
    expect(decodeCallBefore(bytes(0x90, 0x90, 0x90, 0x90, 0xff, 0x50, 0x08), 0x5000, () => false)).toEqual({ kind: 'indirect' }); // call *8(%rax)
    expect(decodeCallBefore(bytes(0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3), 0x5000, () => false)).toBeNull();
  });
});

describe('lockKind', () => {
  it('names contention_begin flags as perf lock contention does', () => {
    expect(lockKind(1)).toBe('spinlock');
    expect(lockKind(1 | 2)).toBe('rwlock:R');
    expect(lockKind(1 | 4)).toBe('rwlock:W');
    expect(lockKind(32 | 1)).toBe('mutex');
    expect(lockKind(2)).toBe('rwsem:R');
    expect(lockKind(4)).toBe('rwsem:W');
    expect(lockKind(8)).toBe('rtmutex');
    expect(lockKind(16 | 4)).toBe('percpu-rwsem:W');
    expect(lockKind(0)).toBe('semaphore');
  });
});

const sample = (o: Partial<ProfileSample>): ProfileSample => ({ tgid: 1, pid: 1, comm: 'app', cgroupId: 0, frames: [{ name: 'main', kind: 'user' }], count: 1, ...o });

describe('the kinds through folding and the outputs', () => {
  it('puts run-queue time under its own frame and the lock as the leaf', () => {
    const stacks = foldSamples([
      sample({ count: 5e6 }),
      sample({ count: 2e6, runqueue: true }),
      sample({ count: 3e6, lock: { kind: 'mutex', addr: '0xffffffff82000000', symbol: 'cgroup_mutex' } }),
    ]);
    expect(stacks.map((s) => `${s.frames.join(';')} ${s.count}`).sort()).toEqual([
      'app;[runqueue];main 2000000', 'app;main 5000000', 'app;main;[mutex cgroup_mutex] 3000000',
    ]);
  });

  it('writes time weights as microseconds in collapsed stacks, and leaves counts alone', () => {
    const stacks = [{ frames: ['a'], count: 1_499_600 }, { frames: ['b'], count: 400 }];
    expect(foldedForUnit(stacks, PROFILE_UNITS['off-cpu'])).toEqual([{ frames: ['a'], count: 1500 }]);
    expect(foldedForUnit(stacks, PROFILE_UNITS['page-faults'])).toBe(stacks);
  });

  it('names pprof sample types for what they weigh, one each', () => {
    const stacks = [{ frames: ['app', 'main'], count: 2_500_000 }];
    for (const [kind, want] of [['off-cpu', 'offcpu/nanoseconds'], ['lock', 'lock/nanoseconds'], ['page-faults', 'page_faults/count']] as const) {
      const u = PROFILE_UNITS[kind];
      const p = Profile.decode(gunzipSync(toPprof(stacks, { periodNs: 1, weight: { type: u.pprofType, unit: u.pprofUnit } })));
      const s = (i: number | bigint) => p.stringTable.strings[Number(i)];
      expect(p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`)).toEqual([want]);
      expect(p.sample.map((x) => Number(x.value[0]))).toEqual([2_500_000]);
      expect(s(p.defaultSampleType)).toBe(u.pprofType);
    }
  });

  it('shows times in the SVG, HTML and speedscope of time kinds', () => {
    const stacks = [{ frames: ['app', 'main'], count: 2_500_000 }];
    const svg = renderSvg(stacks, { formatCount: formatDuration });
    expect(svg).toContain('<title>main (2.5ms, 100.00%)</title>');
    expect(renderHtml(stacks, { title: 't', time: true })).toContain('"time":true');
    expect(toSpeedscope(stacks, { nanoseconds: true }).profiles[0]).toMatchObject({ unit: 'nanoseconds', weights: [2_500_000] });
    expect(toSpeedscope(stacks).profiles[0].unit).toBe('none');
  });

  it('says in the summary what the counts are', () => {
    const stacks = [{ frames: ['app', 'main'], count: 7 }];
    expect(profileSummary(stacks, 5, [], { kind: 'lock' })).toMatchObject({ kind: 'lock', unit: 'nanoseconds', samples: 7 });
    expect(profileSummary(stacks, 5, [], { kind: 'page-faults' })).toMatchObject({ kind: 'page-faults', unit: 'faults' });
    expect(profileSummary(stacks, 5, [])).toMatchObject({ kind: 'cpu', unit: 'samples', frameless: [] });
  });
});
