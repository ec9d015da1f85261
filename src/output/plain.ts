// Plain tables (not a TTY, or --plain): cli-table3 without borders, fitting 80 columns.
import Table from 'cli-table3';
import { cellOf, headerOf, type DisplayUnit, type Field } from '../model/fields.js';

export function plainTable<R>(fields: Field<R>[], rows: R[], unit: DisplayUnit): string {
  const t = new Table({
    head: fields.map((f) => headerOf(f, unit)),
    colAligns: fields.map((f) => f.align),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
    },
  });
  for (const r of rows) t.push(fields.map((f) => cellOf(f, r, unit)));
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}
