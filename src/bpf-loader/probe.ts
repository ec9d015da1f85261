// Feature probes: ask the running kernel, not its version number.
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

/** Whether the kernel has a BPF helper (enum bpf_func_id in its BTF), e.g. 'get_current_task_btf' (5.11+). */
export function kernelHasHelper(name: string): boolean {
  try {
    return native().kernelEnum('bpf_func_id')?.[`BPF_FUNC_${name}`] !== undefined;
  } catch {
    return false;
  }
}

/**
 * tp_btf for programs that read the current task directly: the tracepoint's BTF type and
 * bpf_get_current_task_btf (5.11+; on 5.10 tp_btf exists but that helper does not).
 */
export function hasTpBtfWithCurrentTask(tracepoint: string): boolean {
  return hasTpBtf(tracepoint) && kernelHasHelper('get_current_task_btf');
}
