// The last few slow events of the interval, under the table.
import { Box, Text } from 'ink';
import type { DisplayUnit, Field } from '../model/fields.js';
import { FieldTable } from './latency-table.js';

export const SLOW_EVENTS_SHOWN = 5;

/** Lines SlowEvents takes for `n` events. */
export const slowEventsHeight = (n: number) => (n ? 2 + Math.min(n, SLOW_EVENTS_SHOWN) : 0);

interface Props<E> {
  events: E[];
  fields: Field<E>[];
  unit: DisplayUnit;
}

export function SlowEvents<E>({ events, fields, unit }: Props<E>) {
  if (!events.length) return null;
  const shown = events.slice(-SLOW_EVENTS_SHOWN);
  return (
    <Box flexDirection="column">
      <Text bold color="yellow" wrap="truncate-end">
        slow events: {events.length} in the last interval{events.length > shown.length ? `, last ${shown.length}:` : ':'}
      </Text>
      <FieldTable fields={fields} rows={shown} unit={unit} />
    </Box>
  );
}
