// huatuo's own cost, measured, for every tool: the kernel's run-time statistics of our
// programs (BPF_ENABLE_STATS, held only while huatuo runs) and our process's CPU and RSS.
import { native } from './native.js';
import type { BpfObject } from './object.js';
import { logDebug } from '../log.js';
import type { Overhead } from '../model/overhead.js';

export type { Overhead } from '../model/overhead.js';

interface Mark {
  wallNs: bigint;
  cpuUs: number;
  progs: Map<string, { runs: number; ns: number }>;
}

export class OverheadMeter {
  private statsFd = -1;
  private first: Mark | undefined;
  private last: Mark | undefined;

  constructor(private readonly obj: BpfObject) {}

  /** Turn run-time stats on (if the kernel and our privileges allow) and take the baseline. */
  start(): void {
    try {
      this.statsFd = native().enableStats();
    } catch (e) {
      logDebug(`BPF run-time statistics unavailable: ${(e as Error).message}`);
    }
    this.first = this.last = this.mark();
  }

  private mark(): Mark {
    const progs = new Map<string, { runs: number; ns: number }>();
    for (const p of this.obj.attachedPrograms()) {
      try {
        const s = this.obj.progStats(p);
        progs.set(p, { runs: s.runCnt, ns: s.runTimeNs });
      } catch {
        /* closed under us: leave it out */
      }
    }
    const u = process.cpuUsage();
    return { wallNs: process.hrtime.bigint(), cpuUs: u.user + u.system, progs };
  }

  private between(a: Mark, b: Mark): Overhead {
    const wallNs = Number(b.wallNs - a.wallNs) || 1;
    const programs: Overhead['programs'] = {};
    let runs = 0;
    let ns = 0;
    for (const [name, end] of b.progs) {
      const start = a.progs.get(name) ?? { runs: 0, ns: 0 };
      const r = end.runs - start.runs;
      const t = end.ns - start.ns;
      runs += r;
      ns += t;
      programs[name] = { runs: r, ns_per_run: r > 0 ? t / r : null };
    }
    const statsOn = this.statsFd >= 0 || ns > 0;
    return {
      bpf_runs: runs,
      bpf_ns_per_run: statsOn && runs > 0 ? ns / runs : null,
      bpf_cpu_pct: statsOn ? (ns / wallNs) * 100 : null,
      user_cpu_pct: (((b.cpuUs - a.cpuUs) * 1000) / wallNs) * 100,
      rss_bytes: process.memoryUsage.rss(),
      programs,
    };
  }

  /** Cost since the previous interval() call. */
  interval(): Overhead {
    const now = this.mark();
    const o = this.between(this.last ?? now, now);
    this.last = now;
    return o;
  }

  /** Cost since start(). */
  total(): Overhead {
    return this.between(this.first ?? this.mark(), this.last ?? this.mark());
  }

  close(): void {
    if (this.statsFd >= 0) {
      native().closeFd(this.statsFd);
      this.statsFd = -1;
    }
  }
}
