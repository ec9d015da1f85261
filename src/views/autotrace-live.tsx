// The live view of `huatuo autotrace`: each watched signal's last values as a sparkline
// against its threshold, the triggers and captures as they happen, and autotrace's own cost.
// State comes in through a small store; the command computes it (props only here).
import { render, Box, Text, useInput } from 'ink';
import { useSyncExternalStore } from 'react';
import type { AutotraceLiveState, WatchedSignal } from '../model/autotrace.js';

const BARS = '▁▂▃▄▅▆▇█';

/** The values as bars, scaled to the larger of the threshold and the highest value. */
export function sparkline(values: Array<number | null>, threshold: number | null): string {
  const top = Math.max(threshold ?? 0, ...values.map((v) => v ?? 0), 1e-9);
  return values.map((v) => (v === null ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((v / top) * BARS.length))])).join('');
}

function SignalRow({ s }: { s: WatchedSignal }) {
  const now = s.recent.at(-1) ?? null;
  const over = now !== null && s.threshold !== null && now > s.threshold;
  return (
    <Text wrap="truncate-end">
      {s.name.padEnd(34).slice(0, 34)} <Text color={over ? 'red' : undefined}>{(now === null ? '-' : now.toFixed(1)).padStart(7)}</Text>
      {'  '}{(s.threshold === null ? '' : `>${s.threshold}`).padEnd(7)} <Text color={over ? 'red' : 'cyan'}>{sparkline(s.recent, s.threshold)}</Text>
    </Text>
  );
}

export interface AutotraceStore {
  subscribe(l: () => void): () => void;
  get(): AutotraceLiveState & { done: boolean };
}

export function AutotraceApp({ store, onQuit, interactive = process.stdin.isTTY === true }: { store: AutotraceStore; onQuit: () => void; interactive?: boolean }) {
  const st = useSyncExternalStore(store.subscribe, store.get);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
  }, { isActive: interactive });
  if (st.done) return null;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="green">huatuo autotrace</Text>  {st.elapsedS.toFixed(0)}s  {st.capturing ? <Text color="yellow">capturing</Text> : 'armed'}
        {'  '}captures <Text bold>{st.captures}</Text>  <Text dimColor>cost {st.costPct === null ? '-' : `${st.costPct.toFixed(2)}%`} of a core  q quit</Text>
      </Text>
      <Text dimColor>{'SIGNAL'.padEnd(34)} {'NOW'.padStart(7)}  {'RULE'.padEnd(7)} LAST {st.signals[0]?.recent.length ?? 0} s</Text>
      {st.signals.map((s) => <SignalRow key={s.name} s={s} />)}
      <Text> </Text>
      {st.log.length ? st.log.map((l, i) => <Text key={i} wrap="truncate-end">{l}</Text>) : <Text dimColor>(no trigger yet)</Text>}
    </Box>
  );
}

export function liveAutotraceView(opts: { onQuit: () => void }) {
  let state: AutotraceLiveState & { done: boolean } = { elapsedS: 0, signals: [], log: [], captures: 0, costPct: null, capturing: false, done: false };
  const listeners = new Set<() => void>();
  const store: AutotraceStore = {
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    get: () => state,
  };
  const app = render(<AutotraceApp store={store} onQuit={opts.onQuit} />, { exitOnCtrlC: false, patchConsole: false, maxFps: 4 });
  return {
    update(next: AutotraceLiveState) {
      state = { ...next, done: false };
      listeners.forEach((l) => l());
    },
    async finish() {
      state = { ...state, done: true };
      listeners.forEach((l) => l());
      await new Promise((r) => setImmediate(r));
      const exited = app.waitUntilExit();
      app.unmount();
      await exited;
    },
  };
}
