// Frame labels as the collapsed format writes them: the name plus an optional annotation
// suffix (inferno's and stackcollapse-perf.pl's): `_[k]` kernel, `_[j]` JIT or interpreted,
// `_[i]` inlined. Renderers draw the name without its suffix and pick the colour from it.
import { JIT_SUFFIX, KERNEL_SUFFIX } from '../model/stack.js';

export const INLINE_SUFFIX = '_[i]';

/** How a frame is coloured: by its label's suffix; no suffix is native user code. */
export type LabelKind = 'user' | 'kernel' | 'jit' | 'inline';

export function labelKind(label: string): LabelKind {
  // Every suffix is 4 characters ending in `]`: one check rules out most frames.
  if (label.length < 5 || label.charCodeAt(label.length - 1) !== 93) return 'user';
  if (label.endsWith(KERNEL_SUFFIX)) return 'kernel';
  if (label.endsWith(JIT_SUFFIX)) return 'jit';
  if (label.endsWith(INLINE_SUFFIX)) return 'inline';
  return 'user';
}

/** The name drawn for a label: its annotation suffix removed (`vfs_read_[k]` → `vfs_read`). */
export function displayName(label: string): string {
  return labelKind(label) === 'user' ? label : label.slice(0, -4);
}
