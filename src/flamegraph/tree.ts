// Stacks → a call tree, by a sorted-prefix walk (flamegraph.pl's idea): sort the stacks
// frame-wise, then walk them keeping only the current path. Consecutive stacks share their
// common prefix, so the frames under any node are one contiguous run of stacks: a node opens
// when the path first reaches it and closes when the path leaves it, and at that moment its
// total (samples since it opened) is known. No per-node child map, children come out in
// alphabetical order, nothing recurses (1,000-frame stacks are fine), and with `minTotal` a
// node too small to draw is never allocated — only counted.
import type { FoldedStack } from '../model/stack.js';
import { sortStacks } from './sorted.js';
import { checkStacks } from './stacks.js';

export interface FlameNode {
  /** The frame's collapsed label (with any `_[k]`/`_[j]` suffix); the root is `all`. */
  readonly name: string;
  /** Samples whose leaf is this frame. */
  readonly self: number;
  /** Samples through this frame: self plus all children's totals (pruned ones included). */
  readonly total: number;
  /** Samples left of this frame in the whole graph (its x in samples; the root's is 0). */
  readonly start: number;
  /** Sorted by name (JavaScript string order). */
  readonly children: readonly FlameNode[];
  /** With a baseline (differential graphs): the baseline's total samples at this call path. */
  readonly base?: number;
}

export interface TreeOptions {
  /** Name of the root (default "all"). */
  rootName?: string;
  /** Leave out nodes with fewer total samples (and so their subtrees); the root is always kept.
   *  A function gets the input's total samples. */
  minTotal?: number | ((total: number) => number);
  /** Names the input in errors ("AFTER", ...). */
  what?: string;
  /** Stacks to compare with (a differential graph's BEFORE): each node gets `base`. The tree
   *  keeps the shape of `stacks`; call paths only in the baseline get no node. */
  baseline?: readonly FoldedStack[];
  /** Names the baseline in errors (default "baseline"). */
  baselineWhat?: string;
}

export interface Tree {
  root: FlameNode;
  /** Nodes left out by minTotal. */
  pruned: number;
  /** Call paths only in the baseline (each counted once, not its callees). */
  baseOnly: number;
}

const NO_CHILDREN: readonly FlameNode[] = Object.freeze([]);

/** Merge stacks into a tree; see TreeOptions. Throws on invalid stacks or no samples. */
export function buildPrunedTree(stacks: readonly FoldedStack[], opts: TreeOptions = {}): Tree {
  const total = checkStacks(stacks, opts.what);
  const baseline = opts.baseline;
  const baseTotal = baseline ? checkStacks(baseline, opts.baselineWhat ?? 'baseline') : 0;
  // Counts may be fractional: any positive total is kept unless minTotal says otherwise.
  const minTotal = (typeof opts.minTotal === 'function' ? opts.minTotal(total) : opts.minTotal) ?? 0;
  const { labels, ranks, offsets, counts, bases, order } = sortStacks(stacks, true, baseline);

  // The open path, per depth (0 is the root, d ≥ 1 the previous stack's frame d − 1): label
  // rank, samples before it opened (and baseline samples), self samples, kept children, and
  // baseline-only children waiting to learn whether this node is baseline-only too.
  const name: number[] = [-1];
  const start: number[] = [0];
  const baseStart: number[] = [0];
  const self: number[] = [0];
  const kids: FlameNode[][] = [[]];
  const baseOnlyKids: number[] = [0];
  let open = 1;
  let cum = 0;
  let baseCum = 0;
  let pruned = 0;
  let baseOnly = 0;
  const done: { root?: FlameNode } = {};

  const close = (d: number): void => {
    const t = cum - start[d];
    if (t === 0) {
      // Only the baseline reached this path; count it at the top of such a subtree.
      if (d > 0) baseOnlyKids[d - 1] += 1;
    } else {
      baseOnly += baseOnlyKids[d];
      if (d === 0 || t >= minTotal) {
        const children = kids[d].length > 0 ? kids[d] : NO_CHILDREN;
        const node: FlameNode = baseline
          ? { name: d === 0 ? (opts.rootName ?? 'all') : labels[name[d]], self: self[d], total: t, start: start[d], children, base: baseCum - baseStart[d] }
          : { name: d === 0 ? (opts.rootName ?? 'all') : labels[name[d]], self: self[d], total: t, start: start[d], children };
        if (d === 0) done.root = node;
        else kids[d - 1].push(node);
      } else {
        pruned++; // its children were smaller still: pruned too, kids[d] is empty
      }
    }
    baseOnlyKids[d] = 0;
    if (kids[d].length > 0) kids[d] = [];
  };

  let prevFrom = 0;
  let prevTo = 0;
  for (const i of order) {
    const from = offsets[i];
    const to = offsets[i + 1];
    // Common prefix with the previous stack (in sorted order).
    let common = 0;
    const n = Math.min(to - from, prevTo - prevFrom);
    while (common < n && ranks[from + common] === ranks[prevFrom + common]) common++;
    while (open > common + 1) close(--open);
    for (let k = from + common; k < to; k++, open++) {
      name[open] = ranks[k];
      start[open] = cum;
      baseStart[open] = baseCum;
      self[open] = 0;
      baseOnlyKids[open] = 0;
      if (kids.length <= open) kids.push([]);
    }
    self[open - 1] += counts[i];
    cum += counts[i];
    baseCum += bases[i];
    prevFrom = from;
    prevTo = to;
  }
  while (open > 0) close(--open);
  // Fractional counts add up in another order here than in checkStacks: equal to rounding.
  const lost = (a: number, b: number) => Math.abs(a - b) > 1e-9 * Math.max(a, b);
  if (lost(cum, total) || lost(baseCum, baseTotal)) throw new Error('tree: samples lost in the merge'); // cannot happen
  return { root: done.root!, pruned, baseOnly };
}

/** The whole tree (nothing pruned). */
export function buildTree(stacks: readonly FoldedStack[], rootName = 'all', what = 'stacks'): FlameNode {
  return buildPrunedTree(stacks, { rootName, what }).root;
}

/** Visit every node, parents before children, siblings in order, without recursion. */
export function walkTree(root: FlameNode, visit: (node: FlameNode, depth: number) => void): void {
  const nodes: FlameNode[] = [root];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    visit(node, depth);
    for (let c = node.children.length - 1; c >= 0; c--) {
      nodes.push(node.children[c]);
      depths.push(depth + 1);
    }
  }
}
