// Writing a profile's files: --svg, --html, --folded, --speedscope, --pprof. Shared by
// `huatuo profile` and `huatuo report`, so a capture re-renders exactly like the live run.
import { writeOutputs, type OutputTarget } from '../output/files.js';
import { PROFILE_UNITS, type FoldedStack, type ProfileUnit } from '../model/stack.js';
import { formatDuration } from '../model/units.js';
import { renderSvg, toFolded, toSpeedscope, toPprof } from '../flamegraph/index.js';
import { samplesToPprof, type PprofOptions, type PprofSample } from '../flamegraph/pprof.js';
import { renderHtml } from '../flamegraph/html.js';

export interface FlameOutputs {
  svg?: string;
  html?: string;
  folded?: string;
  speedscope?: string;
  pprof?: string;
}

export interface RenderInfo {
  title: string;
  subtitle: string;
  inverted?: boolean;
  minWidth?: number;
  /** Sampling period in ns, for pprof's cpu values (1e9 / frequency). */
  periodNs: number;
  /** What the counts are (default: CPU samples). */
  unit?: ProfileUnit;
  /** When sampling began (ms since the epoch) and how long it ran (s): pprof's time_nanos and duration_nanos. */
  sampledFromMs?: number;
  durationS?: number;
  /** The symbolized samples behind the stacks (a run, a capture): pprof gets their addresses and labels. */
  pprofSamples?: readonly PprofSample[];
}

/**
 * Time weights (ns) in collapsed files are written as microseconds, as bcc's offcputime -f
 * writes them (flamegraph.pl --countname=us); a stack under half a microsecond is left out.
 */
export function foldedForUnit(stacks: FoldedStack[], unit: ProfileUnit): FoldedStack[] {
  if (!unit.time) return stacks;
  return stacks.map((s) => ({ frames: s.frames, count: Math.round(s.count / 1000) })).filter((s) => s.count > 0);
}

/** The files asked for, as output targets (checked with checkOutputs before the run). */
export function flameTargets(out: FlameOutputs): OutputTarget[] {
  return FLAME_FLAGS.filter((k) => out[k] !== undefined).map((k) => ({ flag: `--${k}`, path: out[k]!, kind: 'export' as const }));
}

const FLAME_FLAGS = ['folded', 'svg', 'html', 'speedscope', 'pprof'] as const;

/** Write every requested file (each is tried even if another fails); returns the paths written. */
export function writeFlameOutputs(stacks: FoldedStack[], out: FlameOutputs, info: RenderInfo): string[] {
  const unit = info.unit ?? PROFILE_UNITS.cpu;
  const cpu = unit === PROFILE_UNITS.cpu;
  const formatCount = unit.time ? (n: number) => formatDuration(n) : undefined;
  const render: Record<(typeof FLAME_FLAGS)[number], () => string | Uint8Array> = {
    folded: () => toFolded(foldedForUnit(stacks, unit)),
    svg: () => renderSvg(stacks, { title: info.title, subtitle: info.subtitle, inverted: info.inverted, minWidth: info.minWidth, countName: unit.countName, formatCount }),
    html: () => renderHtml(stacks, { title: info.title, subtitle: info.subtitle, time: unit.time, countName: unit.countName }),
    speedscope: () => JSON.stringify(toSpeedscope(stacks, { name: info.title, nanoseconds: unit.time })),
    pprof: () => {
      const opts: PprofOptions = {
        periodNs: info.periodNs,
        weight: cpu ? undefined : { type: unit.pprofType, unit: unit.pprofUnit },
        timeNanos: info.sampledFromMs === undefined ? undefined : BigInt(Math.round(info.sampledFromMs)) * 1_000_000n,
        durationNanos: info.durationS === undefined ? undefined : Math.round(info.durationS * 1e9),
      };
      return info.pprofSamples ? samplesToPprof(info.pprofSamples, opts) : toPprof(stacks, opts);
    },
  };
  return writeOutputs(flameTargets(out).map((target) => ({ target, data: render[target.flag.slice(2) as keyof typeof render] })));
}
