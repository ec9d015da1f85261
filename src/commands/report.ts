// huatuo report: re-render a capture offline, without root. Profile captures and
// collapsed-stack files (perf script | stackcollapse, bpftrace, bcc profile -f, or `-`
// for stdin) become flame graphs and exports; --diff draws a differential flame graph;
// latency captures (schedlat, …) print their summary table again.
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { readCapture, CAPTURE_FORMAT, type Capture } from '../capture/capture.js';
import { writeOutput } from '../output/files.js';
import { parseFolded, renderDiffSvg } from '../flamegraph/index.js';
import { foldSamples, GROUP_BY, type GroupBy } from '../profile/fold.js';
import { writeFlameOutputs, type FlameOutputs } from '../profile/outputs.js';
import type { FoldedStack, ProfileSample } from '../profile/model.js';
import { examples } from '../options/common.js';
import { HuatuoError, ExitCode, usageError } from '../errors.js';
import { profileSummary, printProfileSummary } from '../profile/summary.js';
import { writeNdjson } from '../output/ndjson.js';
import type { StackErrors } from '../tools/profile.js';
import type { BrokenStackReport } from '../symbolize/index.js';
import { reprintLatencyCapture } from '../output/latency-report.js';
import { results } from '../output/results.js';
import { logWarn } from '../log.js';

interface ReportFlags extends FlameOutputs {
  diff?: boolean;
  groupBy: GroupBy;
  perPid?: boolean;
  inverted?: boolean;
  minWidth?: number;
  title?: string;
  json?: boolean;
  top: number;
}

function readInput(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new HuatuoError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.Runtime);
  }
}

interface Loaded {
  stacks?: FoldedStack[];
  capture?: Capture;
  label: string;
}

/** A capture (any tool) or collapsed stacks. */
function load(path: string, flags: ReportFlags): Loaded {
  const text = readInput(path);
  if (text.trimStart().startsWith('{') && text.includes(`"${CAPTURE_FORMAT}"`)) {
    const capture = path === '-' ? (JSON.parse(text) as Capture) : readCapture(path);
    if (capture.tool !== 'profile') return { capture, label: path };
    const samples = (capture.data as { samples: ProfileSample[] }).samples;
    return { capture, stacks: foldSamples(samples, flags.groupBy, !!flags.perPid), label: path };
  }
  const label = path === '-' ? 'stdin' : path;
  let folded;
  try {
    folded = parseFolded(text);
  } catch (e) {
    throw new HuatuoError(`${label}: not a huatuo capture nor ${(e as Error).message}`, ExitCode.Runtime);
  }
  if (folded.firstIgnored) {
    const n = folded.ignored;
    logWarn(`${label}: ignored ${n} line${n === 1 ? '' : 's'} that ${n === 1 ? 'is' : 'are'} not "frame;frame;... COUNT" (first, line ${folded.firstIgnored.line}: "${folded.firstIgnored.excerpt}")`);
  }
  return { stacks: folded.stacks, label };
}

export function reportCommand(): Command {
  const cmd = new Command('report')
    .description('re-render a capture or collapsed stacks offline (no root needed)')
    .argument('<input...>', 'capture file or collapsed stacks (- for stdin); two with --diff')
    .option('--diff', 'differential flame graph of BEFORE AFTER (red grew, blue shrank)')
    .option('--svg <file>', 'interactive SVG flame graph')
    .option('--html <file>', 'HTML flame graph (works offline)')
    .option('--folded <file>', 'collapsed stacks')
    .option('--speedscope <file>', 'speedscope JSON')
    .option('--pprof <file>', 'gzipped pprof profile')
    .addOption(new Option('--group-by <g>', 'root frames, for profile captures').choices(GROUP_BY).default('process'))
    .option('--per-pid', 'with --group-by process: one root per process')
    .option('--inverted', 'icicle graph (SVG)')
    .option('--min-width <px>', 'SVG: leave out frames narrower than this', Number)
    .option('--title <text>', 'flame graph title')
    .option('--json', 'summary as JSON')
    .addOption(new Option('--top <n>', 'functions in the summary').argParser(Number).default(20));
  examples(cmd, [
    ['huatuo report cap.json --svg cpu.svg', 'a saved profile as a flame graph'],
    ['perf script | stackcollapse-perf.pl | huatuo report - --svg perf.svg', 'in place of flamegraph.pl'],
    ['huatuo report --diff before.folded after.folded --svg diff.svg', 'what changed'],
    ['huatuo report schedlat.json', 'a schedlat capture\'s summary table again'],
  ]);
  cmd.action((inputs: string[], flags: ReportFlags) => {
    if (flags.diff) {
      if (inputs.length !== 2) throw usageError('--diff takes two inputs: BEFORE AFTER');
      if (!flags.svg) throw usageError('--diff draws an SVG: give --svg FILE');
      const [before, after] = inputs.map((p) => load(p, flags));
      if (!before.stacks || !after.stacks) throw usageError('--diff compares profiles or collapsed stacks');
      writeOutput({ flag: '--svg', path: flags.svg, kind: 'export' }, renderDiffSvg(before.stacks, after.stacks, {
        title: flags.title ?? 'huatuo differential flame graph',
        subtitle: `${before.label} → ${after.label}  (red grew, blue shrank)`,
      }));
      results().write(`wrote ${flags.svg}\n`);
      return;
    }
    if (inputs.length !== 1) throw usageError('report takes one input (two with --diff)');
    const input = load(inputs[0], flags);
    if (!input.stacks) {
      reprintLatencyCapture(input.capture!, !!flags.json);
      return;
    }
    const c = input.capture;
    const meta = (c?.data as { meta?: { frequency_hz?: number | null; period?: number | null } } | undefined)?.meta;
    const periodNs = meta?.period ?? 1e9 / (meta?.frequency_hz ?? 99);
    const total = input.stacks.reduce((n, s) => n + s.count, 0);
    const written = writeFlameOutputs(input.stacks, flags, {
      title: flags.title ?? 'huatuo profile',
      subtitle: c ? `${c.host}  ${c.started}  ${total} samples  (huatuo ${c.args.join(' ')})` : `${input.label}  ${total} samples`,
      inverted: flags.inverted,
      minWidth: flags.minWidth,
      periodNs,
    });
    const run = c?.data as { meta?: { duration_s?: number }; stack_errors?: StackErrors; broken_stacks?: BrokenStackReport[] } | undefined;
    const summary = profileSummary(input.stacks, flags.top, written, { durationS: run?.meta?.duration_s, errors: run?.stack_errors, broken: run?.broken_stacks });
    if (flags.json) writeNdjson(summary);
    else printProfileSummary(summary);
  });
  return cmd;
}
