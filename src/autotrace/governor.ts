// autotrace's own cost, held under --max-overhead (percent of one core while armed: huatuo's
// CPU plus the look-back's BPF), measured over a sliding window. Over the budget, it first
// lowers the look-back's rate (halving it, then turning it off), and only last skips captures;
// back under half the budget, it climbs back one step at a time. Pure: costs in, the step out.

/** Look-back rates, from the default down; 0 is off. */
export const LOOKBACK_STEPS = [19, 9, 5, 0] as const;
const WINDOW_MS = 30_000;
/** Least time between two steps: a new rate needs time to show its cost. */
const SETTLE_MS = 10_000;

export interface GovernorState {
  /** Look-back rate now (Hz), 0 when off. */
  lookbackHz: number;
  /** Captures are skipped (suppressed with reason "overhead"). */
  skipCaptures: boolean;
  /** Cost over the window, percent of one core; null before the first measure. */
  costPct: number | null;
}

export class OverheadGovernor {
  private step = 0;
  private skip = false;
  private readonly samples: Array<{ at: number; cpuUs: number; bpfNs: number }> = [];
  private changedAt = -Infinity;

  constructor(readonly maxPct: number, private readonly firstStep = 0) {
    this.step = firstStep;
  }

  /**
   * Add the cumulative costs so far (our CPU µs while armed, the look-back's BPF ns) and
   * get the state; `changed` when the look-back must be restarted at its new rate.
   */
  update(at: number, cpuUs: number, bpfNs: number): GovernorState & { changed: boolean } {
    this.samples.push({ at, cpuUs, bpfNs });
    while (this.samples.length > 2 && this.samples[1].at <= at - WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const ms = at - first.at;
    const cost = ms > 0 ? ((cpuUs - first.cpuUs) / 10 + (bpfNs - first.bpfNs) / 1e4) / ms : null;
    let changed = false;
    if (cost !== null && ms >= SETTLE_MS && at - this.changedAt >= SETTLE_MS) {
      if (cost > this.maxPct) {
        // Over: the look-back's rate down first; captures skipped only when it is off.
        if (this.step < LOOKBACK_STEPS.length - 1) {
          this.step++;
          changed = true;
        } else if (!this.skip) this.skip = true;
        this.changedAt = at;
      } else if (cost < this.maxPct / 2 && (this.skip || this.step > this.firstStep)) {
        // Well under: one step back up, captures first.
        if (this.skip) this.skip = false;
        else {
          this.step--;
          changed = true;
        }
        this.changedAt = at;
      }
    }
    if (changed) this.samples.splice(0, this.samples.length - 1); // measure the new rate afresh
    return { lookbackHz: LOOKBACK_STEPS[this.step], skipCaptures: this.skip, costPct: cost, changed };
  }
}
