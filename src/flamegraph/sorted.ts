// Stacks interned and sorted, in flat arrays: the common first step of the tree walk and the
// exports. Labels are renumbered in sorted order, so comparing two stacks is comparing small
// integers, equal stacks end up adjacent, and a rank maps straight back to its label.
import type { FoldedStack } from '../model/stack.js';

export interface SortedStacks {
  /** Every distinct label, sorted (JavaScript string order); a frame is its index here. */
  labels: string[];
  /** Stack i's frames are ranks[offsets[i] .. offsets[i + 1]). */
  ranks: Int32Array;
  offsets: Int32Array;
  /** Samples of stack i in the main input (0 for a baseline stack)... */
  counts: number[];
  /** ...and in the baseline (0 for a main-input stack). */
  bases: number[];
  /** Stack indices in sorted order. */
  order: number[];
}

/**
 * Sort stacks (zero counts dropped) frame by frame. `prefixLast`: a stack sorts after its
 * extensions (the flame graph's left-to-right order: children left, self time right);
 * otherwise before them (as sort(1) orders lines).
 */
export function sortStacks(stacks: readonly FoldedStack[], prefixLast: boolean, baseline: readonly FoldedStack[] = []): SortedStacks {
  let frames = 0;
  let n = 0;
  for (const side of [stacks, baseline]) {
    for (const s of side) {
      if (s.count > 0) {
        frames += s.frames.length;
        n++;
      }
    }
  }
  const idOf = new Map<string, number>();
  const byId: string[] = [];
  const ranks = new Int32Array(frames);
  const offsets = new Int32Array(n + 1);
  const counts = new Array<number>(n);
  const bases = new Array<number>(n);
  let at = 0;
  let i = 0;
  for (const side of [stacks, baseline]) {
    const main = side === stacks;
    for (const s of side) {
      if (!(s.count > 0)) continue;
      offsets[i] = at;
      counts[i] = main ? s.count : 0;
      bases[i++] = main ? 0 : s.count;
      for (const f of s.frames) {
        let id = idOf.get(f);
        if (id === undefined) {
          id = byId.length;
          idOf.set(f, id);
          byId.push(f);
        }
        ranks[at++] = id;
      }
    }
  }
  offsets[n] = at;
  const idsByLabel = Array.from(byId.keys()).sort((a, b) => (byId[a] < byId[b] ? -1 : byId[a] > byId[b] ? 1 : 0));
  const rankOf = new Int32Array(byId.length);
  const labels = new Array<string>(byId.length);
  for (let r = 0; r < idsByLabel.length; r++) {
    rankOf[idsByLabel[r]] = r;
    labels[r] = byId[idsByLabel[r]];
  }
  for (let k = 0; k < frames; k++) ranks[k] = rankOf[ranks[k]];

  const last = prefixLast ? -1 : 1;
  const order = Array.from(counts.keys());
  order.sort((a, b) => {
    let p = offsets[a];
    let q = offsets[b];
    const pe = offsets[a + 1];
    const qe = offsets[b + 1];
    for (; p < pe && q < qe; p++, q++) if (ranks[p] !== ranks[q]) return ranks[p] - ranks[q];
    return last * (pe - p - (qe - q));
  });
  return { labels, ranks, offsets, counts, bases, order };
}

/** Whether sorted stacks a and b (indices) have the same frames. */
export function sameStack(s: SortedStacks, a: number, b: number): boolean {
  const { ranks, offsets } = s;
  const len = offsets[a + 1] - offsets[a];
  if (len !== offsets[b + 1] - offsets[b]) return false;
  for (let k = 0; k < len; k++) if (ranks[offsets[a] + k] !== ranks[offsets[b] + k]) return false;
  return true;
}

/**
 * Identical stacks merged, in sorted order: for each, its frames as ranks (a subarray view)
 * and its summed count. Main-input counts only.
 */
export function* mergedStacks(s: SortedStacks): Generator<{ ranks: Int32Array; count: number }> {
  const { order, offsets, ranks, counts } = s;
  for (let k = 0; k < order.length; ) {
    const i = order[k];
    let count = counts[i];
    let j = k + 1;
    while (j < order.length && sameStack(s, i, order[j])) count += counts[order[j++]];
    k = j;
    if (count > 0) yield { ranks: ranks.subarray(offsets[i], offsets[i + 1]), count };
  }
}
