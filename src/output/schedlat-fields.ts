// schedlat's field table: the task key columns by --by, the latency statistics, and the slow-event columns.
import type { Field } from '../model/fields.js';
import { statFields, taskKeyFields, textField } from '../model/latency-fields.js';
import type { LatencyRow as SchedlatRow, TaskBy as SchedlatBy } from '../model/latency.js';
import type { SchedlatEvent } from '../model/schedlat.js';

export function schedlatFields(by: SchedlatBy): Field<SchedlatRow>[] {
  return [...taskKeyFields<SchedlatRow>(by), ...statFields<SchedlatRow>()];
}

export const schedlatEventFields: Field<SchedlatEvent>[] = [
  textField('cpu', 'CPU', 4, (e) => e.cpu),
  textField('pid', 'TID', 8, (e) => e.pid),
  textField('comm', 'COMM', 16, (e) => e.comm),
  { name: 'lat_ns', header: 'LAT', kind: 'ns', align: 'right', width: 10, value: (e) => e.lat_ns },
  textField('prev_pid', 'PREV-TID', 8, (e) => e.prev_pid),
  textField('prev_comm', 'PREV-COMM', 16, (e) => e.prev_comm),
];

/** For report: schedlat captures re-print with the fields of their --by. */
export const schedlatReportFields = {
  fields: (meta: Record<string, unknown>) => schedlatFields(meta.by as SchedlatBy) as unknown as Field<never>[],
  eventFields: schedlatEventFields as unknown as Field<never>[],
};
