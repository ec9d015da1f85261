// The live view of `huatuo profile`, like perf top: the functions with the most samples,
// by self or total, across everything or within each process or pod. Snapshots come in
// through a small store; the table is drawn from a field table like every other view.
import { render, Box, Text, useInput } from 'ink';
import { useMemo, useState, useSyncExternalStore } from 'react';
import { LIVE_GROUPS, PROFILE_UNITS, type GroupedFunction, type LiveGroup, type LiveProfileTop } from '../model/stack.js';
import { formatDuration } from '../model/units.js';
import { FieldTable } from './latency-table.js';
import { textField } from '../model/latency-fields.js';
import type { Field } from '../model/fields.js';
import { useTerminalRows } from './use-terminal.js';

export interface ProfileStore {
  subscribe(l: () => void): () => void;
  get(): { snap: LiveProfileTop | null; elapsedS: number; done: boolean };
}

function fields(total: number, grouped: boolean): Field<GroupedFunction>[] {
  const pct = (n: number) => (total ? ((100 * n) / total).toFixed(1) : '0.0');
  return [
    { name: 'self', header: 'SELF%', kind: 'text', align: 'right', width: 6, value: (r) => pct(r.self) },
    { name: 'total', header: 'TOTAL%', kind: 'text', align: 'right', width: 6, value: (r) => pct(r.total) },
    ...(grouped ? [textField<GroupedFunction>('group', 'PROCESS/POD', 20, (r) => r.group)] : []),
    textField<GroupedFunction>('name', 'FUNCTION', 60, (r) => r.name),
  ];
}

export function ProfileApp({ store, onQuit, initial, interactive = process.stdin.isTTY === true }: {
  store: ProfileStore;
  onQuit: () => void;
  initial: LiveGroup;
  /** Keys are read only from a terminal (tests pass true). */
  interactive?: boolean;
}) {
  const { snap, elapsedS, done } = useSyncExternalStore(store.subscribe, store.get);
  const [group, setGroup] = useState(Math.max(0, LIVE_GROUPS.indexOf(initial)));
  const [byTotal, setByTotal] = useState(false);
  const rows = useTerminalRows() - 6;
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
    else if (input === 'g') setGroup((g) => (g + 1) % LIVE_GROUPS.length);
    else if (input === 's') setByTotal((t) => !t);
  }, { isActive: interactive });
  const groupBy = LIVE_GROUPS[group];
  const top = useMemo(() => {
    if (!snap) return [];
    return [...snap.groups[groupBy]].sort((a, b) => (byTotal ? b.total - a.total : b.self - a.self)).slice(0, Math.max(5, rows));
  }, [snap, groupBy, byTotal, rows]);
  if (done) return null;
  const total = snap?.totalSamples ?? 0;
  const unit = PROFILE_UNITS[snap?.kind ?? 'cpu'];
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="green">huatuo profile</Text>{unit.title === 'CPU' ? '' : ` ${unit.title}`}  {elapsedS.toFixed(1)}s  <Text bold>{unit.time ? formatDuration(total) : total}</Text>{unit.time ? '' : ` ${unit.countName}`}
        {'  '}<Text dimColor>by {byTotal ? 'total' : 'self'}, {groupBy === 'none' ? 'all processes' : `per ${groupBy}`}</Text>
      </Text>
      <Text dimColor>s self/total  g all/process/pod  q quit (flame graphs are written at the end)</Text>
      <FieldTable fields={fields(total, groupBy !== 'none')} rows={top} unit="us" empty="(no samples yet)" />
    </Box>
  );
}

/** The live view; the caller computes what it shows (profile/top.ts liveTop) each interval. */
export async function liveProfileView(opts: { groupBy: string; onQuit: () => void }) {
  let state = { snap: null as LiveProfileTop | null, elapsedS: 0, done: false };
  const listeners = new Set<() => void>();
  const started = Date.now();
  const set = (next: typeof state) => {
    state = next;
    listeners.forEach((l) => l());
  };
  const store: ProfileStore = {
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    get: () => state,
  };
  const initial = (LIVE_GROUPS as readonly string[]).includes(opts.groupBy) ? (opts.groupBy as LiveGroup) : 'process';
  const app = render(<ProfileApp store={store} onQuit={opts.onQuit} initial={initial} />, {
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 10,
  });
  return {
    update: (snap: LiveProfileTop) => set({ snap, elapsedS: (Date.now() - started) / 1000, done: false }),
    async finish() {
      set({ ...state, done: true });
      await new Promise((r) => setImmediate(r));
      const exited = app.waitUntilExit();
      app.unmount();
      await exited;
    },
  };
}
