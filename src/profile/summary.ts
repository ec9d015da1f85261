// A profile's records for --plain and --json (live runs and `huatuo report` alike): one
// per interval (the top functions of that window), then the summary: top functions by
// self samples, stack-storage losses, and stacks broken by missing frame pointers.
// Hints (one line per cause, whatever the number of processes) go to stderr.
import { PROFILE_UNITS, type FoldedStack, type ProfileKind, type ProfileUnit } from '../model/stack.js';
import type { FramelessReport } from '../symbolize/frameless.js';
import type { StackErrors } from '../tools/profile.js';
import type { JitReport } from './collector.js';
import { BROKEN_STACK_HINT, PERF_MAP_HOWTO, type BrokenStackReport, type JitRuntime } from '../symbolize/index.js';
import { topFunctions } from './top.js';
import { plainTable } from '../output/plain.js';
import { textField } from '../model/latency-fields.js';
import { formatDuration } from '../model/units.js';
import { results } from '../output/results.js';

export interface TopEntry {
  name: string;
  self: number;
  total: number;
  self_pct: number;
  total_pct: number;
}

export interface ProfileInterval {
  type: 'interval';
  tool: 'profile';
  /** ISO 8601, the end of the window. */
  time: string;
  /** Since sampling started. */
  elapsed_s: number;
  window_s: number;
  /** Samples in this window. */
  samples: number;
  top: TopEntry[];
}

export interface ProfileSummary {
  type: 'summary';
  tool: 'profile';
  /** What the counts weigh (absent in captures older than the kinds: cpu). */
  kind: ProfileKind;
  /** What `samples`, `self` and `total` count: samples, nanoseconds (off-CPU, lock) or faults. */
  unit: 'samples' | 'nanoseconds' | 'faults';
  duration_s: number | null;
  samples: number;
  top: TopEntry[];
  stack_errors: StackErrors | null;
  broken_stacks: BrokenStackReport[];
  /** Per leaf binary: weight of stacks whose frameless leaf hid callers, recovered or lost. */
  frameless: FramelessReport[];
  files: string[];
}

export interface RunFacts {
  durationS?: number;
  errors?: StackErrors;
  broken?: BrokenStackReport[];
  kind?: ProfileKind;
  frameless?: FramelessReport[];
}

const unitName = (u: ProfileUnit): ProfileSummary['unit'] => (u.time ? 'nanoseconds' : u.countName === 'faults' ? 'faults' : 'samples');

const seconds = (s: number) => Math.round(s * 1000) / 1000;

/** The n functions with the most self samples of stacks rooted at a process/pod (the root is not a function). */
function top(stacks: FoldedStack[], n: number): { samples: number; top: TopEntry[] } {
  const { functions, samples } = topFunctions(stacks, { skipRoot: true });
  const pct = (v: number) => (samples ? Math.round((v / samples) * 1000) / 10 : 0);
  // Collapsed stacks may count in fractions (flamegraph.pl's rule): sums of those carry
  // float noise (0.30000000000000004); nine significant digits is what they meant.
  const clean = (v: number) => (Number.isInteger(v) ? v : Number(v.toPrecision(9)));
  return {
    samples: clean(samples),
    top: functions.sort((a, b) => b.self - a.self || a.name.localeCompare(b.name)).slice(0, n)
      .map((f) => ({ ...f, self: clean(f.self), total: clean(f.total), self_pct: pct(f.self), total_pct: pct(f.total) })),
  };
}

export function profileSummary(stacks: FoldedStack[], n: number, files: string[], facts: RunFacts = {}): ProfileSummary {
  const t = top(stacks, n);
  const kind = facts.kind ?? 'cpu';
  return {
    type: 'summary',
    tool: 'profile',
    kind,
    unit: unitName(PROFILE_UNITS[kind]),
    duration_s: facts.durationS === undefined ? null : seconds(facts.durationS),
    samples: t.samples,
    top: t.top,
    stack_errors: facts.errors ?? null,
    broken_stacks: facts.broken ?? [],
    frameless: facts.frameless ?? [],
    files,
  };
}

