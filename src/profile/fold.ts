// Symbolized samples → collapsed stacks, with the root frame chosen by --group-by, so one
// flame graph of a node keeps its processes or pods apart.
import { foldedLabel, lockFrame, RUNQUEUE_FRAME, type FoldedStack, type ProfileSample } from '../model/stack.js';
import type { PprofFrame, PprofLabel, PprofSample } from '../flamegraph/pprof.js';

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

/** The labels of a sample in pprof: whose it is (-tagfocus=pod=checkout, Pyroscope's labels). */
function pprofLabels(s: ProfileSample): PprofLabel[] {
  const out: PprofLabel[] = [{ key: 'pid', num: s.tgid }, { key: 'tid', num: s.pid }, { key: 'comm', str: s.comm }];
  if (s.namespace) out.push({ key: 'namespace', str: s.namespace });
  if (s.pod) out.push({ key: 'pod', str: s.pod });
  if (s.container) out.push({ key: 'container', str: s.container });
  return out;
}

/** Samples for pprof: the same frames as foldSamples draws, each with where its code is, and labels. */
export function pprofSamples(samples: ProfileSample[], groupBy: GroupBy = 'process', perPid = false): PprofSample[] {
  const out: PprofSample[] = [];
  for (const s of samples) {
    const root = rootFrame(s, groupBy, perPid);
    const labels = sampleLabels(s, root);
    if (labels.length === 0 || !(s.count > 0)) continue;
    // The stack's own frames sit after the root and [runqueue]; the rest have no code.
    const first = (root !== null ? 1 : 0) + (s.runqueue ? 1 : 0);
    const frames: PprofFrame[] = labels.map((label, i) => {
      const loc = i >= first && i - first < s.frames.length ? s.locations?.[i - first] : undefined;
      return loc ? { label, location: loc } : { label };
    });
    out.push({ frames, count: s.count, labels: pprofLabels(s) });
  }
  return out;
}
