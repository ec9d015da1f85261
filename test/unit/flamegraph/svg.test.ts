import { describe, it, expect } from 'vitest';
import { renderSvg, PAD, HF_NS } from '../../../src/flamegraph/index.js';
import { FONT_WIDTH } from '../../../src/flamegraph/svg.js';
import { HuatuoError } from '../../../src/errors.js';
import type { FoldedStack } from '../../../src/model/stack.js';
import { pathTotals, randomStacks, readSvg, rgbOf, type SvgFrame } from './helpers.js';
import { byId, parseXml, textOf } from './xml-parser.js';

const EPS = 1e-3; // coordinates are written with 3 decimals

function totalOf(stacks: FoldedStack[]): number {
  return stacks.reduce((n, s) => n + s.count, 0);
}

describe('renderSvg: document', () => {
  const stacks = randomStacks(1, 400);
  const svg = renderSvg(stacks, { title: 'cpu', meta: { tool: 'profile', host: 'node-1', pod: 'shop/api-5c', durationS: 30, samples: 4321 } });

  it('is well-formed XML with the SVG namespace, a viewBox and our own namespace', () => {
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs['xmlns:hf']).toBe(HF_NS);
    expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`);
    expect(Number(root.attrs.width)).toBe(1200);
  });

  it('has the controls the browser tests drive, by stable id', () => {
    const root = parseXml(svg);
    expect(textOf(byId(root, 'title'))).toBe('cpu');
    expect(textOf(byId(root, 'subtitle'))).toBe('profile · host node-1 · pod shop/api-5c · 30 s · 4,321 samples');
    expect(byId(root, 'unzoom').attrs.class).toBe('hide');
    expect(textOf(byId(root, 'unzoom'))).toBe('Reset Zoom');
    expect(textOf(byId(root, 'search'))).toBe('Search');
    expect(textOf(byId(root, 'details'))).toBe(' ');
    expect(textOf(byId(root, 'matched'))).toBe(' ');
  });

  it('embeds ES5 script in CDATA that compiles and uses window.prompt', () => {
    const root = parseXml(svg);
    const script = root.children.filter((c) => typeof c !== 'string' && c.name === 'script')[0];
    expect(script).toBeDefined();
    expect(svg).toMatch(/<script type="text\/ecmascript"><!\[CDATA\[/);
    const code = textOf(script!);
    expect(() => new Function(code)).not.toThrow();
    expect(code).toContain('window.prompt(');
    expect(code).not.toMatch(/=>|\b(?:let|const|class)\s+[A-Za-z_$]|`/);
  });

  it('is byte-identical when rendered twice', () => {
    expect(renderSvg(stacks, { title: 'cpu', meta: { tool: 'profile', host: 'node-1', pod: 'shop/api-5c', durationS: 30, samples: 4321 } })).toBe(svg);
  });
});

describe('renderSvg: geometry and counts', () => {
  for (const seed of [2, 3, 4]) {
    const stacks = randomStacks(seed, 600);
    const total = totalOf(stacks);
    const { frames, width } = readSvg(renderSvg(stacks, { minWidth: 0 }));
    const scale = (width - 2 * PAD) / total;

    it(`seed ${seed}: every frame is count × (width − 2·pad) / total wide, at pad + offset × that`, () => {
      for (const f of frames) {
        expect(Math.abs(f.width - f.sw * scale)).toBeLessThanOrEqual(EPS);
        expect(Math.abs(f.x - (PAD + f.sx * scale))).toBeLessThanOrEqual(EPS);
        expect(f.titleCount).toBe(f.sw);
      }
    });

    it(`seed ${seed}: each title's count is the independent aggregation of the input`, () => {
      const expected = pathTotals(stacks);
      expect(frames.length).toBe(expected.size); // minWidth 0: every call path is drawn
      for (const f of frames) {
        expect(f.titleCount).toBe(expected.get(f.path));
        expect(f.titlePct).toBeCloseTo((100 * f.titleCount) / total, 2);
      }
    });

    it(`seed ${seed}: frames come parents first (depth-first document order)`, () => {
      const index = new Map(frames.map((f, i) => [f, i]));
      for (const f of frames) if (f.parent) expect(index.get(f.parent)!).toBeLessThan(index.get(f)!);
    });

    it(`seed ${seed}: children lie inside their parent; siblings are alphabetical`, () => {
      const kids = new Map<SvgFrame, SvgFrame[]>();
      for (const f of frames) {
        if (!f.parent) continue;
        expect(f.sx).toBeGreaterThanOrEqual(f.parent.sx);
        expect(f.sx + f.sw).toBeLessThanOrEqual(f.parent.sx + f.parent.sw);
        expect(f.x).toBeGreaterThanOrEqual(f.parent.x - EPS);
        expect(f.x + f.width).toBeLessThanOrEqual(f.parent.x + f.parent.width + 2 * EPS);
        kids.set(f.parent, [...(kids.get(f.parent) ?? []), f]);
      }
      for (const [parent, list] of kids) {
        const labels = list.sort((a, b) => a.sx - b.sx).map((f) => f.label);
        expect(labels).toEqual([...labels].sort());
        // left-packed: the first child starts at the parent's left edge, no gaps between
        let x = parent.sx;
        for (const f of list) {
          expect(f.sx).toBe(x);
          x += f.sw;
        }
      }
    });
  }
});

