// A profile run as a library call: options → sampling for a duration or until stopped →
// the profile model, with the session and collector closed on every path. The command
// (src/commands/profile.ts) calls it; so will autotrace. Views and files are the caller's.
import { hostname } from 'node:os';
import { ProfileSession, DEFAULT_FREQUENCY_HZ, type ProfileOptions } from '../tools/profile.js';
import { ProfileCollector, type Labels, type ProfileSnapshot } from './collector.js';
import { foldSamples, pprofSamples, type GroupBy } from './fold.js';
import { writeFlameOutputs, type FlameOutputs } from './outputs.js';
import { profileSummary, type ProfileSummary } from './summary.js';
import type { ProfileCaptureMeta } from './capture.js';
import { runTicks } from '../collector/ticks.js';
import { PROFILE_UNITS, type FoldedStack, type ProfileKind } from '../model/stack.js';
import { formatDuration } from '../options/units.js';
import { logDebug } from '../log.js';

export interface ProfileRunOptions {
  sampling: Omit<ProfileOptions, 'frequencyHz'> & { frequencyHz?: number };
  labels?: Labels;
  hostRoot?: string;
  /** Seconds of sampling, counted from attach; undefined: until `signal` aborts. */
  durationS?: number;
  /** Seconds between onTick calls (default 1). */
  intervalS?: number;
  signal: AbortSignal;
  /** Each interval's snapshot (not the last: that is the result's), the time it was taken, and when sampling began. */
  onTick?(s: ProfileSnapshot, now: number, sampledFrom: number): void;
}

export interface ProfileRun {
  kind: ProfileKind;
  snap: ProfileSnapshot;
  /** When sampling began and ended (ms since the epoch): the profile's duration. */
  sampledFrom: number;
  sampledUntil: number;
  elapsedS: number;
  /** ns of CPU one sample stands for. */
  periodNs: number;
}

/** The sampling frequency a run uses: the caller's, else the one default. */
export function samplingHz(frequencyHz: number | undefined, period: number | undefined): number | undefined {
  return period ? undefined : frequencyHz ?? DEFAULT_FREQUENCY_HZ;
}

/** Sample until the duration is over or the signal aborts; the final snapshot. */
export async function runProfile(o: ProfileRunOptions): Promise<ProfileRun> {
  const frequencyHz = samplingHz(o.sampling.frequencyHz, o.sampling.period);
  const session = ProfileSession.start({ ...o.sampling, frequencyHz });
  const sampledFrom = Date.now(); // the duration counts from here, not from start-up
  const collector = new ProfileCollector(session, o.labels, o.hostRoot);
  try {
    const durationS = o.durationS;
    const left = durationS === undefined ? undefined : Math.max(0, durationS - (Date.now() - sampledFrom) / 1000);
    await runTicks({ intervalS: o.intervalS ?? 1, durationS: left }, o.signal, () => {
      const now = Date.now();
      if (durationS !== undefined && now - sampledFrom >= durationS * 1000 - 10) return; // the last window comes from finish()
      o.onTick?.(collector.snapshot(), now, sampledFrom);
    });
    const sampledUntil = Date.now();
    const snap = collector.finish();
    const periodNs = o.sampling.period ?? 1e9 / (frequencyHz ?? DEFAULT_FREQUENCY_HZ);
    return { kind: o.sampling.kind ?? 'cpu', snap, sampledFrom, sampledUntil, elapsedS: (sampledUntil - sampledFrom) / 1000, periodNs };
  } finally {
    collector.close();
    session.close();
  }
}

/** How a run was set up, for its capture's meta. */
export interface ProfileRunSettings {
  event: ProfileOptions['event'];
  frequencyHz?: number;
  period?: number;
  groupBy: GroupBy;
  perPid: boolean;
  title: string;
  subtitle: string;
  offCpu?: ProfileOptions['offCpu'];
  kernelFaults?: boolean;
}

/** A run's capture meta: what report needs to draw every file again as the run did. */
export function profileRunMeta(run: ProfileRun, s: ProfileRunSettings): ProfileCaptureMeta {
  const cpu = run.kind === 'cpu';
  return {
    kind: run.kind, event: s.event, frequency_hz: cpu ? samplingHz(s.frequencyHz, s.period) ?? null : null, period: cpu ? s.period ?? null : null,
    group_by: s.groupBy, per_pid: s.perPid, duration_s: run.elapsedS, sampled_from_ms: run.sampledFrom, title: s.title, subtitle: s.subtitle,
    ...(s.offCpu ? { min_block_ns: s.offCpu.minBlockNs, state: s.offCpu.state, include_runqueue: s.offCpu.includeRunqueue } : {}),
    ...(run.kind === 'page-faults' ? { kernel_faults: !!s.kernelFaults } : {}),
  };
}

export interface ProfileRender {
  groupBy: GroupBy;
  perPid: boolean;
  /** What was profiled, for the flame graph's subtitle (pod x, pid 1234, all processes). */
  who: string;
  event: string;
  top: number;
  inverted?: boolean;
  minWidth?: number;
}

/** A run's flame graph files (those `out` names), folded stacks and summary. */
export function renderProfile(run: ProfileRun, out: FlameOutputs, r: ProfileRender): { stacks: FoldedStack[]; written: string[]; summary: ProfileSummary; title: string; subtitle: string } {
  const { snap } = run;
  const stacks = foldSamples(snap.samples, r.groupBy, r.perPid);
  const renderFrom = performance.now();
  const unit = PROFILE_UNITS[run.kind];
  const amount = unit.time ? formatDuration(snap.totalSamples) : `${snap.totalSamples} ${unit.countName}`;
  const title = run.kind === 'cpu' ? 'huatuo profile' : `huatuo profile: ${unit.title}`;
  const subtitle = `${hostname()}  ${r.who}  ${formatDuration(run.elapsedS * 1e9)}  ${amount}  ${r.event}`;
  const written = stacks.length
    ? writeFlameOutputs(stacks, out, {
        title,
        subtitle,
        inverted: r.inverted,
        minWidth: r.minWidth,
        periodNs: run.periodNs,
        unit,
        sampledFromMs: run.sampledFrom,
        durationS: run.elapsedS,
        pprofSamples: out.pprof === undefined ? undefined : pprofSamples(snap.samples, r.groupBy, r.perPid),
      })
    : [];
  logDebug(`profile: ${stacks.length} stacks folded and written in ${(performance.now() - renderFrom).toFixed(0)} ms`);
  // The top functions need a root frame to skip: with --group-by none, fold by process for them.
  const topStacks = r.groupBy === 'none' ? foldSamples(snap.samples, 'process') : stacks;
  const summary = profileSummary(topStacks, r.top, written, { durationS: run.elapsedS, errors: snap.errors, broken: snap.broken, kind: run.kind, frameless: snap.frameless });
  return { stacks, written, summary, title, subtitle };
}
