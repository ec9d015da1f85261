// The live view's state, in one hook: which rows (total or last interval), the sort,
// the selection, the histogram panel, and the keys that change them.
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useInput, useStdin, type Key } from 'ink';
import { sortRows, type Field } from '../model/fields.js';
import { sortField } from '../model/fields.js';
import type { LatencyOutputSpec } from '../model/latency.js';
import type { LatencySnapshot } from '../model/latency.js';
import type { Histogram } from '../histogram/loglinear.js';
import type { LatencyFrame } from './store.js';
import { moveSelection, nextSortField, scrollOffset, selectedIndex, type Selection } from './navigation.js';

export type RowsMode = 'total' | 'interval';

export interface LatencyView<R, E> {
  /** The snapshot the table shows (null before the first interval). */
  snap: LatencySnapshot<R, E> | null;
  /** Its rows, sorted. */
  rows: R[];
  /** Index of the selected row in `rows`, -1 when there are none. */
  selected: number;
  sort: Field<R>;
  mode: RowsMode;
  showHist: boolean;
  quitting: boolean;
  /** Keys are read (stdin is a terminal). */
  keys: boolean;
}

export function useLatencyView<R extends { key: string; hist?: Histogram }, E>(
  spec: LatencyOutputSpec<R, E>,
  frame: LatencyFrame<R, E> | null,
  onQuit: () => void,
): LatencyView<R, E> {
  const [sortName, setSortName] = useState(() => sortField(spec.fields, spec.sortBy).name);
  const [mode, setMode] = useState<RowsMode>('total');
  const [sel, setSel] = useState<Selection>({ key: null, index: 0 });
  const [showHist, setShowHist] = useState(false);
  const [quitting, setQuitting] = useState(false);
  const sort = sortField(spec.fields, sortName);
  const snap = frame ? (mode === 'total' ? frame.total : frame.interval) : null;
  const rows = useMemo(() => (snap ? sortRows(snap.rows, sort) : []), [snap, sort]);
  const selected = selectedIndex(rows, sel);

  // Keys can arrive faster than passive effects run (held ↓): the handler is subscribed
  // once and reads the latest rendered rows and state from a ref set at commit.
  const latest = useRef({ rows, selected, onQuit, fields: spec.fields });
  useLayoutEffect(() => {
    latest.current = { rows, selected, onQuit, fields: spec.fields };
  });
  const onKey = useCallback(function onKey(input: string, key: Key): void {
    const now = latest.current;
    // Keys typed quickly can arrive in one chunk ("si"): take them one by one.
    if (input.length > 1 && !key.ctrl && !key.meta) {
      for (const ch of input) onKey(ch, key);
      return;
    }
    if (input === 'q' || (key.ctrl && input === 'c')) {
      setQuitting(true);
      now.onQuit();
    } else if (key.upArrow || key.downArrow || key.pageUp || key.pageDown) {
      const delta = (key.upArrow || key.pageUp ? -1 : 1) * (key.pageUp || key.pageDown ? 10 : 1);
      setSel((s) => moveSelection(now.rows, s, delta));
    } else if (key.return) {
      // Pin the row by key so the panel follows it whatever the sort does.
      if (now.selected >= 0) setSel({ key: now.rows[now.selected].key, index: now.selected });
      setShowHist((h) => !h && now.selected >= 0);
    } else if (key.escape) {
      setShowHist(false);
    } else if (input === 's') {
      setSortName((n) => nextSortField(now.fields, sortField(now.fields, n)).name);
    } else if (input === 'i') {
      setMode((m) => (m === 'total' ? 'interval' : 'total'));
    }
  }, []);
  const { isRawModeSupported } = useStdin();
  const keys = isRawModeSupported === true; // stdin.isTTY is undefined for files
  useInput(onKey, { isActive: keys });
  return { snap, rows, selected, sort, mode, showHist, quitting, keys };
}

/** First visible row of a list of `total` rows shown `height` at a time, following `selected`. */
export function useScroll(selected: number, height: number, total: number): number {
  const [offset, setOffset] = useState(0);
  const next = scrollOffset(offset, selected, height, total);
  // Derived state, adjusted during render (React's documented pattern for this).
  if (next !== offset) setOffset(next);
  return next;
}
