// The bridge between the run loop and React: a tiny external store (subscribe /
// getSnapshot) that the sink pushes snapshots into. Data collection stays out of React;
// components read the latest frame with useLatencyFrame().
import { useSyncExternalStore } from 'react';
import type { LatencySnapshot } from '../model/latency.js';

export interface LatencyFrame<R, E> {
  /** The last interval: its rows, events and rates. */
  interval: LatencySnapshot<R, E>;
  /** Everything since start (the final summary once done). */
  total: LatencySnapshot<R, E>;
  /** The run is over: the sink is about to unmount the app. */
  done: boolean;
  /** The latest events across intervals (at most RECENT_EVENTS), for a row's drill-down. */
  recent: E[];
}

export const RECENT_EVENTS = 500;

export interface LatencyStore<R, E> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): LatencyFrame<R, E> | null;
  push(interval: LatencySnapshot<R, E>, total: LatencySnapshot<R, E>): void;
  finish(summary: LatencySnapshot<R, E>): void;
}

export function createLatencyStore<R, E>(): LatencyStore<R, E> {
  let frame: LatencyFrame<R, E> | null = null;
  let recent: E[] = [];
  const listeners = new Set<() => void>();
  const set = (next: LatencyFrame<R, E>) => {
    frame = next;
    for (const l of listeners) l();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => frame,
    push: (interval, total) => {
      recent = interval.events.length ? [...recent, ...interval.events].slice(-RECENT_EVENTS) : recent;
      set({ interval, total, done: false, recent });
    },
    finish: (summary) => set({ interval: frame?.interval ?? summary, total: summary, done: true, recent }),
  };
}

/** The latest frame; re-renders the caller on every push. */
export function useLatencyFrame<R, E>(store: LatencyStore<R, E>): LatencyFrame<R, E> | null {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
