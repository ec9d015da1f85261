import { describe, it, expect } from 'vitest';
import { OverheadGovernor } from '../../../src/autotrace/governor.js';

/** Feed `pct` % of a core (as our CPU µs) for `seconds`, one update a second; the states seen. */
function run(g: OverheadGovernor, from: { at: number; cpuUs: number }, seconds: number, pct: number) {
  const seen: string[] = [];
  for (let i = 0; i < seconds; i++) {
    from.at += 1000;
    from.cpuUs += pct * 10_000; // pct % of 1 s
    const st = g.update(from.at, from.cpuUs, 0);
    const s = `${st.lookbackHz}${st.skipCaptures ? '+skip' : ''}`;
    if (seen.at(-1) !== s) seen.push(s);
  }
  return seen;
}

describe('autotrace overhead governor', () => {
  it('over the budget: the look-back slows, then stops, then captures are skipped; back well under: the way back, one step a time', () => {
    const g = new OverheadGovernor(1);
    const t = { at: 0, cpuUs: 0 };
    expect(run(g, t, 9, 0.3)).toEqual(['19']); // under: nothing changes
    expect(run(g, t, 80, 2)).toEqual(['19', '9', '5', '0', '0+skip']);
    expect(run(g, t, 80, 0.1)).toEqual(['0+skip', '0', '5', '9', '19']);
  });

  it('counts the look-back\'s BPF time too, and waits for a new rate to show its cost', () => {
    const g = new OverheadGovernor(1);
    let st = g.update(0, 0, 0);
    // 1.5 % of a core in BPF alone (15 ms a second), for 10 s: one step, not more.
    for (let i = 1; i <= 12; i++) st = g.update(i * 1000, 0, i * 15e6);
    expect(st.lookbackHz).toBe(9);
    expect(st.costPct).not.toBeNull();
  });
});
