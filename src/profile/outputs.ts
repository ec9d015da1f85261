// Writing a profile's files: --svg, --html, --folded, --speedscope, --pprof. Shared by
// `huatuo profile` and `huatuo report`, so a capture re-renders exactly like the live run.
import { writeOutputs, type OutputTarget } from '../output/files.js';
import type { FoldedStack } from '../model/stack.js';
import { renderSvg, toFolded, toSpeedscope, toPprof } from '../flamegraph/index.js';
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
}

/** The files asked for, as output targets (checked with checkOutputs before the run). */
export function flameTargets(out: FlameOutputs): OutputTarget[] {
  return FLAME_FLAGS.filter((k) => out[k] !== undefined).map((k) => ({ flag: `--${k}`, path: out[k]!, kind: 'export' as const }));
}

const FLAME_FLAGS = ['folded', 'svg', 'html', 'speedscope', 'pprof'] as const;

/** Write every requested file (each is tried even if another fails); returns the paths written. */
export function writeFlameOutputs(stacks: FoldedStack[], out: FlameOutputs, info: RenderInfo): string[] {
  const render: Record<(typeof FLAME_FLAGS)[number], () => string | Uint8Array> = {
    folded: () => toFolded(stacks),
    svg: () => renderSvg(stacks, { title: info.title, subtitle: info.subtitle, inverted: info.inverted, minWidth: info.minWidth }),
    html: () => renderHtml(stacks, { title: info.title, subtitle: info.subtitle }),
    speedscope: () => JSON.stringify(toSpeedscope(stacks, { name: info.title })),
    pprof: () => toPprof(stacks, { periodNs: info.periodNs }),
  };
  return writeOutputs(flameTargets(out).map((target) => ({ target, data: render[target.flag.slice(2) as keyof typeof render] })));
}
