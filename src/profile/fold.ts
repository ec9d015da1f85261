// Symbolized samples → collapsed stacks, with the root frame chosen by --group-by, so one
// flame graph of a node keeps its processes or pods apart.
import { foldedLabel, lockFrame, RUNQUEUE_FRAME, type FoldedStack, type ProfileSample } from '../model/stack.js';

export const GROUP_BY = ['process', 'pod', 'container', 'none'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** The root frame of a sample, or null for none. */
export function rootFrame(s: ProfileSample, groupBy: GroupBy, perPid: boolean): string | null {
  switch (groupBy) {
    case 'none':
      return null;
    case 'pod':
      return s.pod ? `${s.namespace ?? '?'}/${s.pod}` : '(host)';
    case 'container':
      return s.container ? `${s.namespace ?? '?'}/${s.pod ?? '-'}/${s.container}` : '(host)';
    default:
      return perPid ? `${s.comm}-${s.tgid}` : s.comm;
  }
}

/**
 * A sample's frames as collapsed labels, root first: the group's root, [runqueue] for
 * off-CPU run-queue time, the stack, and the contended lock as the leaf.
 */
export function sampleLabels(s: ProfileSample, root: string | null): string[] {
  const out: string[] = [];
  if (root !== null) out.push(root);
  if (s.runqueue) out.push(RUNQUEUE_FRAME);
  for (const f of s.frames) out.push(foldedLabel(f));
  if (s.lock) out.push(lockFrame(s.lock));
  return out;
}

/** Collapse samples into stacks (identical stacks summed). */
export function foldSamples(samples: ProfileSample[], groupBy: GroupBy = 'process', perPid = false): FoldedStack[] {
  const out = new Map<string, FoldedStack>();
  for (const s of samples) {
    const root = rootFrame(s, groupBy, perPid);
    const frames = sampleLabels(s, root);
    if (frames.length === 0) continue;
    const key = frames.join(';');
    const prev = out.get(key);
    if (prev) prev.count += s.count;
    else out.set(key, { frames, count: s.count });
  }
  return [...out.values()];
}
