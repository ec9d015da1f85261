// huatuo report: re-render a capture offline, without root. Profile captures and
// collapsed-stack files (perf script | stackcollapse, bpftrace, bcc profile -f, or `-`
// for stdin) become flame graphs and exports; --diff draws a differential flame graph;
// latency tools' captures print their summary table again. A flag the input cannot
// use is refused (exit 2), and every output is checked before anything is rendered.
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { Capture } from '../capture/capture.js';
import { looksLikeJson, parseCapture } from '../capture/read.js';
import { checkOutputs, writeOutput, type OutputTarget } from '../output/files.js';
import { parseFolded, renderDiffSvg } from '../flamegraph/index.js';
import { DIFF_RULES, type DiffRule } from '../flamegraph/diff.js';
import { countText } from '../flamegraph/folded.js';
import { foldSamples, pprofSamples, GROUP_BY, type GroupBy } from '../profile/fold.js';
import { flameTargets, writeFlameOutputs, type FlameOutputs } from '../profile/outputs.js';
import { samplesFromCapture, type ProfileCaptureData } from '../profile/capture.js';
import { PROFILE_UNITS, type FoldedStack, type ProfileSample } from '../model/stack.js';
import { formatDuration } from '../model/units.js';
import { examples } from '../options/common.js';
import { intArg, numberArg } from '../options/values.js';
import { HuatuoError, ExitCode, usageError } from '../errors.js';
import { profileSummary, printProfileSummary } from '../profile/summary.js';
import { writeNdjson } from '../output/ndjson.js';
import { reprintLatencyCapture } from '../output/latency-report.js';
import type { LatencyTables } from '../output/latency-report.js';
import { results } from '../output/results.js';
import { logWarn } from '../log.js';

interface ReportFlags extends FlameOutputs {
  diff?: boolean;
  diffRule: DiffRule;
  normalize?: boolean;
  groupBy: GroupBy;
  perPid?: boolean;
  inverted?: boolean;
  minWidth?: number;
  title?: string;
  json?: boolean;
  top: number;
}

type Input =
  | { kind: 'profile'; label: string; capture: Capture<ProfileCaptureData>; stacks: FoldedStack[]; samples: ProfileSample[] }
  | { kind: 'folded'; label: string; stacks: FoldedStack[] }
  | { kind: 'latency'; label: string; capture: Capture };

function readInput(path: string): Buffer {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    throw new HuatuoError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.Runtime);
  }
}

/** A capture (any tool) or collapsed stacks. */
async function load(path: string, flags: ReportFlags): Promise<Input> {
  const label = path === '-' ? 'stdin' : path;
  const bytes = readInput(path);
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new HuatuoError(`${label}: is empty`, ExitCode.Runtime);
  if (looksLikeJson(text)) {
    const capture = await parseCapture(text, label);
    if (capture.tool !== 'profile') return { kind: 'latency', label, capture };
    const data = capture.data as ProfileCaptureData;
    const samples = samplesFromCapture(data);
    return { kind: 'profile', label, capture: capture as Capture<ProfileCaptureData>, stacks: foldSamples(samples, flags.groupBy, !!flags.perPid), samples };
  }
  let folded;
  try {
    folded = parseFolded(bytes);
  } catch (e) {
    throw new HuatuoError(`${label}: not a huatuo capture nor ${(e as Error).message}`, ExitCode.Runtime);
  }
  if (folded.firstIgnored) {
    const n = folded.ignored;
    logWarn(`${label}: ignored ${n} line${n === 1 ? '' : 's'} that ${n === 1 ? 'is' : 'are'} not "frame;frame;... COUNT" (first, line ${folded.firstIgnored.line}: "${folded.firstIgnored.excerpt}")`);
  }
  return { kind: 'folded', label, stacks: folded.stacks };
}

const FLAME_FLAGS = ['svg', 'html', 'folded', 'speedscope', 'pprof'] as const;

/** The flags given on the command line (not defaults), as `--name`. */
function given(cmd: Command, flags: ReportFlags): Set<string> {
  const out = new Set<string>();
  for (const o of cmd.options) {
    const key = o.attributeName() as keyof ReportFlags;
    if (flags[key] !== undefined && cmd.getOptionValueSource(key) === 'cli') out.add(o.long!);
  }
  return out;
}