describe('renderSvg: other widths', () => {
  it('scales to the width asked for', () => {
    const stacks = randomStacks(9, 300);
    const total = totalOf(stacks);
    const { frames, width, root } = readSvg(renderSvg(stacks, { width: 800, minWidth: 0 }));
    expect(width).toBe(800);
    expect(root.attrs.viewBox.startsWith('0 0 800 ')).toBe(true);
    for (const f of frames) expect(Math.abs(f.width - (f.sw * (800 - 2 * PAD)) / total)).toBeLessThanOrEqual(EPS);
  });
});

describe('renderSvg: minimum width', () => {
  it('leaves out frames narrower than minWidth and counts them in the subtitle', () => {
    const stacks = randomStacks(5, 3000, 14);
    const total = totalOf(stacks);
    const minWidth = 2;
    const parsed = readSvg(renderSvg(stacks, { minWidth }));
    const scale = (parsed.width - 2 * PAD) / total;
    const expected = pathTotals(stacks);
    const wide = [...expected].filter(([, n]) => n * scale >= minWidth).map(([p]) => p);
    expect(parsed.frames.map((f) => f.path).sort()).toEqual(wide.sort());
    for (const f of parsed.frames) expect(f.width).toBeGreaterThanOrEqual(minWidth - EPS);
    const missing = expected.size - wide.length;
    expect(missing).toBeGreaterThan(0);
    expect(textOf(byId(parsed.root, 'subtitle'))).toBe(`${missing.toLocaleString('en-US')} frames narrower than 2 px not drawn`);
  });

  it('prunes at 0.1 px by default', () => {
    const stacks: FoldedStack[] = [{ frames: ['big'], count: 100_000 }, { frames: ['tiny'], count: 1 }];
    const { frames, root } = readSvg(renderSvg(stacks));
    expect(frames.map((f) => f.name)).toEqual(['all', 'big']);
    expect(textOf(byId(root, 'subtitle'))).toBe('1 frames narrower than 0.1 px not drawn');
  });

  it('rejects a bad minimum width as a usage error', () => {
    expect(() => renderSvg([{ frames: ['a'], count: 1 }], { minWidth: Number.NaN })).toThrow(/minimum frame width/);
  });
});

