// The top functions of a profile by self and total samples (like perf top): the live
// view, --plain and --json summaries. Works on collapsed stacks, so captures and folded
// files give the same answer.
import type { FoldedStack } from '../model/stack.js';

export interface TopFunction {
  name: string;
  /** Samples where the function is the leaf. */
  self: number;
  /** Samples where it is anywhere on the stack (counted once per stack, recursion or not). */
  total: number;
}

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

export interface GroupedFunction extends TopFunction {
  /** The stack's root frame (process, pod, container), or '' with no grouping. */
  group: string;
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
