// What autotrace's live view shows, computed by the command from its events: the watched
// signals with their recent values and thresholds, the log of triggers and captures, the cost.

export interface WatchedSignal {
  /** `cpu.sys`, or `container.sys shop/web/app` for a container's. */
  name: string;
  /** Oldest first; null where the signal had no value. */
  recent: Array<number | null>;
  /** The rule's absolute threshold, when it has one. */
  threshold: number | null;
}

export interface AutotraceLiveState {
  elapsedS: number;
  signals: WatchedSignal[];
  /** Newest last: "15:32:07 TRIGGER cpu.sys>20 for 2 cpu.sys=27.6 → profile". */
  log: string[];
  captures: number;
  /** Our cost while armed, % of one core (null before the first measure). */
  costPct: number | null;
  capturing: boolean;
}
