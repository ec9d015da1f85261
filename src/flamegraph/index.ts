// Flame graphs and profile exports from folded stacks (src/model/stack.ts FoldedStack).
export { parseFolded, toFolded } from './folded.js';
export { buildTree, buildPrunedTree, walkTree, type FlameNode, type Tree, type TreeOptions } from './tree.js';
export { renderSvg, HF_NS, PAD, type SvgOptions, type SvgMeta } from './svg.js';
export { renderDiffSvg, type DiffSvgOptions } from './diff.js';
export { toSpeedscope, SPEEDSCOPE_SCHEMA, type SpeedscopeFile, type SpeedscopeOptions } from './speedscope.js';
export { toPprof, pprofProfile, type PprofOptions } from './pprof.js';
export { labelKind, displayName, type LabelKind } from './frame.js';
