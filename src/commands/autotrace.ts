// huatuo autotrace: rules (--on, --preset) → runAutotrace (src/autotrace/watch.ts: signals,
// trigger engine, captures through the profile library call) → bundles in --dir and their
// index; triggers and captures printed as they happen (plain), or every sample as NDJSON.
import { Command, Option } from 'commander';
import { examples, checkHostRoot, hostRootOption } from '../options/common.js';
import { repeatableOption } from '../options/repeatable.js';
import { intArg, numberArg, secondsArg } from '../options/values.js';
import { preflight } from '../bpf-loader/preflight.js';
import { stopOnSignals } from '../collector/ticks.js';
import { writeNdjson } from '../output/ndjson.js';
import { results } from '../output/results.js';
import { setVerbose, logWarn } from '../log.js';
import { usageError } from '../errors.js';
import { ContainerResolver } from '../containers/resolver.js';
import { parseRule, isContainerSignal, HUATUO_PRESET, DEFAULT_COOLDOWN_S, type Decision, type Rule, type SignalFrame } from '../autotrace/rules.js';
import { SIGNALS, SIGNAL_NAMES } from '../autotrace/signals.js';
import { runAutotrace, decisionRecord, type CaptureRecord } from '../autotrace/watch.js';
import type { AutotraceLiveState, WatchedSignal } from '../model/autotrace.js';

/** Where bundles go without --dir: beside other daemons' state, root-only. */
export const DEFAULT_DIR = '/var/lib/huatuo/autotrace';

interface AutotraceFlags {
  on?: string[];
  preset?: 'huatuo';
  interval: number;
  duration?: number;
  captureDuration: number;
  lookback: number;
  cooldown?: number;
  dir: string;
  maxCapturesPerHour: number;
  maxMb: number;
  maxOverhead: number;
  signals?: boolean;
  json?: boolean;
  plain?: boolean;
  hostRoot?: string;
  verbose?: boolean;
}

const lookbackArg = secondsArg(1);

export function rulesFrom(flags: Pick<AutotraceFlags, 'on' | 'preset' | 'cooldown'>): Rule[] {
  const texts = [...(flags.preset === 'huatuo' || !flags.on?.length ? HUATUO_PRESET : []), ...(flags.on ?? [])];
  return texts.map((t) => {
    const r = parseRule(t, SIGNAL_NAMES);
    // --cooldown sets the rules that do not set their own.
    if (flags.cooldown !== undefined && !/\bcooldown\b/.test(t)) r.cooldownS = flags.cooldown;
    return r;
  });
}

function decisionLine(d: Decision): string {
  const rec = decisionRecord(d);
  return `${rec.time}  ${d.type === 'fire' ? 'TRIGGER ' : 'SUPPRESSED'}  ${d.rule.text}${d.scope ? ` [${d.scope}]` : ''}  ${d.signal}=${rec.value}${d.type === 'fire' ? `  → ${rec.action}` : `  (${d.reason}: ${d.detail})`}`;
}

function captureLine(c: CaptureRecord): string {
  return `${c.time}  CAPTURE  ${c.dir}  (${(c.bytes / 1024).toFixed(0)} KiB; top: ${c.top.slice(0, 3).map((t) => `${t.process} ${(100 * t.share).toFixed(0)}%`).join(', ') || 'nothing sampled'})`;
}

const SPARK = 40;

/** The live view's state, kept from autotrace's events. */
class LiveState {
  private readonly series = new Map<string, WatchedSignal>();
  readonly state: AutotraceLiveState = { elapsedS: 0, signals: [], log: [], captures: 0, costPct: null, capturing: false };
  private readonly started = Date.now();

  constructor(private readonly rules: Rule[]) {}

  sample(f: SignalFrame, costPct: number | null, capturing: boolean): void {
    const seen = new Set<string>();
    for (const r of this.rules) {
      const c = r.conditions[0];
      const threshold = 'value' in c.threshold ? c.threshold.value : null;
      const scopes: Array<[string, number | undefined]> = isContainerSignal(c.signal)
        ? [...f.containers].map(([k, v]) => [`${c.signal} ${k}`, v.get(c.signal)])
        : [[c.signal, f.host.get(c.signal)]];
      for (const [name, v] of scopes) {
        if (seen.has(name)) continue;
        seen.add(name);
        let s = this.series.get(name);
        if (!s) this.series.set(name, (s = { name, recent: [], threshold: r.psi ? null : threshold }));
        s.recent = [...s.recent, v ?? null].slice(-SPARK);
      }
    }
    for (const k of this.series.keys()) if (!seen.has(k)) this.series.delete(k);
    Object.assign(this.state, { elapsedS: (Date.now() - this.started) / 1000, signals: [...this.series.values()], costPct, capturing });
  }

  line(l: string): void {
    this.state.log = [...this.state.log, l.replace(/^\S+T(\d\d:\d\d:\d\d)\.\d+Z/, '$1')].slice(-8);
  }
}

function printSignals(): void {
  const out = results();
  for (const s of SIGNALS) out.write(`${s.name.padEnd(20)} ${s.unit.padEnd(6)} ${s.what}\n`);
}

