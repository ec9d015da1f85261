// Differential flame graph (Brendan Gregg's red/blue idea): the shape is AFTER's; each frame
// is red when it grew and blue when it shrank. Two rules for "grew":
//  - share (the default): the frame's total (inclusive) samples against BEFORE's scaled to
//    AFTER's total, so a frame's colour agrees with how its width changed: a caller whose
//    callee grew is red too;
//  - difffolded: the frame's own (self) samples, AFTER's minus BEFORE's, raw unless
//    `normalize` (difffolded.pl -n), as `difffolded.pl | flamegraph.pl` colours them: only the
//    frames where the time itself is spent change colour.
// Self here is what is not in a drawn child: frames too narrow to draw (and call paths only in
// BEFORE) count for their parent, in both profiles alike. The tooltip says it:
//   NAME (before B, after A samples, +D%)
// where D is the rule's change as a share of AFTER's samples, in percentage points.
// Frames only in BEFORE have no width in AFTER and are not drawn (the subtitle counts them).
// Both inputs go through one sorted-prefix walk (tree.ts, BEFORE as the baseline).
import type { FoldedStack } from '../model/stack.js';
import { diffFill } from './color.js';
import { minDrawnSamples, renderTree, type SvgOptions } from './svg.js';
import { buildPrunedTree, walkTree, type FlameNode } from './tree.js';
import { commas } from './xml.js';

export const DIFF_RULES = ['share', 'difffolded'] as const;
export type DiffRule = (typeof DIFF_RULES)[number];

export interface DiffSvgOptions extends SvgOptions {
  /** What "grew" means (default share: the frame's inclusive share). */
  rule?: DiffRule;
  /** Scale BEFORE to AFTER's total sample count first, like difffolded.pl -n: always with share; default off with difffolded. */
  normalize?: boolean;
}

/** Samples at a node that no drawn child holds: [after, before]. */
function residual(n: FlameNode): [number, number] {
  let a = n.total;
  let b = n.base!;
  for (const c of n.children) {
    a -= c.total;
    b -= c.base!;
  }
  return [a, b];
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
  const rule = opts.rule ?? 'share';
  const factor = (opts.normalize ?? rule === 'share') ? total / tree.root.base! : 1;
  // Below this, a delta is float noise from the scaling (the root's, for one).
  const eps = 1e-9 * total;
  const delta = (n: FlameNode): number => {
    let d: number;
    if (rule === 'share') d = n.total - n.base! * factor;
    else {
      const [after, before] = residual(n);
      d = after - before * factor;
    }
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
