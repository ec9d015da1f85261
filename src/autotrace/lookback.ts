// The seconds before a trigger: while armed, a low-rate on-CPU profile (19 Hz, prime so it
// does not beat with 10 ms timers) counts its rows per one-second time slot in the kernel
// (profile.bpf.c's targ_slot_ns), and every tick the slots older than the look-back are
// deleted, stacks included. Nothing is symbolized until a trigger asks: then the rows left
// (the last N seconds) become a profile of "before".
import { ProfileSession } from '../tools/profile.js';
import { ProfileCollector, type Labels, type ProfileSnapshot } from '../profile/collector.js';
import { OverheadMeter, type Overhead } from '../bpf-loader/overhead.js';

export const LOOKBACK_HZ = 19;
const SLOT_NS = 1e9;

/** The kernel's slot now: bpf_ktime_get_ns and Node's hrtime are both CLOCK_MONOTONIC. */
export function slotNow(): number {
  return Number(process.hrtime.bigint() / BigInt(SLOT_NS));
}

export class Lookback {
  private readonly session: ProfileSession;
  private readonly meter: OverheadMeter;

  constructor(readonly seconds: number, readonly hz = LOOKBACK_HZ) {
    this.session = ProfileSession.start({
      kind: 'cpu', frequencyHz: hz, slotNs: SLOT_NS, filter: {}, event: 'cpu-clock',
      userOnly: false, kernelOnly: false, includeIdle: false, stackStorageSize: 16384,
    });
    this.meter = new OverheadMeter(this.session.obj);
    this.meter.start();
  }

  /** Drop what is older than the look-back (each tick). */
  prune(): void {
    this.session.prune(slotNow() - this.seconds);
  }

  /** The last `seconds`, symbolized, and the slot it ends in (the trigger's). */
  snapshot(labels?: Labels, hostRoot?: string): { snap: ProfileSnapshot; toSlot: number; periodNs: number } {
    this.prune();
    const toSlot = slotNow();
    const collector = new ProfileCollector(this.session, labels, hostRoot);
    try {
      return { snap: collector.snapshot(), toSlot, periodNs: 1e9 / this.hz };
    } finally {
      collector.close();
    }
  }

  /** The look-back's BPF cost since start (its programs' run time, per the kernel's stats). */
  cost(): Overhead {
    this.meter.interval(); // moves the end mark to now
    return this.meter.total();
  }

  close(): void {
    this.meter.close();
    this.session.close();
  }
}
