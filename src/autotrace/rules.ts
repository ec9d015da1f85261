// autotrace's triggers: rules read from `--on` (or the huatuo preset), and the state that
// decides, sample by sample, when a rule fires, when it is suppressed (cooldown, budget), and
// when its episode is over. Pure: time and values come in, decisions go out; signals.ts reads
// the machine and the command acts.
//
// A rule: conditions on signals, joined by `and`, then options:
//   cpu.sys>45 rise>20                 sys above 45 % and 20 points above its baseline
//   container.cpu>90 rise>55 for 3     per container, three samples in a row
//   psi.io.some>median+4mad window 5m  4 MADs above the rolling median of the last 5 minutes
//   mem.anon_growth>=2 and mem.anon_pct>=70 cooldown 30m
//   psi.io.some>150ms/2s               a kernel PSI trigger: 150 ms stalled within 2 s,
//                                      signalled by the kernel (psi.ts), not sampled
//   psi.memory.full>100ms/2s cgroup /kubepods/pod…   the same on a cgroup v2's own pressure file
// The first condition's signal is the rule's: `rise` and the scope (host, or each container
// for container.* signals) are its. The baseline is the median of the rule's window before the
// sample (at least MIN_HISTORY samples), its spread the median absolute deviation, floored at
// 1 (every signal's unit, percent, ms or count, is coarse enough that 1 is noise).
import { usageError } from '../errors.js';
import { parseSeconds } from '../options/units.js';
import { parseTimeNs } from '../options/values.js';

export type Op = '>' | '>=' | '<' | '<=';

export interface Condition {
  signal: string;
  op: Op;
  /** A value, or k MADs from the rolling median. */
  threshold: { value: number } | { mads: number };
}

/** A kernel PSI trigger: `some|full STALL WINDOW` on /proc/pressure/RESOURCE. */
export interface PsiTrigger {
  resource: string;
  kind: 'some' | 'full';
  stallUs: number;
  windowUs: number;
  /** A cgroup v2 path: its RESOURCE.pressure instead of the host's. */
  cgroup?: string;
}

export interface Rule {
  /** As written (or the preset's), for logs and the index. */
  text: string;
  /** Fired by the kernel's notification instead of by samples. */
  psi?: PsiTrigger;
  conditions: Condition[];
  /** Points above the baseline median the first signal must be, as well. */
  rise?: number;
  /** Consecutive samples the conditions must hold. */
  forN: number;
  windowS: number;
  cooldownS: number;
}

export const DEFAULT_FOR = 2;
export const DEFAULT_WINDOW_S = 300;
export const DEFAULT_COOLDOWN_S = 600;
export const MIN_HISTORY = 10;
const MAD_FLOOR = 1;

/**
 * HUATUO's AutoTracing thresholds as rules (its cpusys, per-container CPU, D-state load,
 * anonymous memory and disk rules); "Δ" there is our rise over the baseline.
 */
export const HUATUO_PRESET = [
  'cpu.sys>45 rise>20',
  'container.cpu>75 rise>45',
  'container.sys>45 rise>20',
  'container.cpu>90 rise>55',
  'load.dstate_ema>5',
  'mem.anon_growth>=2 and mem.anon_pct>=70',
  'disk.util>90 for 2',
  'disk.await_ms>100 for 2',
];

const COND = /^([a-z][a-z0-9_.]*)(>=|<=|>|<)(?:median\+([\d.]+)mad|(-?[\d.]+))$/;
const PSI_COND = /^psi\.([a-z]+)\.(some|full)>(\d+(?:\.\d+)?(?:us|ms|s))\/(\d+(?:\.\d+)?(?:ms|s))$/;
/** The kernel's limits on a trigger's window (kernel/sched/psi.c). */
const PSI_WINDOW_US = { min: 500_000, max: 10_000_000 };

