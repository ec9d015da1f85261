// Writing a profile's files: --svg, --html, --folded, --speedscope, --pprof. Shared by
// `huatuo profile` and `huatuo report`, so a capture re-renders exactly like the live run.
import { writeFileAtomic } from '../capture/capture.js';
import type { FoldedStack } from './model.js';
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

/** Write every requested file; returns the paths written. */
export function writeFlameOutputs(stacks: FoldedStack[], out: FlameOutputs, info: RenderInfo): string[] {
  const written: string[] = [];
  if (out.folded) {
    writeFileAtomic(out.folded, toFolded(stacks));
    written.push(out.folded);
  }
  if (out.svg) {
    writeFileAtomic(out.svg, renderSvg(stacks, { title: info.title, subtitle: info.subtitle, inverted: info.inverted, minWidth: info.minWidth }));
    written.push(out.svg);
  }
  if (out.html) {
    writeFileAtomic(out.html, renderHtml(stacks, { title: info.title, subtitle: info.subtitle }));
    written.push(out.html);
  }
  if (out.speedscope) {
    writeFileAtomic(out.speedscope, JSON.stringify(toSpeedscope(stacks, { name: info.title })));
    written.push(out.speedscope);
  }
  if (out.pprof) {
    writeFileAtomic(out.pprof, toPprof(stacks, { periodNs: info.periodNs }));
    written.push(out.pprof);
  }
  return written;
}
