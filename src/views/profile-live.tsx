// The live view of `huatuo profile`, like perf top: the functions with the most samples,
// by self or total, across everything or within each process or pod. Snapshots come in
// through a small store; the table is drawn from a field table like every other view.
import { render, Box, Text, useInput } from 'ink';
import { useMemo, useState, useSyncExternalStore } from 'react';
import type { ProfileSnapshot } from '../profile/collector.js';
import { foldSamples, type GroupBy } from '../profile/fold.js';
import { topFunctionsByGroup, type GroupedFunction } from '../profile/top.js';
import { FieldTable } from './latency-table.js';
import { textField } from '../model/latency-fields.js';
import type { Field } from '../model/fields.js';
import { useTerminalRows } from './use-terminal.js';

const GROUPS: GroupBy[] = ['none', 'process', 'pod'];

interface Store {
  subscribe(l: () => void): () => void;
  get(): { snap: ProfileSnapshot | null; elapsedS: number; done: boolean };
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

export function ProfileApp({ store, onQuit, perPid }: { store: Store; onQuit: () => void; perPid: boolean }) {
  const { snap, elapsedS, done } = useSyncExternalStore(store.subscribe, store.get);
  const [group, setGroup] = useState(0);
  const [byTotal, setByTotal] = useState(false);
  const rows = useTerminalRows() - 6;
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
    else if (input === 'g') setGroup((g) => (g + 1) % GROUPS.length);
    else if (input === 's') setByTotal((t) => !t);
  }, { isActive: process.stdin.isTTY === true });
  const groupBy = GROUPS[group];
  const top = useMemo(() => {
    if (!snap) return [];
    const stacks = foldSamples(snap.samples, groupBy === 'none' ? 'process' : groupBy, perPid);
    const list = topFunctionsByGroup(stacks);
    // Ungrouped: the same function in two processes is one row.
    const merged = groupBy === 'none' ? mergeGroups(list) : list;
    return merged.sort((a, b) => (byTotal ? b.total - a.total : b.self - a.self)).slice(0, Math.max(5, rows));
  }, [snap, groupBy, byTotal, rows, perPid]);
  if (done) return null;
  const total = snap?.totalSamples ?? 0;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="green">huatuo profile</Text>  {elapsedS.toFixed(1)}s  <Text bold>{total}</Text> samples
        {'  '}<Text dimColor>by {byTotal ? 'total' : 'self'}, {groupBy === 'none' ? 'all processes' : `per ${groupBy}`}</Text>
      </Text>
      <Text dimColor>s self/total  g all/process/pod  q quit (flame graphs are written at the end)</Text>
      <FieldTable fields={fields(total, groupBy !== 'none')} rows={top} unit="us" empty="(no samples yet)" />
    </Box>
  );
}

function mergeGroups(list: GroupedFunction[]): GroupedFunction[] {
  const by = new Map<string, GroupedFunction>();
  for (const f of list) {
    const m = by.get(f.name);
    if (m) {
      m.self += f.self;
      m.total += f.total;
    } else by.set(f.name, { ...f, group: '' });
  }
  return [...by.values()];
}

export async function liveProfileView(opts: { groupBy: GroupBy; perPid: boolean; onQuit: () => void }) {
  let state = { snap: null as ProfileSnapshot | null, elapsedS: 0, done: false };
  const listeners = new Set<() => void>();
  const started = Date.now();
  const set = (next: typeof state) => {
    state = next;
    listeners.forEach((l) => l());
  };
  const store: Store = {
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    get: () => state,
  };
  const app = render(<ProfileApp store={store} onQuit={opts.onQuit} perPid={opts.perPid} />, {
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 10,
  });
  return {
    update: (snap: ProfileSnapshot) => set({ snap, elapsedS: (Date.now() - started) / 1000, done: false }),
    async finish() {
      set({ ...state, done: true });
      await new Promise((r) => setImmediate(r));
      const exited = app.waitUntilExit();
      app.unmount();
      await exited;
    },
  };
}
