// The top functions of a profile by self and total samples (like perf top): the live
// view, --plain and --json summaries. Works on collapsed stacks, so captures and folded
// files give the same answer.
import { LIVE_GROUPS, type FoldedStack, type GroupedFunction, type LiveProfileTop, type ProfileKind, type ProfileSample, type TopFunction } from '../model/stack.js';
import { foldSamples } from './fold.js';

export type { GroupedFunction, TopFunction };


export function topFunctions(stacks: FoldedStack[], opts: { skipRoot?: boolean } = {}): { functions: TopFunction[]; samples: number } {
  const byName = new Map<string, TopFunction>();
  let samples = 0;
  for (const s of stacks) {
    samples += s.count;
    const frames = opts.skipRoot ? s.frames.slice(1) : s.frames;
    const seen = new Set<string>();
    frames.forEach((name, i) => {
      let f = byName.get(name);
      if (!f) byName.set(name, (f = { name, self: 0, total: 0 }));
      if (!seen.has(name)) {
        f.total += s.count;
        seen.add(name);
      }
      if (i === frames.length - 1) f.self += s.count;
    });
  }
  return { functions: [...byName.values()], samples };
}


/** Top functions within each group, the group being each stack's first frame. */
export function topFunctionsByGroup(stacks: FoldedStack[]): GroupedFunction[] {
  const byKey = new Map<string, GroupedFunction>();
  for (const s of stacks) {
    const [group, ...frames] = s.frames;
    const seen = new Set<string>();
    frames.forEach((name, i) => {
      const key = `${group}\u0000${name}`;
      let f = byKey.get(key);
      if (!f) byKey.set(key, (f = { group, name, self: 0, total: 0 }));
      if (!seen.has(name)) {
        f.total += s.count;
        seen.add(name);
      }
      if (i === frames.length - 1) f.self += s.count;
    });
  }
  return [...byKey.values()];
}

/** The live view's model: top functions for each grouping, ungrouped rows merged by name. */
export function liveTop(samples: ProfileSample[], totalSamples: number, perPid: boolean, kind: ProfileKind = 'cpu'): LiveProfileTop {
  const groups = {} as LiveProfileTop['groups'];
  for (const g of LIVE_GROUPS) {
    const list = topFunctionsByGroup(foldSamples(samples, g === 'none' ? 'process' : g, perPid));
    groups[g] = g === 'none' ? mergeGroups(list) : list;
  }
  return { kind, totalSamples, groups };
}

/** The same function in two groups is one row. */
function mergeGroups(list: GroupedFunction[]): GroupedFunction[] {
  const by = new Map<string, GroupedFunction>();
  for (const f of list) {
    const m = by.get(f.name);
    if (m) {
      m.self += f.self;
      m.total += f.total;
    } else by.set(f.name, { ...f, group: '' });
  }
  return [...by.values()];
}
