// What autotrace captures when a rule fires, by cause, through the tools' library calls
// (runProfile, the same run loop `huatuo profile` uses): CPU signals → an on-CPU profile,
// scoped to the container when the rule was per container; D-state, io pressure, iowait and
// disk signals → an off-CPU profile of uninterruptible waits; memory signals → an off-CPU
// profile of every wait (reclaim stalls are waits). Each capture is one bundle: the profile
// capture (re-renderable with `huatuo report`), its flame graphs, and summary.json.
import { hostname } from 'node:os';
import { runProfile, renderProfile, profileRunMeta, type ProfileRun } from '../profile/run.js';
import { profileCaptureData } from '../profile/capture.js';
import { makeCapture, writeCapture } from '../capture/capture.js';
import { writeOutput } from '../output/files.js';
import type { OffCpuOptions } from '../tools/profile.js';
import type { ProfileKind } from '../model/stack.js';
import type { TaskFilter } from '../model/filter.js';
import type { Labels } from '../profile/collector.js';
import type { Bundle } from './bundle.js';
import type { Lookback } from './lookback.js';
import type { FoldedStack } from '../model/stack.js';
import { renderDiffSvg } from '../flamegraph/diff.js';
import { renderSvg } from '../flamegraph/svg.js';
import { formatDuration } from '../model/units.js';

export type ActionKind = 'profile' | 'offcpu-d' | 'offcpu';

/** The capture a signal calls for. */
export function actionFor(signal: string): ActionKind {
  if (/^(load\.dstate|psi\.io\.|cpu\.iowait|disk\.)/.test(signal)) return 'offcpu-d';
  if (/^(psi\.memory\.|mem\.)/.test(signal)) return 'offcpu';
  return 'profile';
}

export interface CaptureRequest {
  action: ActionKind;
  durationS: number;
  filter: TaskFilter;
  /** Who the capture is of, for the flame graph's subtitle: "all processes", "pod shop/burner". */
  who: string;
  labels?: Labels;
  hostRoot?: string;
  signal: AbortSignal;
  bundle: Bundle;
}

export interface CaptureResult {
  /** The capture's folded stacks (for the diff against the look-back). */
  stacks: FoldedStack[];
  periodNs: number;
  kind: ProfileKind;
  samples: number;
  /** Root frames (processes) by weight: the capture's top processes. */
  top: Array<{ process: string; share: number }>;
  durationS: number;
}

const FREQUENCY_HZ = 99;

/** Run the capture into the bundle (not committed: the caller does, or discards it). */
export async function runCapture(req: CaptureRequest): Promise<CaptureResult> {
  const kind: ProfileKind = req.action === 'profile' ? 'cpu' : 'off-cpu';
  const offCpu: OffCpuOptions | undefined = kind === 'off-cpu' ? { minBlockNs: 1e6, state: req.action === 'offcpu-d' ? 'D' : 'any', includeRunqueue: false } : undefined;
  const started = new Date();
  const run: ProfileRun = await runProfile({
    sampling: {
      kind, offCpu, filter: req.filter, cgroupHier: req.filter.cgroups?.mount, frequencyHz: kind === 'cpu' ? FREQUENCY_HZ : undefined,
      event: 'cpu-clock', userOnly: false, kernelOnly: false, includeIdle: false, stackStorageSize: 16384,
    },
    labels: req.labels,
    hostRoot: req.hostRoot,
    durationS: req.durationS,
    signal: req.signal,
  });
  const event = kind === 'cpu' ? `cpu-clock ${FREQUENCY_HZ} Hz` : `off-CPU, ${offCpu!.state === 'D' ? 'D state' : 'any state'}`;
  const { stacks, title, subtitle } = renderProfile(run, { svg: req.bundle.file('flame.svg'), html: req.bundle.file('flame.html') }, {
    groupBy: 'process', perPid: true, who: req.who, event, top: 10,
  });
  writeCapture(req.bundle.file('profile.json'), makeCapture('profile', started, null, profileCaptureData(profileRunMeta(run, {
    event: 'cpu-clock', frequencyHz: kind === 'cpu' ? FREQUENCY_HZ : undefined, groupBy: 'process', perPid: true, title, subtitle, offCpu,
  }), run.snap)));
  const total = stacks.reduce((n, x) => n + x.count, 0);
  return { stacks, periodNs: run.periodNs, kind, samples: total, top: topProcesses(stacks), durationS: run.elapsedS };
}

