import { describe, it, expect } from 'vitest';
import { renderDiffSvg } from '../../../src/flamegraph/index.js';
import type { FoldedStack } from '../../../src/model/stack.js';
import { pathTotals, randomStacks, readSvg, rgbOf } from './helpers.js';
import { byId, textOf } from './xml-parser.js';

const before: FoldedStack[] = [
  { frames: ['app', 'main', 'parse'], count: 40 },
  { frames: ['app', 'main', 'render'], count: 40 },
  { frames: ['app', 'main', 'io', 'read_[k]'], count: 20 },
  { frames: ['app', 'gone'], count: 0 },
];
// Twice the samples: parse doubles its share, render drops, io keeps its share.
const after: FoldedStack[] = [
  { frames: ['app', 'main', 'parse'], count: 120 },
  { frames: ['app', 'main', 'render'], count: 40 },
  { frames: ['app', 'main', 'io', 'read_[k]'], count: 40 },
];

describe('renderDiffSvg', () => {
  const svg = renderDiffSvg(before, after, { title: 'diff' });
  const { frames } = readSvg(svg);
  const by = new Map(frames.map((f) => [f.label, f]));

  it('has the shape of AFTER', () => {
    const expected = pathTotals(after);
    expect(frames).toHaveLength(expected.size);
    for (const f of frames) {
      expect(f.titleCount).toBe(expected.get(f.path));
      expect(f.sw).toBe(f.titleCount);
    }
  });

  it('colours grown frames red, shrunk ones blue, unchanged ones neither (normalized)', () => {
    const [pr, , pb] = rgbOf(by.get('parse')!.fill);
    expect(pr).toBe(255);
    expect(pb).toBeLessThan(pr);
    const [rr, , rb] = rgbOf(by.get('render')!.fill);
    expect(rb).toBe(255);
    expect(rr).toBeLessThan(rb);
    for (const same of ['io', 'read_[k]', 'all', 'app', 'main']) {
      const [r, g, b] = rgbOf(by.get(same)!.fill);
      expect([r, g, b]).toEqual([235, 235, 235]);
    }
  });

  it('shows both counts and the change of share in the tooltip', () => {
    // parse: 40 of 100 → 120 of 200 = +20 points; render: 40/100 → 40/200 = −20 points.
    expect(by.get('parse')!.info).toBe('parse (before 40, after 120 samples, +20.00%)');
    expect(by.get('render')!.info).toBe('render (before 40, after 40 samples, -20.00%)');
    expect(by.get('read_[k]')!.info).toBe('read (before 20, after 40 samples, 0.00%)');
    expect(by.get('read_[k]')!.cls).toBe('k');
  });

  it('colours by raw counts with normalize: false', () => {
    const raw = readSvg(renderDiffSvg(before, after, { normalize: false })).frames;
    const io = raw.find((f) => f.label === 'io')!;
    expect(rgbOf(io.fill)[0]).toBe(255); // 20 → 40 samples: grew
    const render = raw.find((f) => f.label === 'render')!;
    expect(rgbOf(render.fill)).toEqual([235, 235, 235]);
  });

  it('--diff-rule difffolded: colours by self samples, raw, as difffolded.pl | flamegraph.pl; callers keep their colour', () => {
    const grey = [235, 235, 235];
    const raw = new Map(readSvg(renderDiffSvg(before, after, { rule: 'difffolded' })).frames.map((f) => [f.label, f]));
    // Self 40 → 120 and 20 → 40 grew; render's 40 → 40 did not; main and io spend nothing themselves.
    expect(rgbOf(raw.get('parse')!.fill)[0]).toBe(255);
    expect(rgbOf(raw.get('read_[k]')!.fill)[0]).toBe(255);
    for (const same of ['render', 'main', 'io', 'app', 'all']) expect(rgbOf(raw.get(same)!.fill), same).toEqual(grey);
    expect(raw.get('parse')!.info).toBe('parse (before 40, after 120 samples, +40.00%)'); // +80 of 200
    // Normalized (difffolded.pl -n): BEFORE doubled first, so render shrank and read kept its share.
    const norm = new Map(readSvg(renderDiffSvg(before, after, { rule: 'difffolded', normalize: true })).frames.map((f) => [f.label, f]));
    expect(rgbOf(norm.get('render')!.fill)[2]).toBe(255);
    expect(rgbOf(norm.get('read_[k]')!.fill)).toEqual(grey);
    expect(rgbOf(norm.get('main')!.fill)).toEqual(grey);
    // The share rule colours main too when counted raw: its inclusive total grew.
    const share = new Map(readSvg(renderDiffSvg(before, after, { normalize: false })).frames.map((f) => [f.label, f]));
    expect(rgbOf(share.get('main')!.fill)[0]).toBe(255);
  });

  it('does not draw frames only in BEFORE, and says so', () => {
    const b2 = [...before, { frames: ['app', 'old_path', 'x'], count: 10 }, { frames: ['zzz'], count: 5 }];
    const parsed = readSvg(renderDiffSvg(b2, after));
    expect(parsed.frames.some((f) => f.name === 'old_path' || f.name === 'zzz')).toBe(false);
    expect(textOf(byId(parsed.root, 'subtitle'))).toBe('2 call paths only in BEFORE not drawn');
    expect(textOf(byId(parsed.root, 'title'))).toBe('Differential Flame Graph');
  });

  it('matches random inputs path by path', () => {
    const b = randomStacks(11, 300);
    const a = randomStacks(12, 300);
    const bt = pathTotals(b);
    const at = pathTotals(a);
    const factor = at.get('')! / bt.get('')!;
    const { frames: fs } = readSvg(renderDiffSvg(b, a, { minWidth: 0 }));
    expect(fs).toHaveLength(at.size);
    for (const f of fs) {
      const m = /\(before ([\d,]+), after/.exec(f.info)!;
      expect(Number(m[1].replace(/,/g, ''))).toBe(bt.get(f.path) ?? 0);
      const delta = at.get(f.path)! - (bt.get(f.path) ?? 0) * factor;
      const [r, , b2] = rgbOf(f.fill);
      if (delta > 1e-6) expect(r).toBeGreaterThan(b2);
      else if (delta < -1e-6) expect(b2).toBeGreaterThan(r);
    }
  });

  it('names the empty side in its error', () => {
    expect(() => renderDiffSvg([], after)).toThrow(/BEFORE: no samples/);
    expect(() => renderDiffSvg(before, [])).toThrow(/AFTER: no samples/);
  });
});
