// A running profile → symbolized samples. Snapshots each process's maps as soon as it
// shows up in samples (so processes that exit mid-run are still symbolized), names
// pods and containers from cgroup ids, and keeps the broken-stack and JIT tallies.
// Symbolizes at every snapshot, not only at the end: misses (code mapped after a
// process's snapshot, as JIT runtimes do) are re-read while the process still lives,
// and the last snapshot has only the last interval's new stacks left to do.
// Knows nothing about views or output formats.
import { lockKind, type ProfileSession, type StackErrors, type SampledStack } from '../tools/profile.js';
import { Symbolizer, BrokenStacks, unnamedJitRuntime } from '../symbolize/index.js';
import { RecoveryTally, type FramelessReport, type Recovery } from '../symbolize/frameless.js';
import { isTracerFrame, loadKallsyms } from '../symbolize/kallsyms.js';
import type { Frame, LockSite, ProfileSample } from '../model/stack.js';
import type { ContainerResolver } from '../containers/resolver.js';
import type { CgroupHier } from '../containers/cgroup.js';
import { logDebug } from '../log.js';

/** Processes whose JIT code no perf map names, per runtime. */
export interface JitReport {
  /** 'node', 'java', …; '' when the runtime was not told apart. */
  runtime: string;
  processes: number;
  samples: number;
}

export interface ProfileSnapshot {
  /** Everything since start. */
  samples: ProfileSample[];
  totalSamples: number;
  errors: StackErrors;
  /** Per binary: samples whose user stack stops before a thread entry (frame pointers missing). */
  broken: ReturnType<BrokenStacks['report']>;
  jit: JitReport[];
  /** Per leaf binary: weight of stacks with a frameless gap, recovered or not (frameless.ts). */
  frameless: FramelessReport[];
  /** Since the previous snapshot: the samples that grew, counting only the growth. */
  window: ProfileSample[];
}

export interface Labels {
  resolver: ContainerResolver;
  hier: CgroupHier;
}

/** A counts row, symbolized. */
interface Row {
  sample: ProfileSample;
  /** No unknown frame, or looked at RETRIES times: nothing left that a later look could name. */
  settled: boolean;
  tries: number;
  /** The runtime of its unnamed JIT frames, or null for none. */
  jit: string | null;
  user: boolean;
  recovery: Recovery['status'];
  /** The leaf's binary, for the frameless tally. */
  leafModule: string;
}

/**
 * Symbolizations of a row with unknown frames: the first re-read of its process's maps
 * (at most every 250 ms) finds what was mapped since; garbage addresses from a broken
 * frame-pointer chain never resolve and are not worth a maps read every second.
 */
const RETRIES = 3;
/** Map snapshots of new processes per timer tick: keeps the event loop (and Ctrl-C) responsive. */
const SNAPSHOT_BUDGET_MS = 50;
/**
 * A JIT runtime's maps are read again this long after its first snapshot: it maps much
 * of its code in its first seconds (V8 its code pages and remapped builtins), and a
 * process that exits before the end can be symbolized only from what was read.
 */
const REREAD_AFTER_MS = [500, 2000];
/**
 * Between snapshots, new rows are symbolized in the background this often (within the
 * budget), so a run stopped early (Ctrl-C, SIGTERM) has little left to do at the end.
 */
const BACKGROUND_READ_MS = 250;
const CHUNK = 256;

/** How many root-first frames are left without the tracer's frames at the kernel leaf (tracepoint kinds). */
function withoutTracerFrames(frames: Frame[]): number {
  let n = frames.length;
  // The BPF program itself is unnamed ([bpf] region) without bpf_jit_kallsyms.
  const tracer = (f: Frame) => (f.kind === 'kernel' && isTracerFrame(f.name)) || (f.kind === 'unknown' && f.module === '[bpf]');
  while (n > 0 && tracer(frames[n - 1])) n--;
  return n;
}

export class ProfileCollector {
  private readonly symbolizer: Symbolizer;
  private readonly pidTimer: NodeJS.Timeout;
  private readonly rows = new Map<string, Row>();
  /** Each row's count at the previous snapshot: the base of the next window. */
  private readonly counted = new Map<string, number>();
  private pendingPids: number[] = [];
  private readAt = 0;
  private rereads: Array<{ pid: number; at: number }> = [];

