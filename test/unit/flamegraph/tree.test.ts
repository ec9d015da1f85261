import { describe, it, expect } from 'vitest';
import { buildPrunedTree, buildTree, walkTree, type FlameNode } from '../../../src/flamegraph/index.js';
import type { FoldedStack } from '../../../src/model/stack.js';
import { randomStacks } from './helpers.js';

interface Plain {
  name: string;
  self: number;
  total: number;
  children: Plain[];
}

/** The obvious way: a Map of children per node, sorted at the end. */
function naiveTree(stacks: FoldedStack[]): Plain {
  interface B { name: string; self: number; total: number; kids: Map<string, B> }
  const root: B = { name: 'all', self: 0, total: 0, kids: new Map() };
  for (const s of stacks) {
    if (!s.count) continue;
    root.total += s.count;
    let at = root;
    for (const f of s.frames) {
      let next = at.kids.get(f);
      if (!next) at.kids.set(f, (next = { name: f, self: 0, total: 0, kids: new Map() }));
      next.total += s.count;
      at = next;
    }
    at.self += s.count;
  }
  const plain = (b: B): Plain => ({
    name: b.name, self: b.self, total: b.total,
    children: [...b.kids.keys()].sort().map((k) => plain(b.kids.get(k)!)),
  });
  return plain(root);
}

function toPlain(n: FlameNode): Plain {
  return { name: n.name, self: n.self, total: n.total, children: n.children.map(toPlain) };
}

/** The naive tree without nodes under minTotal (the root stays); also how many went. */
function naivePruned(p: Plain, minTotal: number): { tree: Plain; pruned: number } {
  let pruned = 0;
  const count = (q: Plain): number => 1 + q.children.reduce((n, c) => n + count(c), 0);
  const keep = (q: Plain): Plain => ({
    ...q,
    children: q.children.filter((c) => (c.total >= minTotal ? true : ((pruned += count(c)), false))).map(keep),
  });
  return { tree: keep(p), pruned };
}

describe('buildTree', () => {
  it('equals a naive Map-based merge on random input', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const stacks = randomStacks(seed, 50 + seed * 40, 3 + (seed % 10), 3 + (seed % 6));
      expect(toPlain(buildTree(stacks))).toEqual(naiveTree(stacks));
    }
  });

  it('does not depend on input order, and leaves the input alone', () => {
    const stacks = randomStacks(99, 500);
    const copy = JSON.parse(JSON.stringify(stacks)) as FoldedStack[];
    const a = toPlain(buildTree(stacks));
    expect(stacks).toEqual(copy);
    expect(toPlain(buildTree([...stacks].reverse()))).toEqual(a);
  });

  it('keeps total = self + children, siblings sorted', () => {
    const root = buildTree(randomStacks(7, 2000, 20));
    walkTree(root, (n) => {
      expect(n.total).toBe(n.self + n.children.reduce((s, c) => s + c.total, 0));
      const names = n.children.map((c) => c.name);
      expect(names).toEqual([...names].sort());
      expect(new Set(names).size).toBe(names.length);
    });
  });

  it('handles a stack that is a prefix of another, and duplicates', () => {
    const root = buildTree([
      { frames: ['a', 'b'], count: 1 },
      { frames: ['a', 'b', 'c'], count: 2 },
      { frames: ['a', 'b'], count: 4 },
      { frames: ['a'], count: 8 },
    ]);
    expect(toPlain(root)).toEqual({
      name: 'all', self: 0, total: 15, children: [{
        name: 'a', self: 8, total: 15, children: [{
          name: 'b', self: 5, total: 7, children: [{ name: 'c', self: 2, total: 2, children: [] }],
        }],
      }],
    });
  });

  it('builds and walks 20,000-frame-deep stacks without recursion', () => {
    const deep = Array.from({ length: 20_000 }, (_, d) => `f${d % 7}`);
    const root = buildTree([{ frames: deep, count: 3 }, { frames: deep.slice(0, 10_000), count: 1 }]);
    let nodes = 0;
    let maxDepth = 0;
    walkTree(root, (n, d) => {
      nodes++;
      maxDepth = Math.max(maxDepth, d);
    });
    expect(nodes).toBe(20_001);
    expect(maxDepth).toBe(20_000);
  });

  it('with minTotal, allocates only the nodes that are big enough and counts the rest', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const stacks = randomStacks(seed, 400, 10, 5);
      const full = naiveTree(stacks);
      for (const minTotal of [2, 10, 60]) {
        const { tree, pruned } = naivePruned(full, minTotal);
        const got = buildPrunedTree(stacks, { minTotal });
        expect(toPlain(got.root)).toEqual(tree);
        expect(got.pruned).toBe(pruned);
      }
    }
  });

  it('gives each node its left edge in samples: children left-packed, self on the right', () => {
    const root = buildTree(randomStacks(8, 500));
    expect(root.start).toBe(0);
    walkTree(root, (n) => {
      let x = n.start;
      for (const c of n.children) {
        expect(c.start).toBe(x);
        x += c.total;
      }
      expect(n.start + n.total - x).toBe(n.self);
    });
  });

  it('with a baseline, gives each node the baseline\'s total on the same path, in the shape of the input', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const after = randomStacks(seed, 300, 8, 5);
      const before = randomStacks(seed + 100, 300, 8, 5);
      const { root, baseOnly } = buildPrunedTree(after, { baseline: before });
      expect(toPlain(root)).toEqual(naiveTree(after));
      const a = naiveTree(after);
      const b = naiveTree(before);
      // walk both naive trees: base = before's total at the same path; count before-only tops
      let expectOnly = 0;
      const check = (node: FlameNode, pa: Plain, pb: Plain | undefined): void => {
        expect(node.base).toBe(pb?.total ?? 0);
        for (const bc of pb?.children ?? []) if (!pa.children.some((c) => c.name === bc.name)) expectOnly++;
        node.children.forEach((c, k) => check(c, pa.children[k], pb?.children.find((x) => x.name === c.name)));
      };
      check(root, a, b);
      expect(baseOnly).toBe(expectOnly);
    }
  });

  it('merges 100k unique stacks of depth 5–40 quickly when pruned as the SVG does', () => {
    const stacks: FoldedStack[] = [];
    let seed = 1;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 100_000; i++) {
      const depth = 5 + Math.floor(next() * 36);
      const frames = Array.from({ length: depth }, (_, d) => `mod${d % 5}::fn_${Math.floor(next() ** 2 * (4 + d * 3))}`);
      frames.push(`leaf_${i}`);
      stacks.push({ frames, count: 1 + Math.floor(1000 / (1 + i)) });
    }
    const total = stacks.reduce((n, s) => n + s.count, 0);
    const t0 = performance.now();
    const tree = buildPrunedTree(stacks, { minTotal: Math.ceil((total * 0.1) / 1180) });
    const ms = performance.now() - t0;
    expect(tree.root.total).toBe(total);
    expect(ms).toBeLessThan(5000); // ~0.5 s on the 2-core VM; a loose guard against O(n²)
    const full = buildTree(stacks); // the whole tree (1.8M nodes) must build too
    expect(full.total).toBe(total);
  });
});
