// huatuo profile: flags (the kind: --mode, or --off-cpu/--lock/--page-faults) → runProfile (src/profile/run.ts: ProfileSession on bpf/profile.bpf.c,
// ProfileCollector for symbolization and pod names) → flame graphs, folded, speedscope, pprof,
// capture, views.
import { Command, Option } from 'commander';
import { getPriority, setPriority } from 'node:os';
import { addFilterOptions, addOutputOptions, cgroupContextFrom, examples, outputMode, taskFilterFrom, type CommonOptions } from '../options/common.js';
import { parsePositiveInt, parseSeconds, parseTimeNs, formatDuration } from '../options/units.js';
import { numberArg } from '../options/values.js';
import { preflight } from '../bpf-loader/preflight.js';
import { checkSampling, DEFAULT_FREQUENCY_HZ, MAX_STACK_STORAGE, MAX_SAMPLE_HZ, OFFCPU_STATES, type OffCpuOptions, type OffCpuState } from '../tools/profile.js';
import { PROFILE_KINDS, type ProfileKind } from '../model/stack.js';
import type { ProfileSnapshot } from '../profile/collector.js';
import { renderProfile, runProfile, samplingHz, type ProfileRun } from '../profile/run.js';
import { foldSamples, GROUP_BY, type GroupBy } from '../profile/fold.js';
import { liveTop } from '../profile/top.js';
import type { LiveProfileTop } from '../model/stack.js';
import { flameTargets, type FlameOutputs } from '../profile/outputs.js';
import { printProfileSummary, profileInterval, profileHints, printProfileHints } from '../profile/summary.js';
import { stopOnSignals } from '../collector/ticks.js';
import { makeCapture, writeCapture } from '../capture/capture.js';
import { profileCaptureData } from '../profile/capture.js';
import { profileRunMeta } from '../profile/run.js';
import { checkOutputs, type OutputTarget } from '../output/files.js';
import { stdoutClaimedBy } from '../output/results.js';
import { writeNdjson } from '../output/ndjson.js';
import { setVerbose, logWarn } from '../log.js';
import { usageError } from '../errors.js';

/**
 * --min-block's default. Blocks under a millisecond are mostly hand-offs (a futex passed
 * between threads, a pipe read that waits for the writer's next line) that no user waits
 * on; the graph keeps the waits a request can feel. They cost the same in the kernel
 * either way (the stacks are taken at switch-out), and their total is reported, so
 * --min-block 0 is one flag away when it is large.
 */
export const DEFAULT_MIN_BLOCK_NS = 1e6;

interface ProfileFlags extends CommonOptions, FlameOutputs {
  mode?: ProfileKind;
  offCpu?: boolean;
  lock?: boolean;
  pageFaults?: boolean;
  minBlock?: string;
  state?: OffCpuState;
  includeRunqueue?: boolean;
  kernel?: boolean;
  frequency?: number;
  period?: number;
  event: 'cpu-clock' | 'cycles';
  userOnly?: boolean;
  kernelOnly?: boolean;
  includeIdle?: boolean;
  stackStorageSize: number;
  groupBy: GroupBy;
  perPid?: boolean;
  inverted?: boolean;
  minWidth?: number;
  top: number;
}

/**
 * nice -5, unless the user chose a nice level. huatuo's own work is small but comes in
 * bursts (symbol tables at the start, symbolization and files at the end); at nice 0 on a
 * saturated 2-CPU node those bursts waited for CPU: runs overran -d by 3-4 s and took 4 s
 * to answer SIGTERM. Needs CAP_SYS_NICE; without it the run goes on as it is.
 */
function raisePriority(): void {
  try {
    if (getPriority() === 0) setPriority(-5);
  } catch { /* not allowed */ }
}

