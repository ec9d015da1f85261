// The profile's data, from the kernel to the flame graph. This file is the contract
// between the sampler (src/tools/profile.ts), symbolization (src/symbolize/) and the
// flame-graph renderers (src/flamegraph/).

/** What a profile weighs stacks by: one kind per run. */
export const PROFILE_KINDS = ['cpu', 'off-cpu', 'lock', 'page-faults'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/** A kind's weights as every output names and shows them. */
export interface ProfileUnit {
  /** In titles: "CPU", "off-CPU time". */
  title: string;
  /** pprof's sample type (type/unit): cpu/nanoseconds, offcpu/nanoseconds, lock/nanoseconds, page_faults/count. */
  pprofType: string;
  pprofUnit: 'nanoseconds' | 'count';
  /** Weights are nanoseconds (off-CPU, lock): shown as times; else counts of countName. */
  time: boolean;
  /** What one count is when not a time: samples, faults. */
  countName: string;
}

export const PROFILE_UNITS: Record<ProfileKind, ProfileUnit> = {
  cpu: { title: 'CPU', pprofType: 'cpu', pprofUnit: 'nanoseconds', time: false, countName: 'samples' },
  'off-cpu': { title: 'off-CPU time', pprofType: 'offcpu', pprofUnit: 'nanoseconds', time: true, countName: 'ns' },
  lock: { title: 'lock contention', pprofType: 'lock', pprofUnit: 'nanoseconds', time: true, countName: 'ns' },
  'page-faults': { title: 'page faults', pprofType: 'page_faults', pprofUnit: 'count', time: false, countName: 'faults' },
};

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
  /** Samples (on-CPU), nanoseconds (off-CPU, lock) or faults: see ProfileUnit. */
  count: number;
  /** Off-CPU: time runnable but waiting for a CPU, not blocked (drawn under a [runqueue] frame). */
  runqueue?: boolean;
  /** Lock: what was contended (drawn as the leaf frame). */
  lock?: LockSite;
  /** Where each frame's code is (parallel to frames; null where not known): pprof's locations. */
  locations?: Array<CodeLocation | null>;
}

/**
 * A binary's executable segment as pprof maps it, in the binary's own (ELF) address space,
 * so one mapping serves every process that loads the binary wherever it loaded it.
 */
export interface CodeMapping {
  /** The path as the process saw it; `[kernel.kallsyms]`, `[vdso]`. */
  file: string;
  buildId?: string;
  /** Page-aligned: start and limit as ELF virtual addresses, offset in the file. */
  start: bigint;
  limit: bigint;
  offset: bigint;
  /** Native user code that pprof can symbolize again from the binary (lines, inlining). */
  native: boolean;
}

/** A frame's code: its mapping and the address (ELF vaddr; of the call, for return addresses). */
export interface CodeLocation {
  mapping: CodeMapping;
  address: bigint;
}

/** A contended kernel lock: its kind (from contention_begin's flags) and where it is. */
export interface LockSite {
  /** spinlock, rwlock:R, rwlock:W, mutex, rwsem:R, rwsem:W, rtmutex, percpu-rwsem:R/W, semaphore. */
  kind: string;
  /** The lock's address, hex. */
  addr: string;
  /** variable+0xoff when the lock is a static kernel object. */
  symbol?: string;
}

/** The root frame of off-CPU run-queue time. */
export const RUNQUEUE_FRAME = '[runqueue]';

/** The leaf frame of a lock contention: `[mutex cgroup_mutex]`, `[rwsem:W]`. */
export function lockFrame(l: LockSite): string {
  return `[${l.kind}${l.symbol ? ` ${l.symbol}` : ''}]`;
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
  /** What the counts weigh (default cpu: samples). */
  kind?: ProfileKind;
  totalSamples: number;
  groups: Record<LiveGroup, GroupedFunction[]>;
}
