import { describe, it, expect } from 'vitest';
import { Budget, TriggerEngine, baselineOf, parseRule, HUATUO_PRESET, MIN_HISTORY, type Decision } from '../../../src/autotrace/rules.js';
import { SIGNAL_NAMES } from '../../../src/autotrace/signals.js';

const rule = (text: string) => parseRule(text, SIGNAL_NAMES);
const T0 = Date.UTC(2026, 0, 1);

/** Feed a recorded series (one value a second) of one host signal; the decisions with their sample index. */
function replay(rules: string[], series: Array<Record<string, number>>, budget = new Budget(100, Infinity), containers?: Array<Record<string, Record<string, number>>>) {
  const engine = new TriggerEngine(rules.map(rule), budget);
  const out: Array<{ i: number; d: Decision }> = [];
  series.forEach((host, i) => {
    const c = new Map(Object.entries(containers?.[i] ?? {}).map(([k, v]) => [k, new Map(Object.entries(v))]));
    for (const d of engine.observe({ at: T0 + i * 1000, host: new Map(Object.entries(host)), containers: c })) out.push({ i, d });
  });
  return out;
}
const sys = (values: number[]) => values.map((v) => ({ 'cpu.sys': v }));
const brief = (r: ReturnType<typeof replay>) => r.map(({ i, d }) => `${i}:${d.type === 'fire' ? 'fire' : d.reason}`);

