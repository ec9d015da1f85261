// A table drawn from a field table: headers, widths and alignment all come from the
// fields, so every tool gets its columns without a line of view code.
import { Box, Text } from 'ink';
import { cellOf, headerOf, type DisplayUnit, type Field } from '../model/fields.js';

/** Pad or cut a cell to its column width. */
export function fit(text: string, width: number, align: 'left' | 'right'): string {
  if (text.length > width) return width > 1 ? `${text.slice(0, width - 1)}…` : text.slice(0, width);
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

export function rowLine<T>(fields: Field<T>[], row: T, unit: DisplayUnit): string {
  return fields.map((f) => fit(cellOf(f, row, unit), f.width, f.align)).join(' ');
}

interface TableProps<T> {
  fields: Field<T>[];
  /** The rows to draw (already sorted and windowed). */
  rows: T[];
  unit: DisplayUnit;
  /** Index in `rows` drawn in inverse colours. */
  selected?: number;
  /** Name of the sort field, whose header is highlighted. */
  sortName?: string;
  empty?: string;
}

export function FieldTable<T>({ fields, rows, unit, selected = -1, sortName, empty }: TableProps<T>) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {fields.map((f, i) => (
          <Text key={f.name} color={f.name === sortName ? 'cyan' : undefined}>
            {(i ? ' ' : '') + fit(headerOf(f, unit), f.width, f.align)}
          </Text>
        ))}
      </Text>
      {rows.length === 0 && empty ? <Text dimColor>{empty}</Text> : null}
      {rows.map((r, i) => (
        <Text key={i} inverse={i === selected} wrap="truncate-end">
          {rowLine(fields, r, unit)}
        </Text>
      ))}
    </Box>
  );
}
