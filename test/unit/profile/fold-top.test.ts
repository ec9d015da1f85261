import { describe, it, expect } from 'vitest';
import { foldSamples } from '../../../src/profile/fold.js';
import { topFunctions } from '../../../src/profile/top.js';
import type { ProfileSample } from '../../../src/model/stack.js';

const sample = (over: Partial<ProfileSample>): ProfileSample => ({
  tgid: 10, pid: 10, comm: 'app', cgroupId: 1, count: 1,
  frames: [{ name: 'main', kind: 'user' }, { name: 'work', kind: 'user' }, { name: 'do_syscall_64', kind: 'kernel' }],
  ...over,
});

describe('foldSamples', () => {
  it('roots stacks by process, pod or container and sums identical ones', () => {
    const s = [sample({ count: 2 }), sample({ count: 3 }), sample({ tgid: 11, count: 1, pod: 'p', namespace: 'ns', container: 'c' })];
    expect(foldSamples(s, 'process')).toEqual([{ frames: ['app', 'main', 'work', 'do_syscall_64_[k]'], count: 6 }]);
    expect(foldSamples(s, 'process', true).map((x) => [x.frames[0], x.count])).toEqual([['app-10', 5], ['app-11', 1]]);
    expect(foldSamples(s, 'pod').map((x) => [x.frames[0], x.count])).toEqual([['(host)', 5], ['ns/p', 1]]);
    expect(foldSamples(s, 'container').map((x) => x.frames[0])).toEqual(['(host)', 'ns/p/c']);
    expect(foldSamples(s, 'none')[0].frames[0]).toBe('main');
  });
});

describe('topFunctions', () => {
  it('counts self at the leaf and total once per stack, even when recursive', () => {
    const { functions, samples } = topFunctions([
      { frames: ['a', 'b', 'a'], count: 2 },
      { frames: ['a', 'c'], count: 3 },
    ]);
    const by = Object.fromEntries(functions.map((f) => [f.name, f]));
    expect(samples).toBe(5);
    expect(by.a).toEqual({ name: 'a', self: 2, total: 5 });
    expect(by.b).toEqual({ name: 'b', self: 0, total: 2 });
    expect(by.c).toEqual({ name: 'c', self: 3, total: 3 });
  });
});
