// Standalone interactive SVG flame graph, drawn by our own code (flamegraph.pl and inferno
// are the behavioural reference: widths ∝ samples, alphabetical siblings, minimum-width
// pruning, hover details, click to zoom, regex search).
//
// DOM contract — stable ids and attributes, for browser tests and anyone embedding the file:
//   #title, #subtitle   the title lines; the subtitle ends with "N frames narrower than
//                       W px not drawn" when pruning left frames out
//   #frames             a <g> with one <g> per frame, in depth-first order (parents first):
//                         <title>NAME (N samples, P%)</title>  (diff: see diff.ts)
//                         <rect x y width height fill/>  <text>label</text>
//                       attributes hf:x / hf:w in namespace urn:huatuo:flamegraph (prefix hf)
//                       hold the frame's first sample offset and its exact sample count;
//                       class "k" kernel, "j" JIT/interpreted, "i" inlined, none for native
//                       user code; while zoomed "hide" (not shown) or "parent" (ancestor)
//   #details            "Function: NAME (N samples, P%)" while the pointer is over a frame,
//                       " " otherwise
//   #unzoom             "Reset Zoom": class "hide" (display: none) until a frame is clicked;
//                       clicking it (or Escape) restores the whole graph
//   #search             "Search": asks window.prompt for a regular expression (Ctrl-F, ⌘-F
//                       and F3 do too); matching frames turn rgb(230,0,230); the button then
//                       reads "Reset Search" (class "show") and clears it, as Ctrl-I does
//   #matched            "Matched: 12.34%" after a search — outermost matches only, of all
//                       samples — " " otherwise
import { usageError } from '../errors.js';
import type { FoldedStack } from '../model/stack.js';
import { frameFill, HIGHLIGHT } from './color.js';
import { displayName, labelKind, type LabelKind } from './frame.js';
import { SVG_SCRIPT } from './svg-script.js';
import { buildPrunedTree, walkTree, type FlameNode, type Tree } from './tree.js';
import { commas, escapeXml, fitLabel, LABEL_INSET, num, pct } from './xml.js';

export const SVG_NS = 'http://www.w3.org/2000/svg';
export const HF_NS = 'urn:huatuo:flamegraph';
/** Left and right margin, px: a frame is count × (width − 2·PAD) / total wide. */
export const PAD = 10;
/** Average glyph width as a fraction of the font size (Verdana), to fit labels. */
export const FONT_WIDTH = 0.59;

/** Who and what the profile is, for the subtitle. */
export interface SvgMeta {
  tool?: string;
  host?: string;
  pod?: string;
  durationS?: number;
  /** Samples taken; defaults to the stacks' total. */
  samples?: number;
}

export interface SvgOptions {
  /** Default "Flame Graph" ("Icicle Graph" when inverted). */
  title?: string;
  subtitle?: string;
  /** Joined to the subtitle: tool · host · pod · duration · samples. */
  meta?: SvgMeta;
  /** Image width, px (default 1200). */
  width?: number;
  /** Frames narrower than this many px are left out (default 0.1). */
  minWidth?: number;
  /** Icicle graph: the root at the top. */
  inverted?: boolean;
  /** Row height, px (default 16). */
  frameHeight?: number;
  /** px (default 12). */
  fontSize?: number;
  /** What a count is, in tooltips (default "samples"). */
  countName?: string;
  /** A count as tooltips and the subtitle show it (default "N countName"); e.g. a time for off-CPU ns. */
  formatCount?: (n: number) => string;
}

/** A count as text: opts.formatCount's, else "1,234 samples". */
export function countText(opts: SvgOptions, n: number): string {
  return opts.formatCount ? opts.formatCount(n) : `${commas(n)} ${opts.countName ?? 'samples'}`;
}

/** How one renderer (plain or differential) colours and describes a frame. */
export interface FrameStyle {
  fill(node: FlameNode, name: string, kind: LabelKind): string;
  /** Tooltip and details text; must end in " (...)" without another " (" inside. */
  info(node: FlameNode, name: string): string;
}

