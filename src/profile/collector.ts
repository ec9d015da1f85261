// A running profile → symbolized samples. Snapshots each process's maps as soon as it
// shows up in samples (so processes that exit mid-run are still symbolized), names
// pods and containers from cgroup ids, and keeps the broken-stack tally.
// Knows nothing about views or output formats.
import type { ProfileSession, StackErrors } from '../tools/profile.js';
import { Symbolizer, BrokenStacks } from '../symbolize/index.js';
import type { ProfileSample, RawStack } from './model.js';
import type { ContainerResolver } from '../containers/resolver.js';
import type { CgroupHier } from '../containers/cgroup.js';

export interface ProfileSnapshot {
  samples: ProfileSample[];
  totalSamples: number;
  errors: StackErrors;
  /** Per binary: samples whose user stack stops before a thread entry (frame pointers missing). */
  broken: ReturnType<BrokenStacks['report']>;
}

export interface Labels {
  resolver: ContainerResolver;
  hier: CgroupHier;
}

export class ProfileCollector {
  private readonly symbolizer: Symbolizer;
  private readonly pidTimer: NodeJS.Timeout;

  constructor(
    private readonly session: ProfileSession,
    private readonly labels: Labels | undefined,
    hostRoot?: string,
  ) {
    this.symbolizer = new Symbolizer({ hostRoot });
    // New processes are snapshotted within 100 ms of their first sample.
    this.pidTimer = setInterval(() => this.snapshotNewPids(), 100);
    this.pidTimer.unref();
  }

  private snapshotNewPids(): void {
    for (const pid of this.session.newPids()) {
      try {
        this.symbolizer.snapshot(pid);
      } catch {
        /* gone already: its frames print as [unknown] */
      }
    }
  }

  private label(raw: RawStack): Pick<ProfileSample, 'pod' | 'namespace' | 'container'> {
    if (!this.labels || !raw.cgroupId) return {};
    const c = this.labels.resolver.byCgroupId(this.labels.hier, raw.cgroupId);
    if (!c) return {};
    return { pod: c.pod, namespace: c.namespace, container: c.type === 'sandbox' ? '(sandbox)' : c.name ?? c.id.slice(0, 12) };
  }

  /** Everything sampled since start, symbolized. */
  snapshot(): ProfileSnapshot {
    this.snapshotNewPids();
    return this.symbolize(this.session.read());
  }

  /** The last snapshot: sampling stops (the session is closed) before symbolizing, so the
   * profile covers the requested time and not the time spent symbolizing. */
  finish(): ProfileSnapshot {
    this.snapshotNewPids();
    const read = this.session.read();
    this.session.close();
    return this.symbolize(read);
  }

  private symbolize({ stacks, errors, totalSamples }: ReturnType<ProfileSession['read']>): ProfileSnapshot {
    const broken = new BrokenStacks();
    const samples = stacks.map((raw): ProfileSample => {
      const frames = this.symbolizer.symbolize(raw);
      if (raw.user.length) broken.add(frames, raw.count);
      return { tgid: raw.tgid, pid: raw.pid, comm: raw.comm, cgroupId: raw.cgroupId, ...this.label(raw), frames, count: raw.count };
    });
    return { samples, totalSamples, errors, broken: broken.report() };
  }

  close(): void {
    clearInterval(this.pidTimer);
    this.symbolizer.close();
  }
}