/** Root frames (processes) by weight. */
function topProcesses(stacks: FoldedStack[]): Array<{ process: string; share: number }> {
  const byProcess = new Map<string, number>();
  let total = 0;
  for (const s of stacks) {
    byProcess.set(s.frames[0], (byProcess.get(s.frames[0]) ?? 0) + s.count);
    total += s.count;
  }
  return [...byProcess].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([process, n]) => ({ process, share: total ? n / total : 0 }));
}

export interface LookbackPart {
  stacks: FoldedStack[];
  /** ns of CPU one look-back sample stands for. */
  periodNs: number;
  samples: number;
  /** Seconds it covers (less than the look-back when armed for less). */
  seconds: number;
  top: Array<{ process: string; share: number }>;
}

/**
 * The look-back's last seconds into the bundle, as "before": its capture (lookback.json) and
 * flame graph (flame-before.svg); only the scope's cgroups when `cgroupIds` is given.
 */
export function writeLookback(bundle: Bundle, lb: Lookback, armedS: number, opts: { cgroupIds?: number[]; who: string; labels?: Labels; hostRoot?: string }): LookbackPart {
  const until = Date.now(); // the look-back ends here, whatever symbolizing it takes
  const { snap, periodNs } = lb.snapshot(opts.labels, opts.hostRoot);
  if (opts.cgroupIds) {
    const ids = new Set(opts.cgroupIds);
    snap.samples = snap.samples.filter((x) => ids.has(x.cgroupId));
  }
  const seconds = Math.min(lb.seconds, armedS);
  const run: ProfileRun = { kind: 'cpu', snap, sampledFrom: until - seconds * 1000, sampledUntil: until, elapsedS: seconds, periodNs };
  const { stacks, title, subtitle } = renderProfile(run, { svg: bundle.file('flame-before.svg') }, {
    groupBy: 'process', perPid: true, who: `${opts.who}, the ${seconds.toFixed(0)} s before the trigger`, event: `cpu-clock ${lb.hz} Hz look-back`, top: 10,
  });
  writeCapture(bundle.file('lookback.json'), makeCapture('profile', new Date(run.sampledFrom), null, profileCaptureData(profileRunMeta(run, {
    event: 'cpu-clock', frequencyHz: lb.hz, groupBy: 'process', perPid: true, title, subtitle,
  }), snap)));
  return { stacks, samples: stacks.reduce((n, x) => n + x.count, 0), seconds, top: topProcesses(stacks), periodNs };
}

/**
 * flame-both.svg: the look-back and the capture in one graph, under [before] and [after] roots,
 * each stack weighted by the CPU time its samples stand for (they sample at different rates);
 * flame-diff.svg: after against before, by share.
 */
export function writeDiff(bundle: Bundle, before: FoldedStack[], after: FoldedStack[], periods: { beforeNs: number; afterNs: number }): void {
  if (!before.length || !after.length) return;
  const both = [
    ...before.map((s) => ({ frames: ['[before]', ...s.frames], count: Math.round(s.count * periods.beforeNs) })),
    ...after.map((s) => ({ frames: ['[after]', ...s.frames], count: Math.round(s.count * periods.afterNs) })),
  ];
  writeOutput({ flag: 'flame-both.svg', path: bundle.file('flame-both.svg'), kind: 'export' }, renderSvg(both, {
    title: 'huatuo autotrace: before and after the trigger',
    subtitle: 'CPU time: [before] from the look-back, [after] from the capture',
    countName: 'ns',
    formatCount: (n) => formatDuration(n),
  }));
  writeOutput({ flag: 'flame-diff.svg', path: bundle.file('flame-diff.svg'), kind: 'export' }, renderDiffSvg(before, after, {
    title: 'huatuo autotrace: after the trigger against the look-back',
    subtitle: 'red grew, blue shrank (inclusive share)',
  }));
}

/** summary.json of a bundle. */
export function writeSummary(bundle: Bundle, summary: object): void {
  writeOutput({ flag: 'summary.json', path: bundle.file('summary.json'), kind: 'capture' }, JSON.stringify({ host: hostname(), ...summary }, null, 1) + '\n');
}