  constructor(
    private readonly session: ProfileSession,
    private readonly labels: Labels | undefined,
    hostRoot?: string,
  ) {
    this.symbolizer = new Symbolizer({ hostRoot });
    this.symbolizer.warmUp().catch(() => { /* done again when needed */ });
    // New processes are snapshotted within 100 ms of their first sample.
    this.pidTimer = setInterval(() => this.background(), 100);
    this.pidTimer.unref();
  }

  private background(): void {
    const until = performance.now() + SNAPSHOT_BUDGET_MS;
    this.snapshotNewPids(until);
    if (performance.now() >= until || Date.now() - this.readAt < BACKGROUND_READ_MS) return;
    this.readAt = Date.now();
    this.symbolizeRows(this.session.read().stacks, false, until);
  }

  private snapshotNewPids(until: number): void {
    this.pendingPids.push(...this.session.newPids());
    const now = Date.now();
    while (this.pendingPids.length && performance.now() < until) {
      const pid = this.pendingPids.shift()!;
      try {
        if (this.symbolizer.snapshot(pid) && this.symbolizer.runtimeOf(pid)) for (const d of REREAD_AFTER_MS) this.rereads.push({ pid, at: now + d });
      } catch {
        /* gone already: its frames print as [unknown] */
      }
    }
    const due = this.rereads.filter((r) => r.at <= now);
    if (!due.length) return;
    this.rereads = this.rereads.filter((r) => r.at > now);
    for (const r of due) {
      if (performance.now() >= until) {
        this.rereads.push(r); // next time
        continue;
      }
      try {
        this.symbolizer.reread(r.pid);
      } catch {
        /* gone: the last read stands */
      }
    }
  }

  private label(raw: SampledStack): Pick<ProfileSample, 'pod' | 'namespace' | 'container'> {
    if (!this.labels || !raw.cgroupId) return {};
    const c = this.labels.resolver.byCgroupId(this.labels.hier, raw.cgroupId);
    if (!c) return {};
    return { pod: c.pod, namespace: c.namespace, container: c.type === 'sandbox' ? '(sandbox)' : c.name ?? c.id.slice(0, 12) };
  }

  /** Everything sampled since start, symbolized, and what changed since the last call. */
  snapshot(): ProfileSnapshot {
    this.snapshotNewPids(performance.now() + SNAPSHOT_BUDGET_MS);
    const t0 = performance.now();
    return this.symbolize(this.session.read(), t0);
  }

  /** The last snapshot: sampling stops before the read, so the profile covers the requested
   * time (not the time spent symbolizing) and its rows and error counts agree. */
  finish(): ProfileSnapshot {
    this.snapshotNewPids(performance.now() + SNAPSHOT_BUDGET_MS);
    const t0 = performance.now();
    this.session.stop();
    const read = this.session.read();
    this.session.close();
    return this.symbolize(read, t0);
  }

  private symbolize({ stacks, errors, totalSamples }: ReturnType<ProfileSession['read']>, t0: number): ProfileSnapshot {
    const t1 = performance.now();
    const broken = new BrokenStacks();
    const frameless = new RecoveryTally();
    const samples: ProfileSample[] = [];
    const window: ProfileSample[] = [];
    const jitPids = new Map<number, { runtime: string; samples: number }>();
    // Looked up at every snapshot: a pod's containers can resolve after their first samples.
    const labels = new Map<number, ReturnType<ProfileCollector['label']>>();
    const todo = this.symbolizeRows(stacks, true);
    for (const raw of stacks) {
      const row = this.rows.get(raw.key)!;
      const before = this.counted.get(raw.key) ?? 0;
      this.counted.set(raw.key, raw.count);
      let label = labels.get(raw.cgroupId);
      if (!label) labels.set(raw.cgroupId, (label = this.label(raw)));
      const s = { ...row.sample, ...label, count: raw.count };
      samples.push(s);
      if (raw.count > before) window.push({ ...s, count: raw.count - before });
      if (row.user) broken.add(s.frames, s.count);
      frameless.add(row.leafModule, row.recovery, s.count);
      if (row.jit !== null) {
        const p = jitPids.get(s.tgid) ?? { runtime: row.jit, samples: 0 };
        p.samples += s.count;
        jitPids.set(s.tgid, p);
      }
    }
    logDebug(`profile: read ${stacks.length} rows in ${(t1 - t0).toFixed(0)} ms, symbolized ${todo} in ${(performance.now() - t1).toFixed(0)} ms`);
    return { samples, totalSamples, errors, broken: broken.report(), jit: this.jitReport(jitPids), frameless: frameless.report(), window };
  }