const KIND_CLASS: Record<LabelKind, string> = { user: '', kernel: ' class="k"', jit: ' class="j"', inline: ' class="i"' };

function option(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw usageError(`${name} must be a number ≥ ${min}, got ${String(value)}`);
  return value;
}

function duration(s: number): string {
  if (s < 60) return `${Number(s.toFixed(s < 10 ? 2 : 1))} s`;
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  return whole % 60 ? `${m} min ${whole % 60} s` : `${m} min`;
}

function subtitleText(opts: SvgOptions, total: number, notes: string[]): string {
  const parts: string[] = [];
  if (opts.subtitle) parts.push(opts.subtitle);
  const m = opts.meta;
  if (m) {
    if (m.tool) parts.push(m.tool);
    if (m.host) parts.push(`host ${m.host}`);
    if (m.pod) parts.push(`pod ${m.pod}`);
    if (m.durationS !== undefined) parts.push(duration(m.durationS));
    parts.push(countText(opts, m.samples ?? total));
  }
  return [...parts, ...notes].join(' · ');
}

const STYLE = `
text { font-family: Verdana, sans-serif; fill: rgb(0,0,0); }
#title { text-anchor: middle; }
#subtitle { text-anchor: middle; fill: rgb(90,90,90); }
#search, #matched { text-anchor: end; }
#search, #unzoom { cursor: pointer; }
#search { opacity: 0.4; }
#search:hover, #search.show { opacity: 1; }
#frames > g { cursor: pointer; }
#frames > g:hover > rect { stroke: rgb(0,0,0); stroke-width: 0.5; }
#frames text { pointer-events: none; }
.hide { display: none; }
.parent { opacity: 0.5; }
`;

interface Layout {
  width: number;
  minWidth: number;
  fh: number;
  fs: number;
}

function layout(opts: SvgOptions): Layout {
  return {
    width: option(opts.width, 1200, 'SVG width', 2 * PAD + 10),
    minWidth: option(opts.minWidth, 0.1, 'minimum frame width', 0),
    fh: option(opts.frameHeight, 16, 'frame height', 4),
    fs: option(opts.fontSize, 12, 'font size', 1),
  };
}

/**
 * A sample count below which a frame is surely narrower than minWidth, for the tree to
 * prune early. Counts may be fractional, so this is not rounded; it sits just under the
 * exact width so the tree never drops a frame renderTree would draw (renderTree decides).
 */
export function minDrawnSamples(total: number, opts: SvgOptions): number {
  const lay = layout(opts);
  const scale = (lay.width - 2 * PAD) / total;
  return (lay.minWidth / scale) * (1 - 1e-9);
}

