// The profile's data, from the kernel to the flame graph. This file is the contract
// between the sampler (src/tools/profile.ts), symbolization (src/symbolize/) and the
// flame-graph renderers (src/flamegraph/).

/** One aggregated stack as the BPF sampler counted it, before symbolization. */
export interface RawStack {
  tgid: number;
  /** Thread id. */
  pid: number;
  cgroupId: number;
  comm: string;
  /** Kernel return addresses, leaf first (as the stack map holds them); empty with -U or none. */
  kernel: bigint[];
  /** User return addresses, leaf first; empty with -K, for kernel threads, or when unwinding failed. */
  user: bigint[];
  /** Samples with exactly this key. */
  count: number;
}

/** How a frame is drawn and suffixed: kernel `_[k]`, JIT or interpreted `_[j]`, native user none. */
export type FrameKind = 'kernel' | 'user' | 'jit' | 'unknown';

export interface Frame {
  /** Function name (demangled), or `[unknown] (module+0xoff)` when it cannot be resolved. */
  name: string;
  kind: FrameKind;
  /** Binary or kernel module the address is in, when known. */
  module?: string;
}

/** A symbolized stack with who it belongs to. */
export interface ProfileSample {
  tgid: number;
  pid: number;
  comm: string;
  cgroupId: number;
  pod?: string;
  namespace?: string;
  container?: string;
  /** Root first: user frames (outermost first), then kernel frames (outermost first). */
  frames: Frame[];
  count: number;
}

/**
 * A stack in flamegraph.pl's collapsed form: frames root first, kernel frames with the
 * `_[k]` suffix and JIT/interpreted ones with `_[j]` (inferno's annotations), plus a count.
 * This is all the flame-graph renderers see.
 */
export interface FoldedStack {
  frames: string[];
  count: number;
}

export const KERNEL_SUFFIX = '_[k]';
export const JIT_SUFFIX = '_[j]';

/** The collapsed-form label of a frame. */
export function foldedLabel(f: Frame): string {
  if (f.kind === 'kernel') return f.name + KERNEL_SUFFIX;
  if (f.kind === 'jit') return f.name + JIT_SUFFIX;
  return f.name;
}

/** A function's samples (like perf top): as the leaf, and anywhere on the stack. */
export interface TopFunction {
  name: string;
  /** Samples where the function is the leaf. */
  self: number;
  /** Samples where it is anywhere on the stack (counted once per stack, recursion or not). */
  total: number;
}

export interface GroupedFunction extends TopFunction {
  /** The stack's root frame (process, pod, container), or '' with no grouping. */
  group: string;
}

/** The live profile view's groupings (g cycles through them). */
export const LIVE_GROUPS = ['none', 'process', 'pod'] as const;
export type LiveGroup = (typeof LIVE_GROUPS)[number];

/** What the live view shows, computed by the caller each interval: top functions per grouping. */
export interface LiveProfileTop {
  totalSamples: number;
  groups: Record<LiveGroup, GroupedFunction[]>;
}
