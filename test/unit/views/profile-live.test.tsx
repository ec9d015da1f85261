// The live profile view's keys: s switches self/total order, g cycles all/process/pod
// grouping, q quits; and the model it is fed (liveTop) merges ungrouped rows by name.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { ProfileApp, type ProfileStore } from '../../../src/views/profile-live.js';
import { liveTop } from '../../../src/profile/top.js';
import type { LiveProfileTop, ProfileSample } from '../../../src/model/stack.js';

function sample(comm: string, pid: number, pod: string | undefined, frames: string[], count: number): ProfileSample {
  return { tgid: pid, pid, comm, cgroupId: 1, pod, namespace: pod ? 'shop' : undefined, frames: frames.map((name) => ({ name, kind: 'user' })), count };
}

// hot_leaf is the top by self (leaf of 60); walk is the top by total (on 90 stacks, leaf of none).
const samples = [
  sample('api', 10, 'api-7f', ['main', 'walk', 'hot_leaf'], 60),
  sample('api', 10, 'api-7f', ['main', 'walk', 'warm_leaf'], 30),
  sample('db', 20, undefined, ['main', 'other_leaf'], 10),
];

function storeOf(top: LiveProfileTop): ProfileStore {
  const state = { snap: top, elapsedS: 3, done: false }; // one object: useSyncExternalStore compares by identity
  return { subscribe: () => () => {}, get: () => state };
}

const firstFunction = (frame: string) => /%\s+(?:\S+\s+)?(\w+)\s*$/m.exec(frame.split('\n').slice(3).join('\n'))?.[1];
const tick = () => new Promise((r) => setTimeout(r, 20));

afterEach(() => cleanup());

describe('liveTop', () => {
  it('ungrouped, one row per function across processes; grouped, one per process', () => {
    const top = liveTop(samples, 100, false);
    expect(top.totalSamples).toBe(100);
    const main = top.groups.none.filter((f) => f.name === 'main');
    expect(main).toEqual([{ name: 'main', group: '', self: 0, total: 100 }]);
    expect(top.groups.process.filter((f) => f.name === 'main').map((f) => f.group).sort()).toEqual(['api', 'db']);
  });
});

describe('ProfileApp keys', () => {
  it('s switches the order between self and total', async () => {
    const ui = render(<ProfileApp store={storeOf(liveTop(samples, 100, false))} onQuit={() => {}} initial="none" interactive />);
    await tick();
    expect(ui.lastFrame()).toMatch(/by self, all processes/);
    expect(ui.lastFrame()!.indexOf('hot_leaf')).toBeLessThan(ui.lastFrame()!.indexOf('walk'));
    ui.stdin.write('s');
    await tick();
    expect(ui.lastFrame()).toMatch(/by total, all processes/);
    expect(ui.lastFrame()!.indexOf('main')).toBeLessThan(ui.lastFrame()!.indexOf('hot_leaf'));
  });

  it('g cycles all processes → per process → per pod, with the group column', async () => {
    const ui = render(<ProfileApp store={storeOf(liveTop(samples, 100, false))} onQuit={() => {}} initial="none" interactive />);
    await tick();
    expect(ui.lastFrame()).not.toMatch(/PROCESS\/POD/);
    ui.stdin.write('g');
    await tick();
    expect(ui.lastFrame()).toMatch(/per process/);
    expect(ui.lastFrame()).toMatch(/PROCESS\/POD/);
    expect(ui.lastFrame()).toMatch(/db\s+other_leaf/);
    ui.stdin.write('g');
    await tick();
    expect(ui.lastFrame()).toMatch(/per pod/);
    expect(ui.lastFrame()).toMatch(/shop\/api-7f\s+hot_leaf|api-7f\s+hot_leaf/);
    ui.stdin.write('g');
    await tick();
    expect(ui.lastFrame()).toMatch(/all processes/);
  });

  it('q quits', async () => {
    const onQuit = vi.fn();
    const ui = render(<ProfileApp store={storeOf(liveTop(samples, 100, false))} onQuit={onQuit} initial="process" interactive />);
    await tick();
    expect(onQuit).not.toHaveBeenCalled();
    ui.stdin.write('q');
    await tick();
    expect(onQuit).toHaveBeenCalledTimes(1);
  });

  it('waits for samples with a line saying so', async () => {
    const ui = render(<ProfileApp store={storeOf({ totalSamples: 0, groups: { none: [], process: [], pod: [] } })} onQuit={() => {}} initial="none" interactive />);
    await tick();
    expect(ui.lastFrame()).toMatch(/no samples yet/);
    expect(firstFunction(ui.lastFrame()!)).toBeUndefined();
  });
});