/** Lay out and write a tree. Shared by the plain and the differential graph. */
export function renderTree(tree: Tree, opts: SvgOptions, style: FrameStyle, notes: string[] = []): string {
  const { width, minWidth, fh, fs } = layout(opts);
  const inverted = !!opts.inverted;
  const root = tree.root;
  const total = root.total;
  const full = width - 2 * PAD;
  const scale = full / total;
  const charWidth = fs * FONT_WIDTH;

  // Pass 1: which frames are drawn and how deep. A tree built with minTotal arrives pruned
  // already; a whole tree (the differential graph's) is pruned here.
  const drawn: FlameNode[] = [];
  const drawnDepth: number[] = [];
  let pruned = tree.pruned;
  let maxDepth = 0;
  const todo: FlameNode[] = [root];
  const todoDepth: number[] = [0];
  while (todo.length > 0) {
    const node = todo.pop()!;
    const depth = todoDepth.pop()!;
    if (node !== root && node.total * scale < minWidth) {
      walkTree(node, () => pruned++);
      continue;
    }
    drawn.push(node);
    drawnDepth.push(depth);
    if (depth > maxDepth) maxDepth = depth;
    for (let c = node.children.length - 1; c >= 0; c--) {
      todo.push(node.children[c]);
      todoDepth.push(depth + 1);
    }
  }
  if (pruned > 0) notes = [...notes, `${commas(pruned)} frames narrower than ${minWidth} px not drawn`];

  const subtitle = subtitleText(opts, total, notes);
  const titleY = fs * 2;
  const ypad1 = fs * 3 + (subtitle ? fs * 1.5 : 0);
  const ypad2 = fs * 2 + 10;
  const height = ypad1 + (maxDepth + 1) * fh + ypad2;
  const bottomY = height - ypad2 / 2 + fs / 3;
  const textDy = (fh - 1) / 2 + fs * 0.35;
  const title = opts.title ?? (inverted ? 'Icicle Graph' : 'Flame Graph');

  const out: string[] = [];
  out.push(
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
    `<svg version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="${SVG_NS}" xmlns:hf="${HF_NS}">\n`,
    '<!-- Flame graph drawn by huatuo. Hover for details, click to zoom, Ctrl-F to search. -->\n',
    '<defs><linearGradient id="background" x1="0" y1="0" x2="0" y2="1">',
    '<stop offset="5%" stop-color="rgb(248,248,248)"/><stop offset="95%" stop-color="rgb(238,238,200)"/></linearGradient></defs>\n',
    `<style type="text/css"><![CDATA[${STYLE}text { font-size: ${fs}px; }\n#title { font-size: ${fs + 5}px; }\n]]></style>\n`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="url(#background)"/>\n`,
    `<text id="title" x="${num(width / 2)}" y="${titleY}">${escapeXml(title)}</text>\n`,
  );
  if (subtitle) out.push(`<text id="subtitle" x="${num(width / 2)}" y="${num(titleY + fs * 1.5)}">${escapeXml(subtitle)}</text>\n`);
  out.push(
    `<text id="unzoom" class="hide" x="${PAD}" y="${titleY}">Reset Zoom</text>\n`,
    `<text id="search" x="${width - PAD}" y="${titleY}">Search</text>\n`,
    `<text id="details" x="${PAD}" y="${num(bottomY)}"> </text>\n`,
    `<text id="matched" x="${width - PAD}" y="${num(bottomY)}"> </text>\n`,
    '<g id="frames">\n',
  );
  for (let i = 0; i < drawn.length; i++) {
    const node = drawn[i];
    const depth = drawnDepth[i];
    const kind = labelKind(node.name);
    const name = displayName(node.name);
    const x = PAD + node.start * scale;
    const w = node.total * scale;
    const y = inverted ? ypad1 + depth * fh : height - ypad2 - (depth + 1) * fh;
    out.push(
      `<g${KIND_CLASS[kind]} hf:x="${node.start}" hf:w="${node.total}"><title>${escapeXml(style.info(node, name))}</title>`,
      `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${fh - 1}" fill="${style.fill(node, name, kind)}"/>`,
      `<text x="${num(x + LABEL_INSET)}" y="${num(y + textDy)}">${escapeXml(fitLabel(name, w, charWidth))}</text></g>\n`,
    );
  }
  const config = { total, width, pad: PAD, fontSize: fs, fontWidth: FONT_WIDTH, inset: LABEL_INSET, inverted, highlight: HIGHLIGHT };
  out.push(
    '</g>\n',
    `<script type="text/ecmascript"><![CDATA[\nvar C = ${JSON.stringify(config)};${SVG_SCRIPT}]]></script>\n`,
    '</svg>\n',
  );
  return out.join('');
}

/** A flame graph of stacks (root first, `_[k]`/`_[j]` suffixes as in FoldedStack). */
export function renderSvg(stacks: readonly FoldedStack[], opts: SvgOptions = {}): string {
  const tree = buildPrunedTree(stacks, { minTotal: (t) => minDrawnSamples(t, opts) });
  const total = tree.root.total;
  return renderTree(tree, opts, {
    fill: (_node, name, kind) => frameFill(name, kind),
    info: (node, name) => `${name} (${countText(opts, node.total)}, ${pct(node.total, total)}%)`,
  });
}