/** The run's kind from --mode and its shorthands; flags of another kind are usage errors. */
export function profileKindOf(flags: ProfileFlags, given: (flag: string) => boolean): ProfileKind {
  const picked = [flags.offCpu && 'off-cpu', flags.lock && 'lock', flags.pageFaults && 'page-faults', flags.mode].filter((k): k is ProfileKind => !!k);
  const kinds = [...new Set(picked)];
  if (kinds.length > 1) throw usageError(`one kind per run: ${kinds.join(' and ')} were both asked for`);
  const kind = kinds[0] ?? 'cpu';
  const only: Array<[string, ProfileKind[]]> = [
    ['--frequency', ['cpu']], ['--period', ['cpu']], ['--event', ['cpu']], ['--include-idle', ['cpu']],
    ['--min-block', ['off-cpu']], ['--state', ['off-cpu']], ['--include-runqueue', ['off-cpu']], ['--kernel', ['page-faults']],
  ];
  for (const [flag, kindsOf] of only) {
    if (given(flag) && !kindsOf.includes(kind)) throw usageError(`${flag} applies to ${kindsOf.map((k) => (k === 'cpu' ? 'on-CPU profiles' : `--${k}`)).join(', ')}, not to ${kind === 'cpu' ? 'on-CPU profiles' : `--${kind}`}`);
  }
  return kind;
}

/** What the run weighs, for the flame graph's subtitle. */
function kindText(kind: ProfileKind, flags: ProfileFlags, off: OffCpuOptions | undefined): string {
  if (kind === 'off-cpu') return `off-CPU, state ${off!.state}, blocks ≥ ${formatDuration(off!.minBlockNs)}${off!.includeRunqueue ? ', with run-queue time' : ''}`;
  if (kind === 'lock') return 'lock contention';
  if (kind === 'page-faults') return flags.kernel ? 'page faults, user and kernel' : 'user page faults';
  return flags.event;
}

