// schedlat's own model: a slow event (struct schedlat_event of bpf/schedlat.h, decoded).
// Its rows are plain latency rows (model/latency.ts).

/** A wait over --threshold: who waited, where, how long, and who held the CPU. */
export interface SchedlatEvent {
  ts_ns: number;
  lat_ns: number;
  cpu: number;
  pid: number;
  tgid: number;
  comm: string;
  cgroup_id: number;
  prev_pid: number;
  prev_tgid: number;
  prev_comm: string;
}
