// speedscope's file format (https://www.speedscope.app/file-format-schema.json): the frames
// once in shared.frames, and one "sampled" profile whose samples are stacks of frame indices,
// root first, each with a weight. Frame names are the collapsed labels verbatim (`vfs_read_[k]`),
// as speedscope shows them when it imports the collapsed file itself.
import type { FoldedStack } from '../model/stack.js';
import { mergedStacks, sortStacks } from './sorted.js';
import { checkStacks } from './stacks.js';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

export interface SpeedscopeFrame {
  name: string;
}

export interface SpeedscopeSampledProfile {
  type: 'sampled';
  name: string;
  unit: 'none' | 'nanoseconds';
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}

export interface SpeedscopeFile {
  $schema: typeof SPEEDSCOPE_SCHEMA;
  name: string;
  exporter: string;
  activeProfileIndex: number;
  shared: { frames: SpeedscopeFrame[] };
  profiles: SpeedscopeSampledProfile[];
}

export interface SpeedscopeOptions {
  /** Profile and file name (default "huatuo profile"). */
  name?: string;
  /** With a sampling period, weights are CPU nanoseconds (count × period), else the counts. */
  periodNs?: number;
  /** The counts are nanoseconds already (off-CPU, lock time). */
  nanoseconds?: boolean;
}

/** Stacks as a speedscope file object (JSON.stringify it). Identical stacks are merged. */
export function toSpeedscope(stacks: readonly FoldedStack[], opts: SpeedscopeOptions = {}): SpeedscopeFile {
  checkStacks(stacks);
  const name = opts.name ?? 'huatuo profile';
  const period = opts.periodNs;
  // Frame i is the i-th label in sorted order.
  const sorted = sortStacks(stacks, false);
  const frames: SpeedscopeFrame[] = sorted.labels.map((f) => ({ name: f }));
  const samples: number[][] = [];
  const weights: number[] = [];
  let end = 0;
  for (const { ranks, count } of mergedStacks(sorted)) {
    samples.push(Array.from(ranks));
    const w = period === undefined ? count : count * period;
    weights.push(w);
    end += w;
  }
  return {
    $schema: SPEEDSCOPE_SCHEMA,
    name,
    exporter: 'huatuo',
    activeProfileIndex: 0,
    shared: { frames },
    profiles: [{ type: 'sampled', name, unit: period === undefined && !opts.nanoseconds ? 'none' : 'nanoseconds', startValue: 0, endValue: end, samples, weights }],
  };
}
