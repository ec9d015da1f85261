// schedlat's field table: key columns by --by, the latency statistics, and the slow-event columns.
import type { Field } from './fields.js';
import { statFields, textField } from './latency-fields.js';
import type { SchedlatBy, SchedlatRow, SchedlatEvent } from '../tools/schedlat.js';

export function schedlatFields(by: SchedlatBy): Field<SchedlatRow>[] {
  const keys: Record<SchedlatBy, Field<SchedlatRow>[]> = {
    comm: [textField('comm', 'COMM', 16, (r) => r.comm)],
    pid: [textField('pid', 'PID', 8, (r) => r.pid), textField('comm', 'COMM', 16, (r) => r.comm)],
    tid: [textField('tid', 'TID', 8, (r) => r.tid), textField('comm', 'COMM', 16, (r) => r.comm)],
    cpu: [textField('cpu', 'CPU', 5, (r) => r.cpu)],
    cgroup: [textField('cgroup_id', 'CGROUP-ID', 10, (r) => r.cgroup_id), textField('cgroup', 'CGROUP', 30, (r) => r.cgroup)],
    pod: [textField('namespace', 'NAMESPACE', 12, (r) => r.namespace), textField('pod', 'POD', 24, (r) => r.pod)],
    container: [
      textField('namespace', 'NAMESPACE', 12, (r) => r.namespace),
      textField('pod', 'POD', 20, (r) => r.pod),
      textField('container', 'CONTAINER', 14, (r) => r.container),
      textField('container_id', 'ID', 12, (r) => r.container_id),
    ],
  };
  return [...keys[by], ...statFields<SchedlatRow>()];
}

export const schedlatEventFields: Field<SchedlatEvent>[] = [
  textField('cpu', 'CPU', 4, (e) => e.cpu),
  textField('pid', 'TID', 8, (e) => e.pid),
  textField('comm', 'COMM', 16, (e) => e.comm),
  { name: 'lat_ns', header: 'LAT', kind: 'ns', align: 'right', width: 10, value: (e) => e.lat_ns },
  textField('prev_pid', 'PREV-TID', 8, (e) => e.prev_pid),
  textField('prev_comm', 'PREV-COMM', 16, (e) => e.prev_comm),
];