/** One window's record: `stacks` are the window's samples, folded with a root frame. */
export function profileInterval(stacks: FoldedStack[], n: number, at: { time: Date; elapsedS: number; windowS: number }): ProfileInterval {
  const t = top(stacks, n);
  return { type: 'interval', tool: 'profile', time: at.time.toISOString(), elapsed_s: seconds(at.elapsedS), window_s: seconds(at.windowS), samples: t.samples, top: t.top };
}

const LIST = 3;

/** What the user could do about what the run could not see: one line per cause. */
export function profileHints(s: ProfileSummary, jit: JitReport[] = []): string[] {
  const out: string[] = [];
  for (const j of jit) {
    const howto = PERF_MAP_HOWTO[j.runtime as JitRuntime | ''] ?? PERF_MAP_HOWTO[''];
    const who = `${j.processes}${j.runtime ? ` ${j.runtime}` : ''} process${j.processes === 1 ? '' : 'es'}`;
    out.push(`${who} ran JIT code without a perf map: ${howto.replace('{them}', j.processes === 1 ? 'it' : 'them')}`);
  }
  // Binaries with a tenth of their stacks broken, when that is a twentieth of all user stacks.
  const bad = s.broken_stacks.filter((b) => b.share >= 0.1 && b.broken > 0).sort((a, b) => b.broken - a.broken || a.module.localeCompare(b.module));
  const all = s.broken_stacks.reduce((n, b) => n + b.samples, 0);
  const broken = bad.reduce((n, b) => n + b.broken, 0);
  if (bad.length && broken >= 0.05 * all) {
    const names = bad.slice(0, LIST).map((b) => b.module).join(', ') + (bad.length > LIST ? ` and ${bad.length - LIST} more` : '');
    out.push(`broken stacks: ${Math.round((100 * broken) / all)}% of user stacks stop before a thread entry, in ${names}: ${BROKEN_STACK_HINT.replace('build', bad.length === 1 ? 'build it' : 'build them')}`);
  }
  const lostFrames = s.frameless.filter((f) => f.lost > 0);
  if (lostFrames.length) {
    out.push(`frameless callers: stacks leaving ${lostFrames.slice(0, LIST).map((f) => f.module).join(', ')} lost the caller of a frameless function that could not be proved from the stack (see docs/profile.md)`);
  }
  const e = s.stack_errors;
  if (e) {
    const lost = e.kernel.map_full + e.user.map_full + e.kernel.collision + e.user.collision + e.counts_full;
    if (lost) out.push(`stack storage: ${lost} samples lost a stack (collisions or full maps): raise --stack-storage-size`);
  }
  return out;
}

export function printProfileHints(lines: string[]): void {
  for (const l of lines) process.stderr.write(`huatuo: hint: ${l}\n`);
}

/** The summary as a table on the results stream, its hints on stderr. */
export function printProfileSummary(s: ProfileSummary, jit: JitReport[] = []): void {
  type Row = ProfileSummary['top'][number];
  const unit = PROFILE_UNITS[s.kind ?? 'cpu'];
  const amount = (v: number) => (unit.time ? formatDuration(v) : `${v}`);
  const during = s.duration_s === null ? '' : ` in ${formatDuration(s.duration_s * 1e9)}`;
  const head = unit.time ? `profile (${unit.title}): ${amount(s.samples)}${during}` : `profile${s.kind && s.kind !== 'cpu' ? ` (${unit.title})` : ''}: ${s.samples} ${unit.countName}${during}`;
  const out = [head];
  if (s.top.length) {
    out.push(plainTable<Row>([
      textField('self_pct', 'SELF%', 6, (r) => r.self_pct.toFixed(1)),
      textField('total_pct', 'TOTAL%', 6, (r) => r.total_pct.toFixed(1)),
      textField('self', unit.time ? 'TIME' : unit.countName.toUpperCase(), 8, (r) => amount(r.self)),
      textField('name', 'FUNCTION', 50, (r) => (r.name.length > 54 ? `${r.name.slice(0, 53)}…` : r.name)),
    ], s.top, 'us'));
  }
  for (const f of s.files) out.push(`wrote ${f}`);
  results().write(out.join('\n') + '\n');
  printProfileHints(profileHints(s, jit));
}