describe('autotrace rules', () => {
  it('parses conditions, rise, for, window and cooldown; refuses what it cannot read with one line', () => {
    expect(rule('cpu.sys>45 rise>20 for 3 window 2m cooldown 30s')).toEqual({
      text: 'cpu.sys>45 rise>20 for 3 window 2m cooldown 30s', conditions: [{ signal: 'cpu.sys', op: '>', threshold: { value: 45 } }],
      rise: 20, forN: 3, windowS: 120, cooldownS: 30,
    });
    expect(rule('mem.anon_growth>=2 and mem.anon_pct>=70').conditions.map((c) => c.signal)).toEqual(['mem.anon_growth', 'mem.anon_pct']);
    expect(rule('psi.io.some>median+4mad').conditions[0].threshold).toEqual({ mads: 4 });
    for (const [text, why] of [['cpu.nope>1', /no signal cpu.nope/], ['cpu.sys=4', /cannot read/], ['for 2', /no condition/], ['cpu.sys>1 for', /for needs a value/],
      ['cpu.sys>1 for 0', /count of samples/], ['cpu.sys>1 container.cpu>3', /cannot be mixed/], ['cpu.sys>1 cooldown soon', /cooldown/]] as const) {
      expect(() => rule(text), text).toThrow(why);
    }
    expect(HUATUO_PRESET.map(rule)).toHaveLength(HUATUO_PRESET.length);
  });

  it('an absolute threshold fires after N samples in a row, once per episode', () => {
    // Above 40 for 1 (too short), then for 4: fires on the 2nd of those, not again until it falls.
    expect(brief(replay(['cpu.sys>40 for 2 cooldown 1s'], sys([10, 50, 10, 50, 50, 50, 50, 10, 60, 60])))).toEqual(['4:fire', '9:fire']);
  });

  it('cooldown: a second spike inside it is suppressed (once per episode); after it, fires again', () => {
    const r = replay(['cpu.sys>40 for 1 cooldown 10s'], sys([50, 50, 5, 60, 5, 5, 5, 5, 5, 5, 5, 70]));
    expect(brief(r)).toEqual(['0:fire', '3:cooldown', '11:fire']);
  });

  it('the budget caps captures per hour across rules; a busy capture suppresses without spending it', () => {
    const budget = new Budget(1, Infinity);
    const r = replay(['cpu.sys>40 for 1 cooldown 1s', 'cpu.user>40 for 1 cooldown 1s'], [
      { 'cpu.sys': 50, 'cpu.user': 50 }, { 'cpu.sys': 5, 'cpu.user': 5 }, { 'cpu.sys': 5, 'cpu.user': 50 }, { 'cpu.sys': 50, 'cpu.user': 5 },
    ], budget);
    // Sample 0: sys fires, user is busy (one capture at a time). Later: the hour's one capture is spent.
    expect(brief(r)).toEqual(['0:fire', '0:busy', '2:budget', '3:budget']);
    expect(new Budget(5, 1000).refusal(0, 0)).toBeNull();
    const bytes = new Budget(5, 1000);
    bytes.add(1001);
    expect(bytes.refusal(0)).toMatch(/bytes on disk/);
    const hour = new Budget(1, Infinity);
    hour.take(T0);
    expect(hour.refusal(T0 + 3_599_000)).toMatch(/1 captures in the last hour/);
    expect(hour.refusal(T0 + 3_600_000)).toBeNull();
  });

  it('baseline: median + k·MAD of the window before the sample, only with enough history', () => {
    expect(baselineOf([1, 2, 3])).toBeNull();
    expect(baselineOf([10, 12, 11, 13, 10, 11, 12, 50, 11, 10])).toEqual({ median: 11, mad: 1 });
    const noisy = Array.from({ length: 30 }, (_, i) => 20 + (i % 5) * 2); // 20..28, median 24, MAD 2
    // 31 > 24 + 3·2 fires; 29 does not; nothing can fire before MIN_HISTORY samples.
    const r = replay(['cpu.sys>median+3mad for 1 cooldown 1s'], sys([...noisy, 29, 20, 31]));
    expect(brief(r)).toEqual([`${noisy.length + 2}:fire`]);
    expect(brief(replay(['cpu.sys>median+3mad for 1'], sys([90, ...Array(MIN_HISTORY - 1).fill(1), 1])))).toEqual([]);
  });

  it('rise: above the value and that much above the baseline (HUATUO\'s Δ)', () => {
    const high = Array(12).fill(50);
    // Always 50: above 45 but no rise over its own baseline.
    expect(brief(replay(['cpu.sys>45 rise>20 for 1'], sys([...high, 50])))).toEqual([]);
    expect(brief(replay(['cpu.sys>45 rise>20 for 1'], sys([...Array(12).fill(10), 50])))).toEqual(['12:fire']);
  });

  it('per container: each container its own track, named in the decision; a gone container forgets its run', () => {
    const c = (v: Record<string, number>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, { 'container.cpu': x }]));
    const r = replay(['container.cpu>80 for 2 cooldown 1s'], [{}, {}, {}, {}], undefined, [c({ 'shop/a/web': 90, 'shop/b/web': 10 }), c({ 'shop/a/web': 90, 'shop/b/web': 90 }), c({ 'shop/b/web': 90 }), c({})]);
    expect(r.map(({ i, d }) => `${i}:${d.type}:${d.scope}`)).toEqual(['1:fire:shop/a/web', '2:fire:shop/b/web']);
  });

  it('a signal the machine lacks is neither true nor false', () => {
    expect(brief(replay(['psi.irq.full>1 for 2'], [{}, {}, {}]))).toEqual([]);
  });

  it('PSI triggers: STALL/WINDOW within the kernel\'s limits, alone, on the host or a cgroup; one decision per episode', () => {
    expect(rule('psi.io.some>150ms/2s').psi).toEqual({ resource: 'io', kind: 'some', stallUs: 150_000, windowUs: 2_000_000 });
    expect(rule('psi.memory.full>100ms/2s cgroup /kubepods/pod1 cooldown 1m')).toMatchObject({ psi: { resource: 'memory', kind: 'full', cgroup: '/kubepods/pod1' }, cooldownS: 60 });
    for (const [text, why] of [['psi.io.some>100ms/100ms', /500ms to 10s/], ['psi.io.some>3s/2s', /at most the window/], ['psi.io.some>1ms/2s for 2', /stands alone/],
      ['psi.io.some>1ms/2s and cpu.sys>3', /stands alone/], ['cpu.sys>1 cgroup /x', /cgroup goes after a PSI trigger/], ['psi.io.some>1ms/2s cgroup ../x', /path from the v2 root/]] as const) {
      expect(() => rule(text), text).toThrow(why);
    }
    const r = rule('psi.io.some>100ms/2s cooldown 10s');
    const engine = new TriggerEngine([r], new Budget(10, Infinity));
    // Sampled frames never fire it: only the kernel's notifications do.
    expect(engine.observe({ at: T0, host: new Map([['psi.io.some', 99]]), containers: new Map() })).toEqual([]);
    const at = (s: number) => T0 + s * 1000;
    const seq = [0, 2, 4, 9, 12, 20].map((s) => engine.notify(r, at(s), false));
    // 0: fires (value: the share the kernel saw, 100 ms of 2 s). 2, 4: the same episode. 9: a new one, inside the cooldown. 12: same. 20: fires.
    expect(seq.map((d) => (d ? (d.type === 'fire' ? 'fire' : d.reason) : '-'))).toEqual(['fire', '-', '-', 'cooldown', '-', 'fire']);
    expect(seq[0]!.value).toBe(5);
  });
});
