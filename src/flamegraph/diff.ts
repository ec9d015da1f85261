// Differential flame graph (Brendan Gregg's red/blue idea, difffolded.pl + flamegraph.pl's
// behaviour): the shape is AFTER's; each frame is red when it grew and blue when it shrank,
// comparing its total (inclusive) samples with BEFORE's scaled to AFTER's total, so a frame's
// colour agrees with how its width changed and with its tooltip:
//   NAME (before B, after A samples, +D%)
// where D is the change of the frame's share of all samples, in percentage points.
// Frames only in BEFORE have no width in AFTER and are not drawn (the subtitle counts them).
// Both inputs go through one sorted-prefix walk (tree.ts, BEFORE as the baseline).
import type { FoldedStack } from '../model/stack.js';
import { diffFill } from './color.js';
import { minDrawnSamples, renderTree, type SvgOptions } from './svg.js';
import { buildPrunedTree, walkTree, type FlameNode } from './tree.js';
import { commas } from './xml.js';

export interface DiffSvgOptions extends SvgOptions {
  /** Scale BEFORE to AFTER's total sample count first (default true), like difffolded.pl -n. */
  normalize?: boolean;
}

function signedPct(d: number): string {
  const s = d.toFixed(2);
  if (s === '0.00' || s === '-0.00') return '0.00';
  return d > 0 ? `+${s}` : s;
}

/** A differential flame graph: AFTER's shape, red where frames grew, blue where they shrank. */
export function renderDiffSvg(before: readonly FoldedStack[], after: readonly FoldedStack[], opts: DiffSvgOptions = {}): string {
  const tree = buildPrunedTree(after, { what: 'AFTER', baseline: before, baselineWhat: 'BEFORE', minTotal: (t) => minDrawnSamples(t, opts) });
  const total = tree.root.total;
  const factor = opts.normalize === false ? 1 : total / tree.root.base!;
  // Below this, a delta is float noise from the scaling (the root's, for one).
  const eps = 1e-9 * total;
  const delta = (n: FlameNode): number => {
    const d = n.total - n.base! * factor;
    return Math.abs(d) < eps ? 0 : d;
  };
  let maxAbsDelta = 0;
  walkTree(tree.root, (n) => {
    maxAbsDelta = Math.max(maxAbsDelta, Math.abs(delta(n)));
  });
  const countName = opts.countName ?? 'samples';
  const notes = tree.baseOnly > 0 ? [`${commas(tree.baseOnly)} call paths only in BEFORE not drawn`] : [];
  return renderTree(tree, { ...opts, title: opts.title ?? 'Differential Flame Graph' }, {
    fill: (n) => diffFill(delta(n), maxAbsDelta),
    info: (n, name) => `${name} (before ${commas(n.base!)}, after ${commas(n.total)} ${countName}, ${signedPct((100 * delta(n)) / total)}%)`,
  }, notes);
}