  /**
   * Symbolize rows never seen (and, with `retry`, rows with frames a later look may
   * name), in chunks of one demangling round each, until `until`; returns how many.
   */
  private symbolizeRows(stacks: SampledStack[], retry: boolean, until = Infinity): number {
    const todo = stacks.filter((raw) => {
      const row = this.rows.get(raw.key);
      return !row || (retry && !row.settled);
    });
    let done = 0;
    for (; done < todo.length && performance.now() < until; done += CHUNK) {
      const part = todo.slice(done, done + CHUNK);
      const recovered = part.map((raw) => this.recover(raw));
      this.symbolizer.symbolizeAllLocated(recovered.map((r) => r.stack)).forEach((symbolized, i) => {
        const raw = part[i];
        const keep = this.session.kind === 'cpu' ? symbolized.frames.length : withoutTracerFrames(symbolized.frames);
        const frames = symbolized.frames.slice(0, keep);
        let jit: string | null = null;
        for (const f of frames) jit ??= unnamedJitRuntime(f);
        const tries = (this.rows.get(raw.key)?.tries ?? 0) + 1;
        const sample: ProfileSample = { tgid: raw.tgid, pid: raw.pid, comm: raw.comm, cgroupId: raw.cgroupId, frames, count: 0 };
        if (symbolized.locations.some((l) => l !== null)) sample.locations = symbolized.locations.slice(0, keep);
        if (raw.runqueue) sample.runqueue = true;
        if (raw.lock) sample.lock = this.lockSite(raw.lock);
        this.rows.set(raw.key, {
          sample,
          settled: tries >= RETRIES || frames.every((f) => f.kind !== 'unknown'),
          tries,
          jit,
          user: raw.user.length > 0,
          recovery: recovered[i].status,
          leafModule: recovered[i].module,
        });
      });
    }
    return Math.min(done, todo.length);
  }

  /** The row's stack with the frames a frameless leaf hid put back, when they can be proved. */
  private recover(raw: SampledStack): { stack: SampledStack; status: Recovery['status']; module: string } {
    if (!raw.userTop || raw.user.length < 2) return { stack: raw, status: 'intact', module: '' };
    let r: ReturnType<Symbolizer['recoverFrameless']>;
    try {
      r = this.symbolizer.recoverFrameless(raw.tgid, raw.user, raw.userTop.words);
    } catch {
      return { stack: raw, status: 'intact', module: '' }; // the process is gone: nothing to read
    }
    if (r.status !== 'recovered') return { stack: raw, status: r.status, module: r.module };
    return { stack: { ...raw, user: [raw.user[0], ...r.frames, ...raw.user.slice(1)] }, status: r.status, module: r.module };
  }

  private lockSite(l: { addr: bigint; flags: number }): LockSite {
    const site: LockSite = { kind: lockKind(l.flags), addr: `0x${l.addr.toString(16)}` };
    const symbol = loadKallsyms().dataOffset(l.addr);
    if (symbol) site.symbol = symbol;
    return site;
  }

  /** Per runtime, the processes with unnamed JIT frames that have no perf map at all. */
  private jitReport(pids: Map<number, { runtime: string; samples: number }>): JitReport[] {
    const by = new Map<string, JitReport>();
    for (const [pid, p] of pids) {
      if (this.symbolizer.perfMapEntries(pid) > 0) continue; // a map that misses some code: nothing to advise
      const r = by.get(p.runtime) ?? { runtime: p.runtime, processes: 0, samples: 0 };
      r.processes++;
      r.samples += p.samples;
      by.set(p.runtime, r);
    }
    return [...by.values()].sort((a, b) => b.samples - a.samples || a.runtime.localeCompare(b.runtime));
  }

  close(): void {
    clearInterval(this.pidTimer);
    this.symbolizer.close();
  }
}