export function autotraceCommand(): Command {
  const cmd = new Command('autotrace')
    .description('watch the node and, when a signal spikes, capture the evidence (flame graphs, captures) by itself')
    .addOption(repeatableOption('--on <rule>', 'a trigger, e.g. \'cpu.sys>40 for 3\' (repeat for more; --signals lists the signals)'))
    .addOption(new Option('--preset <name>', 'HUATUO\'s AutoTracing thresholds (the default without --on)').choices(['huatuo']))
    .option('-i, --interval <time>', 'between signal reads', secondsArg(0.1), 1)
    .option('-d, --duration <time>', 'watch this long (default: until Ctrl-C)', secondsArg(1))
    .option('--capture-duration <time>', 'how long each capture samples', secondsArg(1), 10)
    .option('--lookback <time>', 'on-CPU stacks kept from before each trigger, at 19 Hz (0: none)', (v: string) => (v.trim() === '0' ? 0 : lookbackArg(v)), 20)
    .option('--cooldown <time>', `after a capture, the rule waits this long (default ${DEFAULT_COOLDOWN_S / 60} min)`, secondsArg(0.1))
    .option('--dir <dir>', 'where captures and index.ndjson go', DEFAULT_DIR)
    .option('--max-captures-per-hour <n>', 'budget: captures in any hour', intArg({ min: 1 }), 6)
    .option('--max-mb <n>', 'budget: MiB of captures in --dir', numberArg({ min: 1 }), 512)
    .option('--max-overhead <pct>', 'our cost while armed, % of one core: over it, the look-back slows, then stops, then captures are skipped (not applied to the live view unless given)', numberArg({ min: 0.01 }), 1)
    .option('--signals', 'list the signals rules can watch, and exit')
    .option('--json', 'NDJSON on stdout: every sample, trigger and capture')
    .option('--plain', 'print triggers and captures as lines, even on a terminal')
    .addOption(hostRootOption())
    .option('-v, --verbose', 'debug messages on stderr');
  examples(cmd, [
    ['huatuo autotrace', 'HUATUO\'s preset: CPU, containers, D state, memory, disks'],
    ['huatuo autotrace --on \'cpu.sys>40 for 3\' --capture-duration 5s', 'a profile when system time stays high'],
    ['huatuo autotrace --on \'psi.io.some>median+4mad\' --dir /tmp/at', 'off-CPU D-state waits when io pressure leaves its baseline'],
    ['huatuo autotrace --json -d 60 | jq \'select(.type=="capture")\'', 'captures as they are written'],
  ]);
  cmd.action(async (flags: AutotraceFlags) => {
    setVerbose(!!flags.verbose);
    if (flags.signals) return printSignals();
    const rules = rulesFrom(flags);
    if (flags.duration !== undefined && flags.duration < flags.interval) throw usageError('--duration is shorter than one --interval');
    checkHostRoot(flags.hostRoot);
    preflight();
    const stop = stopOnSignals();
    const out = results();
    const resolver = new ContainerResolver({ hostRoot: flags.hostRoot });
    const json = !!flags.json;
    const live = !json && !flags.plain && process.stdout.isTTY === true ? new LiveState(rules) : null;
    const view = live ? (await import('../views/autotrace-live.js')).liveAutotraceView({ onQuit: stop.stop }) : null;
    const show = () => view?.update({ ...live!.state });
    const say = (line: string) => {
      if (live) {
        live.line(line);
        show();
      } else out.write(line + '\n');
    };
    let r: Awaited<ReturnType<typeof runAutotrace>>;
    try {
      r = await runAutotrace({
        rules,
        intervalS: flags.interval,
        durationS: flags.duration,
        captureDurationS: flags.captureDuration,
        dir: flags.dir,
        maxPerHour: flags.maxCapturesPerHour,
        maxBytes: flags.maxMb * 1024 * 1024,
        lookbackS: flags.lookback,
        // The live view costs ~2 % of a core on its own (docs/autotrace.md): with it, the budget holds only when asked for.
      maxOverheadPct: live && cmd.getOptionValueSource('maxOverhead') !== 'cli' ? Infinity : flags.maxOverhead,
        resolver,
        hostRoot: flags.hostRoot,
        signal: stop.signal,
        on: {
          sample: (f, costPct, capturing) => {
            if (live) {
              live.sample(f, costPct, capturing);
              show();
            }
            if (!json) return;
            const containers = Object.fromEntries([...f.containers].map(([k, v]) => [k, Object.fromEntries(v)]));
            writeNdjson({ type: 'sample', time: new Date(f.at).toISOString(), host: Object.fromEntries(f.host), containers });
          },
          decision: (d) => {
            if (json) writeNdjson(decisionRecord(d));
            else say(decisionLine(d));
          },
          capture: (c) => {
            if (json) writeNdjson(c);
            else {
              if (live) live.state.captures++;
              say(captureLine(c));
            }
          },
          unavailable: (what) => logWarn(`autotrace: unavailable: ${what}`),
        },
      });
    } finally {
      await view?.finish();
    }
    const pct = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
    const summary = {
      type: 'summary', tool: 'autotrace', samples: r.samples, triggers: r.triggers, suppressed: r.suppressed, captures: r.captures.length,
      armed_cpu_pct: pct(r.armedCpuPct), lookback_bpf_cpu_pct: pct(r.lookbackBpfPct), dir: flags.dir,
    };
    if (json) writeNdjson(summary);
    else out.write(`autotrace: ${r.samples} samples, ${r.triggers} triggers, ${r.suppressed} suppressed, ${r.captures.length} captures in ${flags.dir}; cost while armed: ${summary.armed_cpu_pct}% of a core in huatuo, ${flags.lookback === 0 ? 'no look-back' : `${summary.lookback_bpf_cpu_pct ?? '?'}% in the look-back's BPF`}\n`);
    stop.dispose();
  });
  return cmd;
}