/** One input, or two with --diff. */
function checkInputs(flags: ReportFlags, inputs: string[]): void {
  if (!flags.diff && inputs.length !== 1) throw usageError('report takes one input (two with --diff)');
  if (flags.diff && inputs.length !== 2) throw usageError('--diff takes two inputs: BEFORE AFTER');
  if (inputs.length === 2 && inputs[0] === '-' && inputs[1] === '-') throw usageError('--diff: stdin can be only one of BEFORE and AFTER');
}

/** Combinations that cannot work for a profile or collapsed stacks. */
function checkFlags(flags: ReportFlags, cli: Set<string>): void {
  if (flags.perPid && flags.groupBy !== 'process') throw usageError('--per-pid goes with --group-by process');
  const svg = flags.svg !== undefined;
  if (flags.diff) {
    for (const f of FLAME_FLAGS) if (f !== 'svg' && flags[f] !== undefined) throw usageError(`--${f}: --diff draws an SVG only`);
    for (const f of ['--json', '--top'] as const) if (cli.has(f)) throw usageError(`${f}: --diff writes no summary, only the SVG`);
    if (!svg) throw usageError('--diff draws an SVG: give --svg FILE');
    if (flags.normalize && flags.diffRule === 'share') throw usageError('--normalize: --diff-rule share always compares shares; it goes with --diff-rule difffolded');
  } else {
    for (const f of ['--diff-rule', '--normalize'] as const) if (cli.has(f)) throw usageError(`${f}: goes with --diff`);
  }
  for (const f of ['--inverted', '--min-width'] as const) {
    if (cli.has(f) && !svg) throw usageError(`${f}: only the SVG has it: give --svg FILE`);
  }
  if (cli.has('--title') && !svg && flags.html === undefined && flags.speedscope === undefined) {
    throw usageError('--title: names the SVG, HTML or speedscope file: give one of them');
  }
}

/** Flags this input cannot use: one line naming the flag and what the input is. */
function checkFlagsFor(inputs: Input[], cli: Set<string>, flags: ReportFlags): void {
  const latency = inputs.find((i) => i.kind === 'latency');
  if (latency?.kind === 'latency') {
    const tool = latency.capture.tool;
    if (flags.diff) throw usageError(`--diff: ${latency.label} is a ${tool} capture: --diff compares profile captures or collapsed stacks`);
    const bad = [...cli].find((f) => f !== '--json');
    if (bad) throw usageError(`${bad}: does not apply to a ${tool} capture (${latency.label}): report prints its summary table, or its record with --json`);
  }
  if (!inputs.some((i) => i.kind === 'profile')) {
    for (const f of ['--group-by', '--per-pid'] as const) {
      if (cli.has(f)) throw usageError(`${f}: applies to profile captures; collapsed stacks (${inputs[0].label}) keep the root frames they have`);
    }
  }
}

function periodNsOf(input: Input): number {
  const meta = input.kind === 'profile' ? input.capture.data.meta : undefined;
  return meta?.period ?? 1e9 / (meta?.frequency_hz ?? 99);
}

async function diff(inputs: string[], flags: ReportFlags, cli: Set<string>): Promise<void> {
  const [before, after] = [await load(inputs[0], flags), await load(inputs[1], flags)];
  checkFlagsFor([before, after], cli, flags);
  if (before.kind === 'latency' || after.kind === 'latency') return; // refused above
  checkFlags(flags, cli);
  const target: OutputTarget = { flag: '--svg', path: flags.svg!, kind: 'export' };
  checkOutputs([target]);
  writeOutput(target, renderDiffSvg(before.stacks, after.stacks, {
    title: flags.title ?? 'huatuo differential flame graph',
    subtitle: `${before.label} → ${after.label}  (red grew, blue shrank: ${flags.diffRule === 'share' ? 'inclusive share' : `self samples${flags.normalize ? ', normalized' : ''}`})`,
    rule: flags.diffRule,
    normalize: flags.normalize,
    inverted: flags.inverted,
    minWidth: flags.minWidth,
  }));
  results().write(`wrote ${flags.svg === '-' ? 'stdout' : flags.svg}\n`);
}