describe('renderSvg: names, labels and colours', () => {
  const nasty = ['<script>', 'a & b', '"quoted"', "it's", 'two  spaces', 'ünïcödé 漢字 😀', 'ctl\u0001\u0007x', 'lone\ud800'];

  it('escapes <>&"\', keeps spaces and Unicode, and round-trips names through a parser', () => {
    const stacks = nasty.map((n, i) => ({ frames: ['root', n], count: 10 + i }));
    const svg = renderSvg(stacks);
    const { frames } = readSvg(svg);
    const names = frames.filter((f) => f.depth === 2).map((f) => f.name);
    const expected = nasty.map((n) => n.replace(/[\u0001\u0007]|\ud800/g, '\ufffd'));
    expect(names.sort()).toEqual(expected.sort());
    expect(svg.split('<script').length - 1).toBe(1); // only the real <script type=...> tag
    expect(svg).toContain('&lt;script&gt;');
  });

  it('strips _[k] / _[j] / _[i] from labels and uses them for class and colour', () => {
    const stacks: FoldedStack[] = [
      { frames: ['app', 'main', 'do_syscall_64_[k]', 'vfs_read_[k]'], count: 50 },
      { frames: ['app', 'main', 'Interpreter_[j]'], count: 30 },
      { frames: ['app', 'main', 'inlined_helper_[i]'], count: 20 },
    ];
    const { frames } = readSvg(renderSvg(stacks));
    const by = new Map(frames.map((f) => [f.label, f]));
    for (const [label, cls] of [['vfs_read_[k]', 'k'], ['do_syscall_64_[k]', 'k'], ['Interpreter_[j]', 'j'], ['inlined_helper_[i]', 'i'], ['main', '']]) {
      const f = by.get(label)!;
      expect(f.cls).toBe(cls);
      expect(f.name).toBe(label.replace(/_\[[kji]\]$/, ''));
      expect(f.text).toBe(f.name);
    }
    const [kr, kg, kb] = rgbOf(by.get('vfs_read_[k]')!.fill);
    expect(kr).toBeGreaterThanOrEqual(230); // orange: strong red, middling green, little blue
    expect(kg).toBeGreaterThanOrEqual(115);
    expect(kg).toBeLessThanOrEqual(165);
    expect(kb).toBeLessThanOrEqual(30);
    const [jr, jg, jb] = rgbOf(by.get('Interpreter_[j]')!.fill);
    expect(jg).toBeGreaterThan(jr); // green
    expect(jg).toBeGreaterThan(jb);
    for (const user of frames.filter((f) => f.cls === '')) {
      const [ur, ug, ub] = rgbOf(user.fill);
      expect(ur).toBeGreaterThanOrEqual(200); // warm: red or yellow, never the kernel's orange
      expect(ub).toBeLessThanOrEqual(50);
      expect(ug <= 95 || ug >= 165).toBe(true);
    }
  });

  it('gives a name the same colour wherever it appears', () => {
    const { frames } = readSvg(renderSvg([{ frames: ['a', 'x'], count: 5 }, { frames: ['b', 'x'], count: 5 }]));
    const xs = frames.filter((f) => f.name === 'x');
    expect(xs).toHaveLength(2);
    expect(xs[0].fill).toBe(xs[1].fill);
  });

  it('truncates labels to fit with "..", or drops them when fewer than 3 characters fit', () => {
    const long = 'a_really_long_function_name_that_cannot_fit::in_a_narrow_frame';
    const stacks: FoldedStack[] = [{ frames: [long], count: 100 }, { frames: ['zzz_filler'], count: 990 }, { frames: ['zzzz_tiny'], count: 2 }];
    const { frames } = readSvg(renderSvg(stacks));
    const charW = 12 * FONT_WIDTH;
    for (const f of frames) {
      if (f.text === f.name) expect(f.name.length * charW).toBeLessThanOrEqual(f.width - 3 + 1e-9);
      else if (f.text === '') expect(Math.floor((f.width - 3) / charW)).toBeLessThan(3);
      else {
        expect(f.text.endsWith('..')).toBe(true);
        expect(f.name.startsWith(f.text.slice(0, -2))).toBe(true);
        expect(f.text.length * charW).toBeLessThanOrEqual(f.width - 3 + 1e-9);
      }
    }
    expect(frames.find((f) => f.name === long)!.text).toMatch(/^a_really.*\.\.$/);
    expect(frames.find((f) => f.name === 'zzzz_tiny')!.text).toBe('');
  });
});

describe('renderSvg: shapes', () => {
  it('rejects empty input and input with no samples', () => {
    expect(() => renderSvg([])).toThrow(HuatuoError);
    expect(() => renderSvg([])).toThrow(/no samples/);
    expect(() => renderSvg([{ frames: ['a'], count: 0 }])).toThrow(/no samples/);
    expect(() => renderSvg([{ frames: [], count: 3 }])).toThrow(/no frames/);
    expect(() => renderSvg([{ frames: ['a'], count: -1.5 }])).toThrow(/not a non-negative number/);
  });

  it('renders 1,000-frame-deep stacks', () => {
    const deep = Array.from({ length: 1000 }, (_, d) => `fn${d}`);
    const stacks: FoldedStack[] = [{ frames: deep, count: 7 }, { frames: [...deep.slice(0, 500), 'side'], count: 3 }];
    const { frames, height } = readSvg(renderSvg(stacks));
    expect(frames).toHaveLength(1 + 1000 + 1);
    expect(Math.max(...frames.map((f) => f.depth))).toBe(1000);
    expect(height).toBeGreaterThan(1001 * 16);
    expect(frames.find((f) => f.name === 'fn999')!.titleCount).toBe(7);
  });

  it('inverted (icicle) mode puts the root at the top and children below', () => {
    const stacks = randomStacks(6, 200);
    const { frames } = readSvg(renderSvg(stacks, { inverted: true, minWidth: 0 }), true);
    const root = frames.find((f) => f.depth === 0)!;
    expect(root.name).toBe('all');
    expect(Math.min(...frames.map((f) => f.y))).toBe(root.y);
    for (const f of frames) if (f.parent) expect(f.y).toBeGreaterThan(f.parent.y);
    const expected = pathTotals(stacks);
    for (const f of frames) expect(f.titleCount).toBe(expected.get(f.path));
    const normal = readSvg(renderSvg(stacks, { minWidth: 0 })).frames;
    const rootNormal = normal.find((f) => f.depth === 0)!;
    expect(Math.max(...normal.map((f) => f.y))).toBe(rootNormal.y);
  });
});
