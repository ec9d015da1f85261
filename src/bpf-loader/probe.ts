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
