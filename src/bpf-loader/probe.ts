// Feature probes: ask the running kernel, not its version number.
import { readFileSync } from 'node:fs';
import { native } from './native.js';

/** tp_btf needs the tracepoint's btf_trace_<name> typedef in the kernel's BTF. */
export function hasTpBtf(tracepoint: string): boolean {
  try {
    return native().kernelHasType('typedef', `btf_trace_${tracepoint}`);
  } catch {
    return false;
  }
}

export function kernelHasField(struct: string, field: string): boolean {
  try {
    return native().kernelHasField(struct, field);
  } catch {
    return false;
  }
}

/**
 * Whether the scheduler keeps task_struct.sched_info live (CONFIG_SCHED_INFO, and before
 * 5.14 also schedstats or delay accounting): /proc/self/schedstat then counts our own
 * timeslices; it reads "0 0 0" otherwise.
 */
export function schedInfoLive(): boolean {
  if (!kernelHasField('task_struct', 'sched_info') || !kernelHasField('sched_info', 'last_queued')) return false;
  try {
    const [, , slices] = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    return slices > 0;
  } catch {
    return false;
  }
}
