// huatuo profile: flags → ProfileSession (bpf/profile.bpf.c) → ProfileCollector
// (symbolization, pod names) → flame graphs, folded, speedscope, pprof, capture, views.
import { Command, Option } from 'commander';
import { hostname } from 'node:os';
import { addFilterOptions, addOutputOptions, cgroupContextFrom, examples, outputMode, taskFilterFrom, type CommonOptions } from '../options/common.js';
import { parsePositiveInt, parseSeconds, formatDuration } from '../options/units.js';
import { preflight } from '../bpf-loader/preflight.js';
import { ProfileSession } from '../tools/profile.js';
import { ProfileCollector, type ProfileSnapshot } from '../profile/collector.js';
import { foldSamples, GROUP_BY, type GroupBy } from '../profile/fold.js';
import { writeFlameOutputs, type FlameOutputs } from '../profile/outputs.js';
import { profileSummary, printProfileSummary } from '../profile/summary.js';
import { runTicks, stopOnSignals } from '../collector/ticks.js';
import { makeCapture, writeCapture } from '../capture/capture.js';
import { profileCaptureData } from '../profile/capture.js';
import { writeNdjson } from '../output/ndjson.js';
import { setVerbose, logWarn } from '../log.js';
import { usageError } from '../errors.js';

interface ProfileFlags extends CommonOptions, FlameOutputs {
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

export function profileCommand(): Command {
  const cmd = new Command('profile').description('CPU sampling with kernel and user stacks, symbolized, as flame graphs and exports');
  addFilterOptions(cmd);
  cmd
    .option('-F, --frequency <hz>', 'samples per second per CPU (default 99)', parsePositiveInt)
    .option('--period <n>', 'sample every N events instead (ns of CPU time for cpu-clock)', parsePositiveInt)
    .addOption(new Option('--event <e>', 'what to sample on: cpu-clock (software), or cycles where a PMU exists').choices(['cpu-clock', 'cycles']).default('cpu-clock'))
    .option('-U, --user-only', 'user stacks only')
    .option('-K, --kernel-only', 'kernel stacks only')
    .option('--include-idle', 'count the idle task (pid 0) too')
    .addOption(new Option('--stack-storage-size <n>', 'distinct stacks the kernel can hold').argParser(parsePositiveInt).default(16384))
    .addOption(new Option('--group-by <g>', 'root frames of the flame graph').choices(GROUP_BY).default('process'))
    .option('--per-pid', 'with --group-by process: one root per process (comm-PID)')
    .option('-d, --duration <seconds>', 'stop after this long (default: until Ctrl-C)', parseSeconds)
    .option('--svg <file>', 'interactive SVG flame graph')
    .option('--html <file>', 'HTML flame graph (d3-flame-graph, works offline)')
    .option('--folded <file>', 'collapsed stacks (flamegraph.pl format; kernel frames end in _[k])')
    .option('--speedscope <file>', 'speedscope JSON')
    .option('--pprof <file>', 'gzipped pprof profile (go tool pprof, Pyroscope)')
    .option('--inverted', 'icicle graph (SVG): roots at the top')
    .option('--min-width <px>', 'SVG: leave out frames narrower than this', Number)
    .addOption(new Option('--top <n>', 'functions in the plain and JSON summaries').argParser(parsePositiveInt).default(20));
  addOutputOptions(cmd);
  examples(cmd, [
    ['huatuo profile -d 30 --svg cpu.svg', 'the whole node for 30 s, as a flame graph'],
    ['huatuo profile --pod api-5c -d 30 --svg api.svg', 'one pod, symbolized from its own files'],
    ['huatuo profile -p 1234 -d 10 --folded out.folded', 'one process, collapsed stacks'],
    ['huatuo profile --group-by pod -d 20 --html node.html', 'a node, one root per pod'],
    ['huatuo profile -d 10 -o cap.json && huatuo report cap.json --pprof cpu.pb.gz', 'capture now, render later'],
  ]);
  cmd.action(async (flags: ProfileFlags) => {
    setVerbose(!!flags.verbose);
    if (flags.frequency && flags.period) throw usageError('-F/--frequency and --period do not combine');
    if (flags.userOnly && flags.kernelOnly) throw usageError('-U and -K do not combine');
    const cgroups = cgroupContextFrom(flags);
    const filter = taskFilterFrom(flags, cgroups);
    preflight();
    const started = new Date();
    // Before start-up: Ctrl-C while loading, sampling or writing the files is a normal end.
    const stop = stopOnSignals();
    const session = ProfileSession.start({
      filter,
      cgroupHier: cgroups.mount,
      frequencyHz: flags.period ? undefined : flags.frequency ?? 99,
      period: flags.period,
      event: flags.event,
      userOnly: !!flags.userOnly,
      kernelOnly: !!flags.kernelOnly,
      includeIdle: !!flags.includeIdle,
      stackStorageSize: flags.stackStorageSize,
    });
    const sampling = Date.now(); // the profile's duration counts from here, not from start-up
    const labels = cgroups.mount ? { resolver: cgroups.resolver(), hier: cgroups.mount.hier } : undefined;
    const collector = new ProfileCollector(session, labels, flags.hostRoot);
    const mode = outputMode(flags);
    let snap!: ProfileSnapshot;
    let sampledUntil = Date.now();
    try {
      let live: { update(s: ProfileSnapshot): void; finish(): Promise<void> } | undefined;
      if (mode === 'live') {
        const { liveProfileView } = await import('../views/profile-live.js');
        live = await liveProfileView({ groupBy: flags.groupBy, perPid: !!flags.perPid, onQuit: stop.stop });
      }
      await runTicks({ intervalS: 1, durationS: flags.duration }, stop.signal, () => {
        if (live) live.update(collector.snapshot());
        else session.refreshFilter(); // pods gain containers mid-run
      });
      sampledUntil = Date.now();
      snap = collector.finish();
      await live?.finish();
    } finally {
      collector.close();
      session.close();
    }
    const elapsedS = (sampledUntil - sampling) / 1000;
    const stacks = foldSamples(snap.samples, flags.groupBy, !!flags.perPid);
    const periodNs = flags.period ?? 1e9 / (flags.frequency ?? 99);
    const who = flags.pod ? `pod ${flags.namespace ? `${flags.namespace}/` : ''}${flags.pod}`
      : flags.pid ? `pid ${flags.pid}` : flags.tid ? `tid ${flags.tid}` : flags.comm ? `comm ${flags.comm}`
      : flags.cgroup ? `cgroup ${flags.cgroup}` : flags.container ?? flags.containerId ?? flags.namespace ?? 'all processes';
    const written = stacks.length
      ? writeFlameOutputs(stacks, flags, {
          title: 'huatuo profile',
          subtitle: `${hostname()}  ${who}  ${formatDuration(elapsedS * 1e9)}  ${snap.totalSamples} samples  ${flags.event}`,
          inverted: flags.inverted,
          minWidth: flags.minWidth,
          periodNs,
        })
      : [];
    if (!stacks.length && (flags.svg || flags.html || flags.folded || flags.speedscope || flags.pprof)) {
      logWarn('no samples: no flame graph written (is the target running on a CPU?)');
    }
    const summary = profileSummary(stacks, flags.top, written, { durationS: elapsedS, errors: snap.errors, broken: snap.broken });
    if (flags.output) {
      writeCapture(flags.output, makeCapture('profile', started, null, profileCaptureData(
        { event: flags.event, frequency_hz: flags.period ? null : flags.frequency ?? 99, period: flags.period ?? null, group_by: flags.groupBy, per_pid: !!flags.perPid, duration_s: elapsedS },
        snap,
      )));
    }
    if (mode === 'json') writeNdjson(summary);
    else printProfileSummary(summary);
    stop.dispose();
  });
  return cmd;
}

