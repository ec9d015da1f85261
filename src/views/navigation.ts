// Pure helpers behind the live view's keys: sort cycling, a selection that follows its
// row's key across updates, and the scroll window that keeps the selection visible.
import { cellOf, type DisplayUnit, type Field } from '../model/fields.js';
import { merge, type Histogram } from '../histogram/loglinear.js';

/** The selected row: by key, with its last index as a fallback when the key goes away. */
export interface Selection {
  key: string | null;
  index: number;
}

/** The next numeric field after `current` (wrapping), for the `s` key. */
export function nextSortField<R>(fields: Field<R>[], current: Field<R>): Field<R> {
  const numeric = fields.filter((f) => f.kind !== 'text');
  if (!numeric.length) return current;
  const at = numeric.findIndex((f) => f.name === current.name);
  return numeric[(at + 1) % numeric.length];
}

/** Where the selection is in `rows` now: its key's row, else its old index clamped; -1 if no rows. */
export function selectedIndex(rows: Array<{ key: string }>, sel: Selection): number {
  if (!rows.length) return -1;
  const at = sel.key === null ? -1 : rows.findIndex((r) => r.key === sel.key);
  return at >= 0 ? at : Math.min(Math.max(sel.index, 0), rows.length - 1);
}

/** Move the selection by `delta` rows, clamped. */
export function moveSelection(rows: Array<{ key: string }>, sel: Selection, delta: number): Selection {
  if (!rows.length) return sel;
  const index = Math.min(Math.max(selectedIndex(rows, sel) + delta, 0), rows.length - 1);
  return { key: rows[index].key, index };
}

/** First visible row: unchanged unless the selection left the window of `height` rows. */
export function scrollOffset(prev: number, selected: number, height: number, total: number): number {
  let offset = prev;
  if (selected >= 0 && selected < offset) offset = selected;
  if (selected >= offset + height) offset = selected - height + 1;
  return Math.max(0, Math.min(offset, total - height));
}

/** The histogram of a key (rows sharing a key, e.g. one comm in two cgroups, are merged). */
export function histogramOf(rows: Array<{ key: string; hist?: Histogram }>, key: string): Histogram | undefined {
  return histogramsOf(rows, key)[0]?.hist;
}

/** Every histogram of a key, the main one first ('' as its name), then the row's named ones. */
export function histogramsOf(rows: Array<{ key: string; hist?: Histogram; hists?: Record<string, Histogram> }>, key: string): Array<{ name: string; hist: Histogram }> {
  const out = new Map<string, Histogram>();
  const add = (name: string, h: Histogram) => out.set(name, out.has(name) ? merge(out.get(name)!, h) : h);
  for (const r of rows) {
    if (r.key !== key) continue;
    if (r.hist) add('', r.hist);
    for (const [name, h] of Object.entries(r.hists ?? {})) add(name, h);
  }
  return [...out].map(([name, hist]) => ({ name, hist }));
}

/** A row's name for titles: its text columns (e.g. "1234 nginx"), else its key. */
export function rowLabel<R extends { key: string }>(fields: Field<R>[], row: R, unit: DisplayUnit): string {
  const text = fields.filter((f) => f.kind === 'text').map((f) => cellOf(f, row, unit));
  return text.length ? text.join(' ') : row.key;
}
