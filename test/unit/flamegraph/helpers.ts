// Test helpers: a seeded PRNG, random stacks, an independent (Map-based) aggregation of
// folded input, and the frames of a rendered SVG read back through the strict XML parser.
import type { FoldedStack } from '../../../src/model/stack.js';
import { byId, elements, parseXml, textOf, type XmlElement } from './xml-parser.js';
import { rng } from '../../helpers/rng.js';
export { rng } from '../../helpers/rng.js';


/** Random stacks over a small alphabet (so prefixes are shared), some kernel/JIT frames. */
export function randomStacks(seed: number, n: number, maxDepth = 12, alphabet = 8): FoldedStack[] {
  const r = rng(seed);
  const names = Array.from({ length: alphabet }, (_, k) => `f${k}`);
  names.push('k_sys_[k]', 'jit_fn_[j]', 'inl_[i]', 'a b (x+0x1)', 'ünï😀');
  const out: FoldedStack[] = [];
  for (let i = 0; i < n; i++) {
    const depth = 1 + Math.floor(r() * maxDepth);
    const frames = Array.from({ length: depth }, () => names[Math.floor(r() * names.length)]);
    out.push({ frames, count: r() < 0.1 ? 0 : 1 + Math.floor(r() ** 3 * 50) });
  }
  return out;
}

/** Total samples per call path (key: labels joined by NUL), root "" included. */
export function pathTotals(stacks: readonly FoldedStack[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const s of stacks) {
    if (!s.count) continue;
    totals.set('', (totals.get('') ?? 0) + s.count);
    let key = '';
    for (let d = 0; d < s.frames.length; d++) {
      key = d === 0 ? s.frames[0] : `${key}\u0000${s.frames[d]}`;
      totals.set(key, (totals.get(key) ?? 0) + s.count);
    }
  }
  return totals;
}

const SUFFIX: Record<string, string> = { k: '_[k]', j: '_[j]', i: '_[i]' };

export interface SvgFrame {
  el: XmlElement;
  /** Name from the title (suffix stripped), and the label with the suffix put back from the class. */
  name: string;
  label: string;
  cls: string;
  info: string;
  titleCount: number;
  titlePct: number;
  /** hf:x, hf:w */
  sx: number;
  sw: number;
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
  text: string;
  depth: number;
  parent: SvgFrame | null;
  /** Labels from the root's child down to this frame, joined by NUL ('' for the root). */
  path: string;
}

export interface ParsedSvg {
  root: XmlElement;
  width: number;
  height: number;
  frames: SvgFrame[];
}

const TITLE = /^(.*) \(([\d,.]+) samples, ([\d.]+)%\)$/s;
const DIFF_TITLE = /^(.*) \(before ([\d,.]+), after ([\d,.]+) samples, ([+-]?[\d.]+)%\)$/s;

/** Parse an SVG and read its frames; depth and parent come from geometry alone. */
export function readSvg(svg: string, inverted = false): ParsedSvg {
  const root = parseXml(svg);
  const frames: SvgFrame[] = elements(byId(root, 'frames'), 'g').map((g) => {
    const rect = elements(g, 'rect')[0];
    const info = textOf(elements(g, 'title')[0]);
    const m = TITLE.exec(info) ?? DIFF_TITLE.exec(info);
    if (!m) throw new Error(`title not understood: ${info}`);
    const diff = m.length === 5;
    const cls = (g.attrs.class ?? '').split(' ').filter((c) => c in SUFFIX).join('');
    const name = m[1];
    return {
      el: g, name, label: name + (SUFFIX[cls] ?? ''), cls, info,
      titleCount: Number((diff ? m[3] : m[2]).replace(/,/g, '')),
      titlePct: diff ? Number(m[4]) : Number(m[3]),
      sx: Number(g.attrs['hf:x']), sw: Number(g.attrs['hf:w']),
      x: Number(rect.attrs.x), y: Number(rect.attrs.y), width: Number(rect.attrs.width), height: Number(rect.attrs.height),
      fill: rect.attrs.fill, text: textOf(elements(g, 'text')[0]),
      depth: -1, parent: null, path: '',
    };
  });
  // Rows: the root row is the bottom one (top one when inverted).
  const ys = [...new Set(frames.map((f) => f.y))].sort((a, b) => (inverted ? a - b : b - a));
  const depthOf = new Map(ys.map((y, d) => [y, d]));
  const rows: SvgFrame[][] = ys.map(() => []);
  for (const f of frames) {
    f.depth = depthOf.get(f.y)!;
    rows[f.depth].push(f);
  }
  for (const row of rows) row.sort((a, b) => a.sx - b.sx);
  for (let d = 1; d < rows.length; d++) {
    let p = 0;
    const above = rows[d - 1];
    for (const f of rows[d]) {
      while (p < above.length && above[p].sx + above[p].sw <= f.sx) p++;
      const parent = above[p];
      if (!parent || parent.sx > f.sx || parent.sx + parent.sw < f.sx + f.sw) throw new Error(`no parent for ${f.label}`);
      f.parent = parent;
      f.path = d === 1 ? f.label : `${parent.path}\u0000${f.label}`;
    }
  }
  return { root, width: Number(root.attrs.width), height: Number(root.attrs.height), frames };
}

export function rgbOf(fill: string): [number, number, number] {
  const m = /^rgb\((\d+),(\d+),(\d+)\)$/.exec(fill);
  if (!m) throw new Error(`not rgb(): ${fill}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}
