// Collapsed files may carry fractional counts (weights): every renderer must draw and
// export them as they are, not as integers and not with float noise.
import { describe, it, expect } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { parseFolded, renderDiffSvg, renderSvg, toFolded, toPprof, toSpeedscope } from '../../../src/flamegraph/index.js';
import { flameTree } from '../../../src/flamegraph/html.js';
import type { FoldedStack } from '../../../src/model/stack.js';
import { pathTotals, readSvg } from './helpers.js';

// Weights well under one "sample": an integer-only renderer would drop or round them all.
const stacks: FoldedStack[] = parseFolded('main;a 0.25\nmain;a;x 0.5\nmain;b 1.5\nmain;c 0.125\n').stacks;
const total = 0.25 + 0.5 + 1.5 + 0.125;

describe('fractional counts', () => {
  it('SVG: widths and counts in proportion, nothing pruned away', () => {
    const { frames, width } = readSvg(renderSvg(stacks));
    const byName = new Map(frames.map((f) => [f.name, f]));
    expect([...byName.keys()].sort()).toEqual(['a', 'all', 'b', 'c', 'main', 'x']);
    expect(byName.get('all')!.sw).toBe(total);
    expect(byName.get('a')!.sw).toBe(0.75);
    expect(byName.get('a')!.titleCount).toBe(0.75);
    expect(byName.get('c')!.titleCount).toBe(0.13); // two decimals in the title; hf:w is exact
    expect(byName.get('c')!.sw).toBe(0.125);
    const full = width - 20;
    expect(byName.get('b')!.width).toBeCloseTo((1.5 / total) * full, 2);
  });

  it('SVG: --min-width prunes by width, whatever the unit of the counts', () => {
    // c is 0.125 of 2.375 → 62 px of 1180; a min width of 100 px leaves it (and only it, x being 248 px) out.
    const { frames } = readSvg(renderSvg(stacks, { minWidth: 100 }));
    expect(frames.map((f) => f.name).sort()).toEqual(['a', 'all', 'b', 'main', 'x']);
  });

  it('differential SVG of fractional inputs', () => {
    const before = parseFolded('main;a 1.5\nmain;b 0.5\n').stacks;
    const { frames } = readSvg(renderDiffSvg(before, stacks, { minWidth: 0 }));
    expect(frames.find((f) => f.name === 'b')!.titleCount).toBe(1.5);
    expect(frames.find((f) => f.name === 'b')!.info).toMatch(/^b \(before 0\.5, after 1\.5 samples, \+/);
  });

  it('HTML tree values are the weights', () => {
    const tree = flameTree(stacks);
    expect(tree.value).toBe(total);
    expect(tree.children![0].children!.map((c) => [c.name, c.value])).toEqual([['a', 0.75], ['b', 1.5], ['c', 0.125]]);
  });

  it('folded round-trips', () => {
    expect(pathTotals(parseFolded(toFolded(stacks)).stacks)).toEqual(pathTotals(stacks));
  });

  it('speedscope weights are the counts', () => {
    const file = toSpeedscope(stacks);
    expect(file.profiles[0].weights.reduce((a, b) => a + b, 0)).toBe(total);
    expect(file.profiles[0].endValue).toBe(total);
  });

  it('pprof: cpu keeps the weight to the ns, samples are rounded', () => {
    const p = Profile.decode(gunzipSync(toPprof(stacks, { periodNs: 1e9 / 99 })));
    const values = p.sample.map((s) => s.value.map(Number));
    const period = 10_101_010; // rounded to a ns
    expect(values.map((v) => v[1]).sort((a, b) => a - b)).toEqual(stacks.map((s) => Math.round(s.count * period)).sort((a, b) => a - b));
    expect(values.map((v) => v[0]).sort((a, b) => a - b)).toEqual([0, 0, 1, 2]); // 0.125, 0.25 → 0; 0.5 → 1 (Math.round); 1.5 → 2
  });
});