/** One `--on` rule; `signals` is the set of known signal names (container.* included). */
export function parseRule(text: string, signals: ReadonlySet<string>): Rule {
  const bad = (why: string) => usageError(`--on '${text}': ${why}`);
  const words = text.trim().split(/\s+/).filter((w) => w !== 'and');
  const rule: Rule = { text: text.trim(), conditions: [], forN: DEFAULT_FOR, windowS: DEFAULT_WINDOW_S, cooldownS: DEFAULT_COOLDOWN_S };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const arg = () => {
      const v = words[++i];
      if (v === undefined) throw bad(`${w} needs a value`);
      return v;
    };
    const rise = /^rise>([\d.]+)$/.exec(w);
    const m = COND.exec(w);
    const psi = PSI_COND.exec(w);
    if (psi) {
      const signal = `psi.${psi[1]}.${psi[2]}`;
      if (!signals.has(signal)) throw bad(`no signal ${signal}`);
      const us = (t: string) => parseTimeNs(t, 's') / 1000;
      rule.psi = { resource: psi[1], kind: psi[2] as 'some' | 'full', stallUs: us(psi[3]), windowUs: us(psi[4]) };
      rule.conditions.push({ signal, op: '>', threshold: { value: rule.psi.stallUs / 1000 } });
    } else if (w === 'cgroup') {
      const path = arg();
      if (!rule.psi) throw bad('cgroup goes after a PSI trigger (psi.RESOURCE.some>STALL/WINDOW)');
      if (!path.startsWith('/') || path.split('/').includes('..')) throw bad('cgroup takes a path from the v2 root, e.g. /kubepods.slice/…');
      rule.psi.cgroup = path;
    } else if (w === 'for') {
      const n = Number(arg());
      if (!Number.isInteger(n) || n < 1) throw bad('for takes a count of samples ≥ 1');
      rule.forN = n;
    } else if (w === 'window' || w === 'cooldown') {
      let s: number;
      try {
        s = parseSeconds(arg());
      } catch (e) {
        throw bad(`${w}: ${(e as Error).message}`);
      }
      if (w === 'window') rule.windowS = s;
      else rule.cooldownS = s;
    } else if (rise) {
      rule.rise = Number(rise[1]);
    } else if (m) {
      if (!signals.has(m[1])) throw bad(`no signal ${m[1]} (huatuo autotrace --signals lists them)`);
      rule.conditions.push({ signal: m[1], op: m[2] as Op, threshold: m[3] !== undefined ? { mads: Number(m[3]) } : { value: Number(m[4]) } });
    } else {
      throw bad(`cannot read "${w}": want SIGNAL>VALUE, SIGNAL>median+Kmad, psi.R.some>STALL/WINDOW [cgroup PATH], rise>N, for N, window TIME, cooldown TIME`);
    }
  }
  if (!rule.conditions.length) throw bad('no condition (e.g. cpu.sys>40)');
  const scopes = new Set(rule.conditions.map((c) => isContainerSignal(c.signal)));
  if (scopes.size > 1) throw bad('host and container signals cannot be mixed in one rule');
  if (rule.rise !== undefined && rule.rise <= 0) throw bad('rise must be > 0');
  if (rule.psi) {
    const { stallUs, windowUs } = rule.psi;
    if (rule.conditions.length > 1 || rule.rise !== undefined || /\b(for|window)\b/.test(text)) throw bad('a PSI trigger (STALL/WINDOW) stands alone: only cooldown goes with it');
    if (windowUs < PSI_WINDOW_US.min || windowUs > PSI_WINDOW_US.max) throw bad('the kernel takes PSI windows from 500ms to 10s');
    if (stallUs <= 0 || stallUs > windowUs) throw bad('the stall must be more than 0 and at most the window');
  }
  return rule;
}

export const isContainerSignal = (name: string): boolean => name.startsWith('container.');

/** What one sample of the watched signals looks like: host values, and per container. */
export interface SignalFrame {
  /** ms since the epoch. */
  at: number;
  host: ReadonlyMap<string, number>;
  /** Container key (namespace/pod/container) → its values. */
  containers: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export type Decision =
  | { type: 'fire'; rule: Rule; scope: string | null; signal: string; value: number; baseline: number | null; at: number }
  | { type: 'suppressed'; reason: 'cooldown' | 'busy' | 'overhead' | 'budget'; rule: Rule; scope: string | null; signal: string; value: number; at: number; detail: string };

/** Captures per hour and bytes on disk, never exceeded. */
export class Budget {
  private readonly spent: number[] = [];
  bytes = 0;

  constructor(readonly perHour: number, readonly maxBytes: number) {}

  /** Why a capture may not start now, or null. `expectBytes` is what one usually takes. */
  refusal(at: number, expectBytes = 0): string | null {
    while (this.spent.length && this.spent[0] <= at - 3_600_000) this.spent.shift();
    if (this.spent.length >= this.perHour) return `${this.perHour} captures in the last hour`;
    if (this.bytes + expectBytes > this.maxBytes) return `${this.bytes} of ${this.maxBytes} bytes on disk used`;
    return null;
  }

  take(at: number): void {
    this.spent.push(at);
  }

  /** A capture's size once written. */
  add(bytes: number): void {
    this.bytes += bytes;
  }
}

/** A rule's state for one scope (the host, or one container). */
interface Track {
  history: Array<{ at: number; v: number }>;
  run: number;
  /** In an episode that fired or was suppressed: nothing more until the conditions stop holding. */
  latched: boolean;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Median and MAD (floored) of values, or null below MIN_HISTORY. */
export function baselineOf(values: number[]): { median: number; mad: number } | null {
  if (values.length < MIN_HISTORY) return null;
  const m = median(values);
  return { median: m, mad: Math.max(MAD_FLOOR, median(values.map((v) => Math.abs(v - m)))) };
}

function holds(op: Op, v: number, t: number): boolean {
  return op === '>' ? v > t : op === '>=' ? v >= t : op === '<' ? v < t : v <= t;
}

/** Why no capture may start now, or null. */
export type Blocked = 'busy' | 'overhead' | null;

export class TriggerEngine {
  private readonly tracks = new Map<string, Track>();
  private readonly cooldownUntil = new Map<Rule, number>();