export function profileCommand(): Command {
  const cmd = new Command('profile').description('stacks, symbolized, as flame graphs and exports: CPU samples, or off-CPU time, lock contention, page faults');
  addFilterOptions(cmd);
  cmd
    .argument('[duration]', 'seconds to profile, as bcc\'s profile takes them (the same as -d)', parseSeconds)
    .option('-F, --frequency <hz>', `samples per second per CPU (default ${DEFAULT_FREQUENCY_HZ}, at most ${MAX_SAMPLE_HZ})`, parsePositiveInt)
    .option('--period <n>', 'sample every N events instead (ns of CPU time for cpu-clock)', parsePositiveInt)
    .addOption(new Option('--event <e>', 'what to sample on: cpu-clock (software), or cycles where a PMU exists').choices(['cpu-clock', 'cycles']).default('cpu-clock'))
    .option('-U, --user-only', 'user stacks only')
    .option('-K, --kernel-only', 'kernel stacks only')
    .option('--include-idle', 'count the idle task (pid 0) too')
    .addOption(new Option('--mode <kind>', 'what stacks are weighed by: cpu (samples), off-cpu (blocked time), lock (contention time), page-faults').choices(PROFILE_KINDS))
    .option('--off-cpu', 'the same as --mode off-cpu: time blocked, by the stack it blocked in (sched_switch)')
    .option('--lock', 'the same as --mode lock: kernel lock contention time (lock:contention_begin/end, 5.19+)')
    .option('--page-faults', 'the same as --mode page-faults: user page faults, by the stack that touched the memory')
    .option('--min-block <time>', `off-CPU: drop blocks shorter than this in the kernel (default ${formatDuration(DEFAULT_MIN_BLOCK_NS)}; 0 keeps all)`)
    .addOption(new Option('--state <s>', 'off-CPU: the state it blocked in: D (uninterruptible: I/O, some locks), S (interruptible sleep), any').choices(OFFCPU_STATES).default('any'))
    .option('--include-runqueue', 'off-CPU: add time runnable but waiting for a CPU, under a [runqueue] frame of its own')
    .option('--kernel', 'page faults: kernel-mode faults too (exceptions:page_fault_kernel)')
    .addOption(new Option('--stack-storage-size <n>', `distinct stacks the kernel can hold (at most ${MAX_STACK_STORAGE})`).argParser(parsePositiveInt).default(16384))
    .addOption(new Option('--group-by <g>', 'root frames of the flame graph').choices(GROUP_BY).default('process'))
    .option('--per-pid', 'with --group-by process: one root per process (comm-PID)')
    .option('-d, --duration <seconds>', 'stop after this long (default: until Ctrl-C)', parseSeconds)
    .option('-i, --interval <seconds>', 'seconds between --json records and live view refreshes (default 1)', parseSeconds)
    .option('--svg <file>', 'interactive SVG flame graph')
    .option('--html <file>', 'HTML flame graph (d3-flame-graph, works offline)')
    .option('--folded <file>', 'collapsed stacks (flamegraph.pl format; kernel frames end in _[k])')
    .option('--speedscope <file>', 'speedscope JSON')
    .option('--pprof <file>', 'gzipped pprof profile (go tool pprof, Pyroscope)')
    .option('--inverted', 'icicle graph (SVG): roots at the top')
    .option('--min-width <px>', 'SVG: leave out frames narrower than this', numberArg({ min: 0 }))
    .addOption(new Option('--top <n>', 'functions in the plain and JSON summaries').argParser(parsePositiveInt).default(20));
  addOutputOptions(cmd);
  examples(cmd, [
    ['huatuo profile -d 30 --svg cpu.svg', 'the whole node for 30 s, as a flame graph'],
    ['huatuo profile 10 --folded out.folded', 'ten seconds, bcc style'],
    ['huatuo profile --pod api-5c -d 30 --svg api.svg', 'one pod, symbolized from its own files'],
    ['huatuo profile -p 1234 -d 10 --folded out.folded', 'one process, collapsed stacks'],
    ['huatuo profile --group-by pod -d 20 --html node.html', 'a node, one root per pod'],
    ['huatuo profile --json -i 5 -d 60', 'the top functions of every 5 s, as NDJSON'],
    ['huatuo profile -d 10 -o cap.json && huatuo report cap.json --pprof cpu.pb.gz', 'capture now, render later'],
    ['huatuo profile --off-cpu -p 1234 -d 10 --svg off.svg', 'where one process waits, weighted by time'],
    ['huatuo profile --off-cpu --state D -d 10 --folded d.folded', 'uninterruptible waits (I/O) of the node'],
    ['huatuo profile --lock -d 10 --svg lock.svg', 'kernel lock contention'],
    ['huatuo profile --page-faults -p 1234 -d 10 --svg faults.svg', 'which code touches new memory'],
  ]);
  cmd.action(async (durationArg: number | undefined, flags: ProfileFlags) => {
    setVerbose(!!flags.verbose);
    if (durationArg !== undefined && flags.duration !== undefined) throw usageError('give the duration once: as [duration] or as -d, not both');
    const durationS = durationArg ?? flags.duration;
    const given = (flag: string) => cmd.getOptionValueSource(flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())) === 'cli';
    const kind = profileKindOf(flags, given);
    const offCpu: OffCpuOptions | undefined = kind === 'off-cpu' ? {
      minBlockNs: flags.minBlock === undefined ? DEFAULT_MIN_BLOCK_NS : parseTimeNs(flags.minBlock, 'ms', '--min-block'),
      state: flags.state ?? 'any',
      includeRunqueue: !!flags.includeRunqueue,
    } : undefined;
    const intervalS = flags.interval ?? 1;
    const sampling = {
      frequencyHz: samplingHz(flags.frequency, flags.period),
      period: flags.period,
      event: flags.event,
      userOnly: !!flags.userOnly,
      kernelOnly: !!flags.kernelOnly,
    };
    if (flags.frequency !== undefined && flags.period !== undefined) throw usageError('-F/--frequency and --period exclude each other');
    checkSampling(sampling);
    if (flags.stackStorageSize > MAX_STACK_STORAGE) throw usageError(`--stack-storage-size ${flags.stackStorageSize}: at most ${MAX_STACK_STORAGE}`);
    const cgroups = cgroupContextFrom(flags);
    const filter = taskFilterFrom(flags, cgroups);
    const capture: OutputTarget[] = flags.output ? [{ flag: '-o', path: flags.output, kind: 'capture' }] : [];
    checkOutputs([...flameTargets(flags), ...capture]);
    preflight();
    raisePriority();
    const started = new Date();
    // Before start-up: Ctrl-C while loading, sampling or writing the files is a normal end.
    const stop = stopOnSignals();
    const labels = cgroups.mount ? { resolver: cgroups.resolver(), hier: cgroups.mount.hier } : undefined;
    // An output on stdout (`--svg -`) leaves no terminal for the live view.
    const mode = outputMode(flags) === 'live' && stdoutClaimedBy() ? 'plain' : outputMode(flags);
    let live: { update(s: LiveProfileTop): void; finish(): Promise<void> } | undefined;
    if (mode === 'live') {
      const { liveProfileView } = await import('../views/profile-live.js');
      live = await liveProfileView({ groupBy: flags.groupBy, onQuit: stop.stop });
    }
    let sampledFrom = 0;
    let windowFrom = 0;
    const interval = (s: ProfileSnapshot, now: number) => {
      if (mode === 'json') {
        const at = { time: new Date(now), elapsedS: (now - sampledFrom) / 1000, windowS: (now - windowFrom) / 1000 };
        writeNdjson(profileInterval(foldSamples(s.window, 'process'), flags.top, at));
      }
      windowFrom = now;
    };
    let run: ProfileRun;
    try {
      // A snapshot every tick in every mode (see ProfileCollector); -d counts from attach.
      run = await runProfile({
        sampling: { ...sampling, kind, offCpu, kernelFaults: !!flags.kernel, filter, cgroupHier: cgroups.mount, includeIdle: !!flags.includeIdle, stackStorageSize: flags.stackStorageSize },
        labels,
        hostRoot: flags.hostRoot,
        durationS,
        intervalS,
        signal: stop.signal,
        onTick: (s, now, from) => {
          if (!sampledFrom) sampledFrom = windowFrom = from;
          live?.update(liveTop(s.samples, s.totalSamples, !!flags.perPid, kind));
          interval(s, now);
        },
      });
      if (!sampledFrom) sampledFrom = windowFrom = run.sampledFrom;
      interval(run.snap, run.sampledUntil);
    } finally {
      await live?.finish();
    }
    const { snap } = run;
    const who = flags.pod ? `pod ${flags.namespace ? `${flags.namespace}/` : ''}${flags.pod}`
      : flags.pid ? `pid ${flags.pid}` : flags.tid ? `tid ${flags.tid}` : flags.comm ? `comm ${flags.comm}`
      : flags.cgroup ? `cgroup ${flags.cgroup}` : flags.container ?? flags.containerId ?? flags.namespace ?? 'all processes';
    const { stacks, summary, title, subtitle } = renderProfile(run, flags, {
      groupBy: flags.groupBy, perPid: !!flags.perPid, who, event: kindText(kind, flags, offCpu), top: flags.top, inverted: flags.inverted, minWidth: flags.minWidth,
    });
    if (!stacks.length && (flags.svg || flags.html || flags.folded || flags.speedscope || flags.pprof)) {
      logWarn(kind === 'cpu' ? 'no samples: no flame graph written (is the target running on a CPU?)' : `nothing counted (${kindText(kind, flags, offCpu)}): no flame graph written`);
    }
    if (flags.output) {
      writeCapture(flags.output, makeCapture('profile', started, null, profileCaptureData(profileRunMeta(run, {
        event: flags.event, frequencyHz: flags.frequency, period: flags.period, groupBy: flags.groupBy, perPid: !!flags.perPid, title, subtitle, offCpu, kernelFaults: !!flags.kernel,
      }), snap)));
    }
    if (mode === 'json') {
      writeNdjson(summary);
      printProfileHints(profileHints(summary, snap.jit));
    } else printProfileSummary(summary, snap.jit);
    stop.dispose();
  });
  return cmd;
}

