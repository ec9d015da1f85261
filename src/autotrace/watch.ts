// autotrace as a library call: watch the signals every interval, feed the trigger engine, and
// run one capture at a time when a rule fires, each into its bundle, everything logged in the
// index. Runs for a duration or until the signal aborts; a capture under way when it does is
// finished (its profile stops early) and committed whole. Views are the caller's: it gets
// each sample, decision and capture as events.
import { BundleDir } from './bundle.js';
import { actionFor, runCapture, writeDiff, writeLookback, writeSummary, type ActionKind, type CaptureResult, type LookbackPart } from './actions.js';
import { Lookback } from './lookback.js';
import { PsiTriggers } from './psi.js';
import { OverheadGovernor } from './governor.js';
import { SignalReader } from './signals.js';
import { Budget, TriggerEngine, type Decision, type Rule, type SignalFrame } from './rules.js';
import { runTicks } from '../collector/ticks.js';
import { CgroupHier, cgroupDir } from '../containers/cgroup.js';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerResolver } from '../containers/resolver.js';
import { containerKey } from './signals.js';
import { logWarn } from '../log.js';

export interface AutotraceOptions {
  rules: Rule[];
  intervalS: number;
  durationS?: number;
  captureDurationS: number;
  dir: string;
  maxPerHour: number;
  maxBytes: number;
  /** Seconds of on-CPU look-back kept while armed (0: none). */
  lookbackS: number;
  /** Budget of our cost while armed, percent of one core (huatuo's CPU plus the look-back's BPF). */
  maxOverheadPct: number;
  resolver?: ContainerResolver;
  hostRoot?: string;
  signal: AbortSignal;
  on?: AutotraceEvents;
}

export interface CaptureRecord {
  type: 'capture';
  time: string;
  rule: string;
  scope: string | null;
  action: ActionKind;
  dir: string;
  bytes: number;
  top: CaptureResult['top'];
}

export interface AutotraceEvents {
  /** Each sample, with our cost while armed (% of a core, over the governor's window) and whether a capture runs. */
  sample?(f: SignalFrame, costPct: number | null, capturing: boolean): void;
  decision?(d: Decision): void;
  capture?(c: CaptureRecord): void;
  unavailable?(what: string): void;
}

export interface AutotraceResult {
  samples: number;
  triggers: number;
  suppressed: number;
  captures: CaptureRecord[];
  /** Our own CPU while armed (not capturing), percent of one core. */
  armedCpuPct: number;
  /** The look-back's BPF CPU, percent of one core (null without one, or without the kernel's stats). */
  lookbackBpfPct: number | null;
}

/** Frames kept for a summary's "before" values. */
const BEFORE = 30;

export function decisionRecord(d: Decision): Record<string, unknown> {
  const base = { time: new Date(d.at).toISOString(), rule: d.rule.text, scope: d.scope, signal: d.signal, value: round(d.value) };
  return d.type === 'fire' ? { type: 'trigger', ...base, baseline: d.baseline === null ? null : round(d.baseline), action: actionFor(d.signal) } : { type: 'suppressed', ...base, reason: d.reason, detail: d.detail };
}

const round = (v: number) => Math.round(v * 100) / 100;

function valueOf(f: SignalFrame, signal: string, scope: string | null): number | null {
  return (scope === null ? f.host.get(signal) : f.containers.get(scope)?.get(signal)) ?? null;
}