/** `tablesOf`: a latency tool's field tables by its name (src/registry.ts hands them in). */
export function reportCommand(tablesOf: (tool: string) => Promise<LatencyTables | undefined> = async () => undefined): Command {
  const cmd = new Command('report')
    .description('re-render a capture or collapsed stacks offline (no root needed)')
    .argument('<input...>', 'capture file or collapsed stacks (- for stdin); two with --diff')
    .option('--diff', 'differential flame graph of BEFORE AFTER (red grew, blue shrank)')
    .addOption(new Option('--diff-rule <rule>', 'what grew: share (inclusive, BEFORE scaled to AFTER) or difffolded (self samples, as difffolded.pl | flamegraph.pl)').choices(DIFF_RULES).default('share'))
    .option('--normalize', 'with --diff-rule difffolded: scale BEFORE to AFTER\'s total first (difffolded.pl -n)')
    .option('--svg <file>', 'interactive SVG flame graph')
    .option('--html <file>', 'HTML flame graph (works offline)')
    .option('--folded <file>', 'collapsed stacks')
    .option('--speedscope <file>', 'speedscope JSON')
    .option('--pprof <file>', 'gzipped pprof profile')
    .addOption(new Option('--group-by <g>', 'root frames, for profile captures').choices(GROUP_BY).default('process'))
    .option('--per-pid', 'with --group-by process: one root per process')
    .option('--inverted', 'icicle graph (SVG)')
    .option('--min-width <px>', 'SVG: leave out frames narrower than this', numberArg({ min: 0 }))
    .option('--title <text>', 'flame graph title (SVG, HTML, speedscope)')
    .option('--json', 'summary as JSON')
    .addOption(new Option('--top <n>', 'functions in the summary').argParser(intArg({ min: 1 })).default(20));
  examples(cmd, [
    ['huatuo report cap.json --svg cpu.svg', 'a saved profile as a flame graph'],
    ['perf script | stackcollapse-perf.pl | huatuo report - --svg perf.svg', 'in place of flamegraph.pl'],
    ['huatuo report --diff before.folded after.folded --svg diff.svg', 'what changed'],
    ['huatuo report --diff --diff-rule difffolded --normalize a.folded b.folded --svg d.svg', 'coloured as difffolded.pl -n | flamegraph.pl'],
    ['huatuo report latency.json', 'a latency tool\'s capture: its summary table again'],
  ]);
  cmd.action(async (inputs: string[], flags: ReportFlags) => {
    const cli = given(cmd, flags);
    checkInputs(flags, inputs);
    if (flags.diff) return diff(inputs, flags, cli);
    const input = await load(inputs[0], flags);
    checkFlagsFor([input], cli, flags);
    if (input.kind === 'latency') {
      reprintLatencyCapture(input.capture, !!flags.json, await tablesOf(input.capture.tool));
      return;
    }
    checkFlags(flags, cli);
    const targets = flameTargets(flags);
    if (input.stacks.length === 0 && targets.length) {
      throw new HuatuoError(`${input.label}: the capture holds no samples: nothing to write for ${targets[0].flag}`, ExitCode.Runtime);
    }
    checkOutputs(targets);
    const c = input.kind === 'profile' ? input.capture : undefined;
    const meta = c?.data.meta;
    const kind = meta?.kind ?? 'cpu';
    const unit = PROFILE_UNITS[kind];
    const sum = input.stacks.reduce((n, s) => n + s.count, 0);
    const total = unit.time ? formatDuration(sum) : `${countText(sum)} ${unit.countName}`;
    // A capture that names its flame graph (since the profile kinds) renders as the run did.
    const written = targets.length === 0 ? [] : writeFlameOutputs(input.stacks, flags, {
      title: flags.title ?? meta?.title ?? 'huatuo profile',
      subtitle: meta?.subtitle ?? (c ? `${c.host}  ${c.started}  ${total}  (huatuo ${c.args.join(' ')})` : `${input.label}  ${total}`),
      inverted: flags.inverted,
      minWidth: flags.minWidth,
      periodNs: periodNsOf(input),
      unit,
      sampledFromMs: meta?.sampled_from_ms,
      durationS: meta?.sampled_from_ms === undefined ? undefined : meta.duration_s,
      pprofSamples: input.kind === 'profile' && flags.pprof !== undefined ? pprofSamples(input.samples, flags.groupBy, !!flags.perPid) : undefined,
    });
    const run = c?.data;
    const summary = profileSummary(input.stacks, flags.top, written, { durationS: run?.meta.duration_s, errors: run?.stack_errors, broken: run?.broken_stacks, kind, frameless: run?.frameless });
    if (flags.json) writeNdjson(summary);
    else printProfileSummary(summary);
  });
  return cmd;
}
