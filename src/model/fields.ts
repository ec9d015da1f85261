// One field table per tool feeds every sink: the Ink table, the plain table, --json
// and --sort. A field's name is its JSON key; `*_ns` fields render as durations.
import { formatBytes, formatIn } from './units.js';

export type DisplayUnit = 'us' | 'ms';

export interface Field<R> {
  /** JSON key and --sort name. */
  name: string;
  /** Column header (the unit is appended for durations). */
  header: string;
  /** ns: a duration (shown in the display unit); bytes: a size (shown as 32.0M); JSON keeps both as numbers. */
  kind: 'text' | 'count' | 'ns' | 'bytes';
  align: 'left' | 'right';
  /** Column width in the live view. */
  width: number;
  /** undefined (or null) when not known: `-` in tables, null in JSON. */
  value(row: R): string | number | null | undefined;
}

export function headerOf<R>(f: Field<R>, unit: DisplayUnit): string {
  return f.kind === 'ns' ? `${f.header}(${unit === 'ms' ? 'ms' : 'us'})` : f.header;
}

export function cellOf<R>(f: Field<R>, row: R, unit: DisplayUnit): string {
  const v = f.value(row);
  if (v === undefined || v === null) return '-';
  if (f.kind === 'ns') return formatIn(Number(v), unit);
  if (f.kind === 'bytes') return formatBytes(Number(v));
  return String(v);
}

/** What --sort takes for a field table: each field's name, `*_ns` fields also without the suffix. */
export function sortNames<R>(fields: Field<R>[]): string[] {
  return fields.flatMap((f) => (f.name.endsWith('_ns') ? [f.name.slice(0, -3), f.name] : [f.name]));
}

/** Sort rows by a field, numbers descending and text ascending. */
export function sortRows<R>(rows: R[], field: Field<R>): R[] {
  return [...rows].sort((a, b) => {
    const x = field.value(a);
    const y = field.value(b);
    if (typeof x === 'number' && typeof y === 'number') return y - x;
    return String(x ?? '').localeCompare(String(y ?? ''));
  });
}

/**
 * The row as a JSON object keyed by field name (numbers stay numbers, ns stay ns). Every
 * field is there: an unknown value is null, never left out (docs/capture-format.md).
 */
export function jsonRow<R>(fields: Field<R>[], row: R): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const f of fields) {
    const v = f.value(row);
    out[f.name] = v === undefined || v === null ? null : typeof v === 'number' && f.kind === 'ns' ? Math.round(v) : v;
  }
  return out;
}

/** The field --sort names (`p99` or `p99_ns`), else the first. */
export function sortField<R>(fields: Field<R>[], name: string): Field<R> {
  return fields.find((f) => f.name === name || f.name === `${name}_ns`) ?? fields[0];
}