  constructor(readonly rules: readonly Rule[], readonly budget: Budget) {}

  /**
   * One sample: each rule's decisions (at most one per rule and scope). `blocked`: no capture
   * may start (busy: one is under way; overhead: autotrace is over its cost budget).
   */
  observe(frame: SignalFrame, blocked: Blocked = null): Decision[] {
    let busy = blocked;
    const out: Decision[] = [];
    for (const rule of this.rules) {
      if (rule.psi) continue; // the kernel tells: notify()
      if (isContainerSignal(rule.conditions[0].signal)) {
        for (const [scope, values] of frame.containers) this.step(rule, scope, values, frame.at, out, busy);
      } else {
        this.step(rule, null, frame.host, frame.at, out, busy);
      }
      // One capture per sample: after a fire, the rest are busy.
      if (out.some((d) => d.type === 'fire')) busy = 'busy';
    }
    // Containers gone: their tracks go too.
    for (const key of this.tracks.keys()) {
      const scope = key.slice(key.indexOf('\0') + 1);
      if (scope && !frame.containers.has(scope)) this.tracks.delete(key);
    }
    return out;
  }

  private step(rule: Rule, scope: string | null, values: ReadonlyMap<string, number>, at: number, out: Decision[], busy: Blocked): void {
    const first = rule.conditions[0];
    const v = values.get(first.signal);
    const key = `${this.rules.indexOf(rule)}\0${scope ?? ''}`;
    let t = this.tracks.get(key);
    if (!t) this.tracks.set(key, (t = { history: [], run: 0, latched: false }));
    if (v === undefined) return; // unavailable this time: neither true nor false
    const base = baselineOf(t.history.map((h) => h.v));
    let ok = rule.rise === undefined || (base !== null && v - base.median > rule.rise);
    for (const c of rule.conditions) {
      if (!ok) break;
      const x = values.get(c.signal);
      if (x === undefined) ok = false;
      else if ('value' in c.threshold) ok = holds(c.op, x, c.threshold.value);
      else {
        // Baseline conditions on other signals than the first have no history of their own: first signal only.
        const b = c.signal === first.signal ? base : null;
        ok = b !== null && holds(c.op, x, c.op.startsWith('>') ? b.median + c.threshold.mads * b.mad : b.median - c.threshold.mads * b.mad);
      }
    }
    t.history.push({ at, v });
    while (t.history.length && t.history[0].at <= at - rule.windowS * 1000) t.history.shift();
    if (!ok) {
      t.run = 0;
      t.latched = false;
      return;
    }
    t.run++;
    if (t.latched || t.run < rule.forN) return;
    t.latched = true;
    this.decide({ rule, scope, signal: first.signal, value: v, at }, base?.median ?? null, busy, out);
  }

  private readonly lastNotify = new Map<Rule, number>();

  /**
   * A kernel PSI trigger fired for `rule` (its stall was exceeded within its window): a
   * decision, or null while the episode goes on (the kernel repeats once a window while
   * the pressure lasts; a pause of two windows ends it). The value is the share of the
   * window the kernel saw stalled, at least.
   */
  notify(rule: Rule, at: number, busy: Blocked): Decision | null {
    const last = this.lastNotify.get(rule);
    this.lastNotify.set(rule, at);
    if (last !== undefined && at - last < (2 * rule.psi!.windowUs) / 1000) return null;
    const out: Decision[] = [];
    this.decide({ rule, scope: rule.psi!.cgroup ?? null, signal: rule.conditions[0].signal, value: (100 * rule.psi!.stallUs) / rule.psi!.windowUs, at }, null, busy, out);
    return out[0];
  }

  /** Cooldown, one capture at a time, the budget; else fire. */
  private decide(common: { rule: Rule; scope: string | null; signal: string; value: number; at: number }, baseline: number | null, busy: Blocked, out: Decision[]): void {
    const { rule, at } = common;
    const cool = this.cooldownUntil.get(rule);
    if (cool !== undefined && at < cool) {
      out.push({ ...common, type: 'suppressed', reason: 'cooldown', detail: `cooldown until ${new Date(cool).toISOString()}` });
      return;
    }
    if (busy === 'overhead') {
      out.push({ ...common, type: 'suppressed', reason: 'overhead', detail: 'autotrace is over --max-overhead with its look-back off' });
      return;
    }
    if (busy || out.some((d) => d.type === 'fire')) {
      out.push({ ...common, type: 'suppressed', reason: 'busy', detail: 'a capture is under way' });
      return;
    }
    const refusal = this.budget.refusal(at);
    if (refusal) {
      out.push({ ...common, type: 'suppressed', reason: 'budget', detail: refusal });
      return;
    }
    this.budget.take(at);
    this.cooldownUntil.set(rule, at + rule.cooldownS * 1000);
    out.push({ ...common, type: 'fire', baseline });
  }
}
