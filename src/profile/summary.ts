// A profile's summary for --plain and --json (live runs and `huatuo report` alike): top
// functions by self samples, stack-storage losses, and stacks broken by missing frame pointers.
import type { FoldedStack } from './model.js';
import type { StackErrors } from '../tools/profile.js';
import type { BrokenStackReport } from '../symbolize/index.js';
import { topFunctions } from './top.js';
import { plainTable } from '../output/plain.js';
import { textField } from '../output/latency-fields.js';
import { formatDuration } from '../options/units.js';
import { results } from '../output/results.js';

export interface ProfileSummary {
  type: 'summary';
  tool: 'profile';
  duration_s: number | null;
  samples: number;
  top: Array<{ name: string; self: number; total: number; self_pct: number; total_pct: number }>;
  stack_errors: StackErrors | null;
  broken_stacks: BrokenStackReport[];
  files: string[];
}

export interface RunFacts {
  durationS?: number;
  errors?: StackErrors;
  broken?: BrokenStackReport[];
}

export function profileSummary(stacks: FoldedStack[], n: number, files: string[], facts: RunFacts = {}): ProfileSummary {
  const { functions, samples } = topFunctions(stacks, { skipRoot: true });
  const pct = (v: number) => (samples ? Math.round((v / samples) * 1000) / 10 : 0);
  return {
    type: 'summary',
    tool: 'profile',
    duration_s: facts.durationS === undefined ? null : Math.round(facts.durationS * 1000) / 1000,
    samples,
    top: functions.sort((a, b) => b.self - a.self || a.name.localeCompare(b.name)).slice(0, n)
      .map((f) => ({ ...f, self_pct: pct(f.self), total_pct: pct(f.total) })),
    stack_errors: facts.errors ?? null,
    broken_stacks: facts.broken ?? [],
    files,
  };
}

export function printProfileSummary(s: ProfileSummary): void {
  type Row = ProfileSummary['top'][number];
  const out = [`profile: ${s.samples} samples${s.duration_s === null ? '' : ` in ${formatDuration(s.duration_s * 1e9)}`}`];
  if (s.top.length) {
    out.push(plainTable<Row>([
      textField('self_pct', 'SELF%', 6, (r) => r.self_pct.toFixed(1)),
      textField('total_pct', 'TOTAL%', 6, (r) => r.total_pct.toFixed(1)),
      textField('self', 'SAMPLES', 8, (r) => r.self),
      textField('name', 'FUNCTION', 50, (r) => (r.name.length > 54 ? `${r.name.slice(0, 53)}…` : r.name)),
    ], s.top, 'us'));
  }
  for (const b of s.broken_stacks.filter((x) => x.share >= 0.1)) {
    out.push(`broken stacks: ${(b.share * 100).toFixed(0)}% of ${b.module}'s samples stop before a thread entry: build it with -fno-omit-frame-pointer`);
  }
  const e = s.stack_errors;
  if (e) {
    const lost = e.kernel.map_full + e.user.map_full + e.kernel.collision + e.user.collision + e.counts_full;
    if (lost) out.push(`stack storage: ${lost} samples lost a stack (collisions or full maps): raise --stack-storage-size`);
  }
  for (const f of s.files) out.push(`wrote ${f}`);
  results().write(out.join('\n') + '\n');
}