export async function runAutotrace(o: AutotraceOptions): Promise<AutotraceResult> {
  const dir = new BundleDir(o.dir);
  dir.prepare();
  const mounts = o.resolver?.mounts ?? [];
  const v2 = mounts.find((m) => m.hier === CgroupHier.V2);
  const reader = new SignalReader(o.hostRoot ?? '', mounts);
  const budget = new Budget(o.maxPerHour, o.maxBytes);
  budget.add(dir.bytesUsed());
  const engine = new TriggerEngine(o.rules, budget);
  const recent: SignalFrame[] = [];
  const result: AutotraceResult = { samples: 0, triggers: 0, suppressed: 0, captures: [], armedCpuPct: 0, lookbackBpfPct: null };
  const armedAt = Date.now();
  // The kernel's PSI triggers first: a refused one ends the run before anything is attached.
  const psi = new PsiTriggers(o.rules, o.hostRoot ?? '', (rule) => {
    const d = engine.notify(rule, Date.now(), blocked());
    if (d) handle(d);
  }, v2);
  let lookback: Lookback | null = null;
  try {
    lookback = o.lookbackS > 0 ? new Lookback(o.lookbackS) : null;
  } catch (e) {
    psi.close();
    throw e;
  }
  dir.log({ type: 'armed', time: new Date().toISOString(), rules: o.rules.map((r) => r.text), interval_s: o.intervalS, lookback_s: o.lookbackS, capture_s: o.captureDurationS });

  let capturing: { promise: Promise<void>; frames: SignalFrame[] } | null = null;
  // Our CPU while armed: the time between ticks when no capture runs.
  let armedCpuUs = 0;
  let armedMs = 0;
  let last = { at: Date.now(), cpu: process.cpuUsage() };

  const capture = (d: Extract<Decision, { type: 'fire' }>) => {
    const action = actionFor(d.signal);
    const name = `${new Date(d.at).toISOString().replace(/[:.]/g, '-')}-${d.signal}${d.scope ? `-${d.scope.replace(/[^A-Za-z0-9_.-]+/g, '_')}` : ''}`;
    const beforeValues = recent.map((f) => ({ time: new Date(f.at).toISOString(), value: valueOf(f, d.signal, d.scope) }));
    const frames: SignalFrame[] = [];
    const bundle = dir.begin(name);
    const container = d.scope !== null ? o.resolver?.list().find((c) => containerKey(c) === d.scope) : undefined;
    const mount = container && mounts.find((m) => container.cgroups.some((cg) => cg.hier === m.hier) && m.hier !== CgroupHier.V1Memory);
    const psiCgroup = d.rule.psi?.cgroup;
    const filter = container && mount && o.resolver ? { cgroups: { mount, ids: o.resolver.cgroupIds([container], mount.hier) } }
      : psiCgroup !== undefined && v2 ? { cgroups: { mount: v2, ids: cgroupTreeIds(cgroupDir(v2, psiCgroup)) } } : {};
    const labels = o.resolver && mounts[0] ? { resolver: o.resolver, hier: (mount ?? mounts.find((m) => m.hier !== CgroupHier.V1Memory) ?? mounts[0]).hier } : undefined;
    const who = psiCgroup !== undefined ? `cgroup ${psiCgroup}` : d.scope ? `container ${d.scope}` : 'all processes';
    let before: LookbackPart | null = null;
    let lookbackError: string | null = null;
    if (lookback && action === 'profile') {
      // Now, before the capture starts: the seconds up to the trigger.
      try {
        const v2 = container && o.resolver ? o.resolver.cgroupIds([container], CgroupHier.V2) : undefined;
        before = writeLookback(bundle, lookback, (Date.now() - armedAt) / 1000, { cgroupIds: v2, who, labels, hostRoot: o.hostRoot });
      } catch (e) {
        lookbackError = (e as Error).message;
      }
    }
    const promise = (async () => {
      try {
        const r = await runCapture({ action, durationS: o.captureDurationS, filter, who, labels, hostRoot: o.hostRoot, signal: o.signal, bundle });
        writeSummary(bundle, {
          trigger: decisionRecord(d),
          action,
          kind: r.kind,
          capture_s: r.durationS,
          samples: r.samples,
          top_processes: r.top,
          lookback: before ? { seconds: before.seconds, samples: before.samples, top_processes: before.top, files: ['lookback.json', 'flame-before.svg', 'flame-both.svg', 'flame-diff.svg'] } : lookbackError ? { error: lookbackError } : null,
          before: beforeValues,
          after: frames.map((f) => ({ time: new Date(f.at).toISOString(), value: valueOf(f, d.signal, d.scope) })),
          armed_cpu_pct: armedMs ? round((armedCpuUs / 10) / armedMs) : null,
        });
        if (before) writeDiff(bundle, before.stacks, r.stacks, { beforeNs: before.periodNs, afterNs: r.periodNs });
        const bytes = bundle.commit();
        budget.add(bytes);
        const rec: CaptureRecord = { type: 'capture', time: new Date().toISOString(), rule: d.rule.text, scope: d.scope, action, dir: bundle.final, bytes, top: r.top };
        dir.log(rec);
        result.captures.push(rec);
        o.on?.capture?.(rec);
      } catch (e) {
        bundle.discard();
        logWarn(`autotrace: the capture for ${d.rule.text} failed: ${(e as Error).message}`);
        dir.log({ type: 'capture_failed', time: new Date().toISOString(), rule: d.rule.text, scope: d.scope, error: (e as Error).message });
      }
    })();
    capturing = { promise, frames };
    void promise.finally(() => {
      capturing = null;
      last = { at: Date.now(), cpu: process.cpuUsage() }; // the capture's own cost is not the armed cost
    });
  };

  const governor = new OverheadGovernor(o.maxOverheadPct);
  let skipCaptures = false;
  let costPct: number | null = null;
  let lookbackHz = lookback ? lookback.hz : 0;
  let closedBpfNs = 0;
  const bpfNsOf = (lb: Lookback | null) => {
    const c = lb?.cost();
    return c && c.bpf_ns_per_run !== null ? c.bpf_runs * c.bpf_ns_per_run : 0;
  };
  function blocked(): 'busy' | 'overhead' | null {
    return capturing !== null ? 'busy' : skipCaptures ? 'overhead' : null;
  }
  /** Hold the armed cost under the budget: the look-back's rate first, captures last. */
  function govern(now: number): void {
    if (capturing || o.lookbackS <= 0) return;
    const st = governor.update(now, armedCpuUs, closedBpfNs + bpfNsOf(lookback));
    costPct = st.costPct;
    if (st.skipCaptures !== skipCaptures || st.changed) {
      if (st.changed) {
        // A one-off (loading the object again, ~0.25 s of CPU): not the armed cost the rate is judged by.
        const before = process.cpuUsage();
        closedBpfNs += bpfNsOf(lookback);
        lookback?.close();
        lookback = st.lookbackHz > 0 ? new Lookback(o.lookbackS, st.lookbackHz) : null;
        lookbackHz = st.lookbackHz;
        const spent = process.cpuUsage(before);
        armedCpuUs -= spent.user + spent.system;
      }
      skipCaptures = st.skipCaptures;
      dir.log({ type: 'overhead', time: new Date(now).toISOString(), cost_pct: st.costPct === null ? null : round(st.costPct), max_pct: o.maxOverheadPct, lookback_hz: lookbackHz, skip_captures: skipCaptures });
    }
  }

  function handle(decision: Decision): void {
    if (decision.type === 'fire') result.triggers++;
    else result.suppressed++;
    dir.log(decisionRecord(decision));
    o.on?.decision?.(decision);
    if (decision.type === 'fire') capture(decision);
  }

  const tick = () => {
    const now = Date.now();
    if (!capturing) {
      const cpu = process.cpuUsage(last.cpu);
      armedCpuUs += cpu.user + cpu.system;
      armedMs += now - last.at;
    }
    lookback?.prune();
    const frame = reader.read(now, o.resolver ? o.resolver.list() : []);
    last = { at: Date.now(), cpu: process.cpuUsage() };
    for (const u of reader.unavailable()) o.on?.unavailable?.(u);
    result.samples++;
    o.on?.sample?.(frame, costPct, capturing !== null);
    (capturing as { frames: SignalFrame[] } | null)?.frames.push(frame);
    govern(now);
    for (const decision of engine.observe(frame, blocked())) handle(decision);
    recent.push(frame);
    if (recent.length > BEFORE) recent.shift();
  };

  try {
    tick(); // the first read: rates start from here
    // The armed cost counts from here: start-up (loading the look-back, the first read, a live view's first draw) is not armed.
    await new Promise((r) => setTimeout(r, 0));
    armedCpuUs = 0;
    armedMs = 0;
    last = { at: Date.now(), cpu: process.cpuUsage() };
    await runTicks({ intervalS: o.intervalS, durationS: o.durationS }, o.signal, tick);
    const pending = capturing as { promise: Promise<void> } | null;
    if (pending) await pending.promise;
    result.armedCpuPct = armedMs ? armedCpuUs / 10 / armedMs : 0;
    result.lookbackBpfPct = armedMs && o.lookbackS > 0 ? (closedBpfNs + bpfNsOf(lookback)) / 1e4 / (Date.now() - armedAt) : null;
    return result;
  } finally {
    psi.close();
    lookback?.close();
  }
}

/** The ids (directory inodes) of a cgroup and every cgroup below it. */
function cgroupTreeIds(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    try {
      out.push(statSync(d).ino);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch { /* gone meanwhile */ }
  };
  walk(dir);
  return out;
}
