// profile, the sampler: options → BPF object (bpf/profile.bpf.c), by kind: one perf event
// per online CPU (on-CPU), sched_switch/sched_wakeup (off-CPU), lock:contention_* (lock),
// exceptions:page_fault_* (page faults) → raw stacks with their weights (addresses, not
// yet symbolized; src/symbolize/ does that). No CLI and no views here.
import { existsSync, readFileSync } from 'node:fs';
import { BpfObject } from '../bpf-loader/object.js';
import { native, type NativeErrorFields, type PerfEventAttr } from '../bpf-loader/native.js';
import type { FieldValue, StructLayout } from '../bpf-loader/layout.js';
import { hasTpBtf } from '../bpf-loader/probe.js';
import { CgroupHier, type CgroupMount } from '../containers/cgroup.js';
import { HuatuoError, ExitCode, usageError } from '../errors.js';
import { logDebug } from '../log.js';
import type { ProfileKind, RawStack } from '../model/stack.js';
import type { TaskFilter } from './filter.js';
import { applyTaskFilter, fillCgroupFilter, sizeCgroupFilter, CgroupFilterRefresher } from './filter.js';

export const PROFILE_EVENTS = ['cpu-clock', 'cycles'] as const;
export type ProfileEvent = (typeof PROFILE_EVENTS)[number];


/** --state: the sleeping states off-CPU time is taken for (enum profile_offcpu_state). */
export const OFFCPU_STATES = ['any', 'D', 'S'] as const;
export type OffCpuState = (typeof OFFCPU_STATES)[number];

export interface OffCpuOptions {
  /** Blocks shorter than this are dropped in the kernel (ns). */
  minBlockNs: number;
  state: OffCpuState;
  /** Count time runnable but not running too, as rows of its own. */
  includeRunqueue: boolean;
}

export interface ProfileOptions {
  /** Default 'cpu'. */
  kind?: ProfileKind;
  /** kind 'off-cpu'. */
  offCpu?: OffCpuOptions;
  /** kind 'page-faults': kernel-mode faults too (exceptions:page_fault_kernel). */
  kernelFaults?: boolean;
  filter: TaskFilter;
  /** The hierarchy cgroup ids are taken in (--by pod needs the right one); the filter's wins. */
  cgroupHier?: CgroupMount;
  /** Samples per second per CPU (default 99); exclusive with period. */
  frequencyHz?: number;
  /** -c: one sample every N events (ns for cpu-clock, cycles for cycles). */
  period?: number;
  event: ProfileEvent;
  /** -U: user stacks only. */
  userOnly: boolean;
  /** -K: kernel stacks only. */
  kernelOnly: boolean;
  /** Sample the idle task (pid 0) too. */
  includeIdle: boolean;
  /** Distinct stacks the stack map holds (--stack-storage-size, 16384). */
  stackStorageSize: number;
  /** Look-back: rows per time slot of this many ns (ktime), for prune(); default one slot. */
  slotNs?: number;
}

/** Samples that lost a stack, by stack and cause, and samples that were not counted at all. */
export interface StackErrorCounts {
  /** -EEXIST: the stack's hash bucket holds another stack (a larger --stack-storage-size helps). */
  collision: number;
  /** -EFAULT: no stack to take (kernel: the sample was in user mode; user: kernel threads). Normal. */
  missing: number;
  /** -ENOMEM: the stack map is full. */
  map_full: number;
  other: number;
}

export interface StackErrors {
  kernel: StackErrorCounts;
  user: StackErrorCounts;
  /** Samples not counted: the counts map was full (or, rarely, its bucket busy in NMI context). */
  counts_full: number;
  /** Processes that could not be recorded for newPids() (their samples are counted). */
  pids_full: number;
  /** Off-CPU and lock: waits not timed, the map of waits in progress was full. */
  starts_full?: number;
  /** Lock: contentions inside another (timed as part of the outer one). */
  lock_nested?: number;
  /** New rows whose user stack top could not be read (no frame recovery for them). */
  top_missing?: number;
  /** Off-CPU: nanoseconds blocked in blocks shorter than --min-block (not in the profile). */
  short_blocks_ns?: number;
}

/** A RawStack that also says why a stack is empty, when it was not -U/-K. */
export interface SampledStack extends RawStack {
  /** The counts map's key, as bytes in a string: identifies the row from read to read. */
  key: string;
  /** bpf_get_stackid's -errno for the kernel stack (-14 EFAULT, -17 EEXIST, -12 ENOMEM). */
  kernelError?: number;
  userError?: number;
  /** Off-CPU: time runnable, waiting for a CPU (not blocked). */
  runqueue?: boolean;
  /** Lock: the contended lock and contention_begin's LCB_F_* flags. */
  lock?: { addr: bigint; flags: number };
  /** The user stack at the row's first event, for frame recovery (src/symbolize/frameless.ts). */
  userTop?: { sp: bigint; words: bigint[] };
  /** With slotNs: the time slot the row counts (ktime / slotNs). */
  slot?: number;
}

export interface ProfileRead {
  stacks: SampledStack[];
  errors: StackErrors;
  /** Samples of the tasks the filter keeps: those counted in stacks plus counts_full. */
  totalSamples: number;
}

/** enum profile_err of bpf/profile.h (indexes in the `counters` array), names without the prefix. */
export const PROFILE_ERR_NAMES = [
  'KERN_COLLISION', 'KERN_MISSING', 'KERN_MAP_FULL', 'KERN_OTHER', 'USER_COLLISION', 'USER_MISSING',
  'USER_MAP_FULL', 'USER_OTHER', 'COUNTS_FULL', 'PIDS_FULL', 'STARTS_FULL', 'TOP_MISSING', 'LOCK_NESTED', 'SHORT_NS', 'MAX',
] as const;

/** PROFILE_STACK_SKIPPED: the stack id of a stack not taken (-U, -K). */
export const PROFILE_STACK_SKIPPED = -1;
/** The one default sampling frequency: the command, its help and library callers (autotrace) use it. */
export const DEFAULT_FREQUENCY_HZ = 99;

/**
 * The most samples per second per CPU huatuo takes, whatever the kernel would allow.
 * Every sample is an interrupt plus two stack walks; on a 2-core VM (2026-12, 6.18,
 * software cpu-clock) that measured ~5-15% of each CPU at 1 kHz, ~28% at 4 kHz (perf's
 * default), ~60% at 10 kHz, and ~90% at 50 kHz, where huatuo itself starved and ran
 * 17 s past -d 1. 1 kHz resolves a millisecond and fills a flame graph in seconds.
 */
export const MAX_SAMPLE_HZ = 1000;
/**
 * The smallest --period for --event cycles: 5M cycles is MAX_SAMPLE_HZ on a 5 GHz core,
 * faster than any server clock, so no CPU samples faster than the cap.
 */
export const MIN_CYCLES_PERIOD = 5_000_000;
const MAX_SAMPLE_RATE_FILE = '/proc/sys/kernel/perf_event_max_sample_rate';
/**
 * The largest --stack-storage-size the command takes: 131072 stacks of 127 frames is
 * 130 MB of kernel memory, and the rows it feeds are read, symbolized and written
 * within a second or two at the end of a run.
 */
export const MAX_STACK_STORAGE = 131072;

/** The kernel's limit on samples per second (kernel.perf_event_max_sample_rate), if readable. */
export function kernelMaxSampleRate(path = MAX_SAMPLE_RATE_FILE): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The highest rate accepted: huatuo's cap, or the kernel's limit when that is lower. */
export function sampleRateLimit(kernelMax = kernelMaxSampleRate()): { hz: number; why: string } {
  if (kernelMax !== undefined && kernelMax < MAX_SAMPLE_HZ) return { hz: kernelMax, why: 'kernel.perf_event_max_sample_rate' };
  return { hz: MAX_SAMPLE_HZ, why: `huatuo's cap${kernelMax !== undefined ? `; kernel.perf_event_max_sample_rate is ${kernelMax}` : ''}` };
}

/**
 * Refuse, as usage errors, sampling settings that are malformed or would sample faster
 * than sampleRateLimit(): before anything is opened.
 */
export function checkSampling(o: Pick<ProfileOptions, 'event' | 'frequencyHz' | 'period' | 'userOnly' | 'kernelOnly'>, kernelMax = kernelMaxSampleRate()): void {
  if (!EVENTS[o.event]) throw usageError(`--event must be one of ${PROFILE_EVENTS.join(', ')}, not "${o.event}"`);
  if (o.userOnly && o.kernelOnly) throw usageError('-U (user stacks only) and -K (kernel stacks only) exclude each other');
  if (o.period !== undefined && o.frequencyHz !== undefined) throw usageError('-F/--frequency and --period exclude each other');
  const limit = sampleRateLimit(kernelMax);
  if (o.period !== undefined) {
    if (!Number.isSafeInteger(o.period) || o.period <= 0) throw usageError(`--period needs a positive integer, not ${o.period}`);
    if (o.event === 'cycles') {
      if (o.period < MIN_CYCLES_PERIOD) throw usageError(`--period ${o.period}: the shortest --event cycles period is ${MIN_CYCLES_PERIOD} cycles (${MAX_SAMPLE_HZ} samples/s per CPU at 5 GHz)`);
    } else {
      const min = Math.ceil(1e9 / limit.hz);
      if (o.period < min) throw usageError(`--period ${o.period}: the shortest cpu-clock period is ${min} ns (${limit.hz} samples/s per CPU: ${limit.why})`);
    }
    return;
  }
  const hz = o.frequencyHz ?? DEFAULT_FREQUENCY_HZ;
  if (!Number.isSafeInteger(hz) || hz <= 0) throw usageError(`-F needs a positive integer frequency, not ${hz}`);
  if (hz > limit.hz) throw usageError(`-F ${hz}: the highest frequency is ${limit.hz} Hz per CPU (${limit.why})`);
}

// perf_event_open(2): PERF_TYPE_* and their PERF_COUNT_* configs.
const EVENTS: Record<ProfileEvent, { type: number; config: number }> = {
  'cpu-clock': { type: 1 /* PERF_TYPE_SOFTWARE */, config: 0 /* PERF_COUNT_SW_CPU_CLOCK */ },
  cycles: { type: 0 /* PERF_TYPE_HARDWARE */, config: 0 /* PERF_COUNT_HW_CPU_CYCLES */ },
};

/** struct profile_key (bpf/profile.h) as TypeScript reads it (checked against the BTF: layout.ts). */
export const PROFILE_KEY_SPEC = {
  cgroup_id: 'u64', lock_addr: 'u64', tgid: 'u32', pid: 'u32', kern_stack_id: 's32', user_stack_id: 's32',
  lock_flags: 'u32', runqueue: 'u32', slot: 'u32', comm: 'char[16]',
} as const;

/** PROFILE_TOP_WORDS of bpf/profile.h. */
export const PROFILE_TOP_WORDS = 32;
/** struct profile_user_top: sp, then the words (read as raw u64s: user addresses need all 64 bits). */
export const PROFILE_USER_TOP_SPEC = { sp: 'u64', words: `u64[${PROFILE_TOP_WORDS}]` } as const;

/** Every struct profile's TypeScript reads (test/unit/btf-layout.test.ts checks them). */
export const PROFILE_BOUNDARY = { profile_key: PROFILE_KEY_SPEC, profile_user_top: PROFILE_USER_TOP_SPEC };

interface ProfileKey {
  cgroup_id: number;
  lock_addr: number;
  tgid: number;
  pid: number;
  kern_stack_id: number;
  user_stack_id: number;
  lock_flags: number;
  runqueue: number;
  slot: number;
  comm: string;
}

/** CPU numbers of a sysfs cpu list such as "0-3,6,8-9". */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad cpu list "${text.trim()}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

export function onlineCpus(path = '/sys/devices/system/cpu/online'): number[] {
  return parseCpuList(readFileSync(path, 'utf8'));
}

function errnoCode(e: unknown): string | undefined {
  return e instanceof Error ? (e as Partial<NativeErrorFields>).code : undefined;
}

/** The perf attr for the options, refusing impossible combinations as usage errors. */
function perfAttr(o: ProfileOptions): Omit<PerfEventAttr, 'cpu'> {
  checkSampling(o);
  const ev = EVENTS[o.event];
  if (o.period !== undefined) return { ...ev, samplePeriod: o.period, pid: -1 };
  return { ...ev, sampleFreq: o.frequencyHz ?? DEFAULT_FREQUENCY_HZ, pid: -1 };
}

/** perf_event_open's errors, in words the user can act on. */
function perfOpenError(e: unknown, o: ProfileOptions, attr: Omit<PerfEventAttr, 'cpu'>, cpu: number): HuatuoError {
  const code = errnoCode(e);
  const msg = (e as Error).message;
  if (o.event === 'cycles' && (code === 'ENOENT' || code === 'EOPNOTSUPP' || code === 'ENODEV')) {
    return new HuatuoError(
      `--event cycles: this machine has no hardware PMU for perf events (${code}; virtual machines often lack one): use --event cpu-clock`,
      ExitCode.Unsupported,
      msg,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new HuatuoError(`perf_event_open on cpu ${cpu} was refused (${code}): run as root, or with CAP_PERFMON (see kernel.perf_event_paranoid)`, ExitCode.Privileges, msg);
  }
  if (code === 'EINVAL' && attr.sampleFreq !== undefined) {
    let max = '';
    try {
      max = ` (kernel.perf_event_max_sample_rate is ${readFileSync('/proc/sys/kernel/perf_event_max_sample_rate', 'utf8').trim()})`;
    } catch { /* not readable: say less */ }
    return new HuatuoError(`perf_event_open refused -F ${attr.sampleFreq}${max}: use a lower frequency`, ExitCode.Usage, msg);
  }
  return new HuatuoError(`perf_event_open (${o.event}) on cpu ${cpu} failed: ${msg}`, ExitCode.Runtime);
}

/** include/trace/events/lock.h's LCB_F_* flags of contention_begin. */
const LCB_F = { SPIN: 1, READ: 2, WRITE: 4, RT: 8, PERCPU: 16, MUTEX: 32 } as const;

/** A lock's kind from contention_begin's flags, in perf lock contention's terms. */
export function lockKind(flags: number): string {
  const rw = flags & LCB_F.READ ? ':R' : flags & LCB_F.WRITE ? ':W' : '';
  if (flags & LCB_F.MUTEX) return 'mutex';
  if (flags & LCB_F.RT) return 'rtmutex';
  if (flags & LCB_F.PERCPU) return `percpu-rwsem${rw}`;
  if (flags & LCB_F.SPIN) return rw ? `rwlock${rw}` : 'spinlock';
  if (rw) return `rwsem${rw}`;
  return flags ? `lock:0x${flags.toString(16)}` : 'semaphore';
}

/** The tracepoints (group:name) a kind attaches to. */
function kindTracepoints(o: ProfileOptions): string[] {
  switch (o.kind) {
    case 'off-cpu': return ['sched:sched_switch', 'sched:sched_wakeup'];
    case 'lock': return ['lock:contention_begin', 'lock:contention_end'];
    case 'page-faults': return ['exceptions:page_fault_user', ...(o.kernelFaults ? ['exceptions:page_fault_kernel'] : [])];
    default: return [];
  }
}

/** The programs of a kind, without their _btf/_raw flavour. */
function kindPrograms(kind: ProfileKind, o: ProfileOptions): string[] {
  if (kind === 'off-cpu') return ['offcpu_switch', 'offcpu_wakeup'];
  if (kind === 'lock') return ['lock_begin', 'lock_end'];
  return ['fault_user', ...(o.kernelFaults ? ['fault_kernel'] : [])];
}

/** Whether the kernel has a tracepoint: its tp_btf type in the BTF, or its tracefs directory. */
export function tracepointExists(groupName: string): boolean {
  const [group, name] = groupName.split(':');
  if (hasTpBtf(name)) return true;
  return ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].some((t) => existsSync(`${t}/events/${group}/${name}`));
}

const KIND_NEEDS: Partial<Record<ProfileKind, string>> = {
  lock: 'the lock:contention_begin/end tracepoints (Linux 5.19 and later)',
  'page-faults': 'the exceptions:page_fault_user/kernel tracepoints (x86)',
};

function missingTracepoint(kind: ProfileKind, tp: string): HuatuoError {
  return new HuatuoError(`profile --${kind} needs ${KIND_NEEDS[kind] ?? `the ${tp} tracepoint`}: this kernel has no ${tp}`, ExitCode.Unsupported);
}

function u64At(b: Buffer, off = 0): number {
  return b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 0x100000000;
}

export class ProfileSession {
  readonly obj: BpfObject;
  /** The CPUs sampled. */
  readonly cpus: number[];
  private readonly keyLayout: StructLayout<ProfileKey>;
  private readonly knownPids = new Set<number>();
  /** counts rows seen (by key bytes) and stacks looked up (by id), kept from read to read. */
  private readonly rows = new Map<string, SampledStack>();
  private readonly stackCache = new Map<number, bigint[]>();
  private filterRefresher: CgroupFilterRefresher | undefined;
  /** enum profile_err, read once from the BTF (errors() runs every interval). */
  private errIndex: Record<(typeof PROFILE_ERR_NAMES)[number], number> | undefined;

  /** Byte offsets read raw (kernel and user addresses need all 64 bits). */
  private readonly lockAddrAt: number;
  private readonly topLayout: StructLayout;
  readonly kind: ProfileKind;
  /** How the tracepoint programs were attached (on-CPU: perf_event). */
  readonly attachKind: 'perf_event' | 'tp_btf' | 'raw_tp';

  private constructor(readonly options: ProfileOptions, obj: BpfObject, cpus: number[], attachKind: ProfileSession['attachKind']) {
    this.obj = obj;
    this.cpus = cpus;
    this.kind = options.kind ?? 'cpu';
    this.attachKind = attachKind;
    this.keyLayout = obj.struct<ProfileKey>('profile_key').expectSpec(PROFILE_KEY_SPEC);
    this.lockAddrAt = this.keyLayout.field('lock_addr').offset;
    this.topLayout = obj.struct<Record<string, FieldValue>>('profile_user_top').expectSpec(PROFILE_USER_TOP_SPEC);
  }

  /**
   * Open (on-CPU: the perf events, one per online CPU, every process), then open, configure,
   * load and attach the BPF object. Whatever was opened is closed again if any step fails.
   */
  static start(o: ProfileOptions): ProfileSession {
    const kind = o.kind ?? 'cpu';
    if (!Number.isSafeInteger(o.stackStorageSize) || o.stackStorageSize <= 0) {
      throw usageError(`--stack-storage-size needs a positive integer, not ${o.stackStorageSize}`);
    }
    const attr = kind === 'cpu' ? perfAttr(o) : undefined;
    const tracepoints = kind === 'cpu' ? [] : kindTracepoints(o);
    for (const tp of tracepoints) if (!tracepointExists(tp)) throw missingTracepoint(kind, tp);
    const cpus = onlineCpus();
    const fds: number[] = []; // opened, not yet owned by a link
    let obj: BpfObject | undefined;
    try {
      // The events first: a missing PMU fails before any BPF is loaded. Until a program
      // is attached an event only counts (sample_type 0, no buffer): nothing is recorded.
      if (attr) {
        for (const cpu of cpus) {
          try {
            fds.push(native().perfEventOpen({ ...attr, cpu }));
          } catch (e) {
            throw perfOpenError(e, o, attr, cpu);
          }
        }
      }
      const attachKind = kind === 'cpu' ? 'perf_event' as const
        : process.env.HUATUO_ATTACH !== 'raw_tp' && tracepoints.every((tp) => hasTpBtf(tp.split(':')[1])) ? 'tp_btf' as const : 'raw_tp' as const;
      const programs = kind === 'cpu' ? ['profile_sample'] : kindPrograms(kind, o).map((p) => `${p}_${attachKind === 'tp_btf' ? 'btf' : 'raw'}`);
      obj = BpfObject.open('profile');
      obj.selectPrograms(programs);
      const off = o.offCpu ?? { minBlockNs: 0, state: 'any', includeRunqueue: false };
      const states = obj.enumValues('profile_offcpu_state', 'PROFILE_STATE_', ['ANY', 'D', 'S']);
      obj.setRodata({
        targ_include_idle: o.includeIdle,
        targ_user_only: o.userOnly,
        targ_kernel_only: o.kernelOnly,
        targ_cgroup_hier: o.filter.cgroups?.mount.hier ?? o.cgroupHier?.hier ?? CgroupHier.V2,
        targ_min_block_ns: BigInt(Math.round(off.minBlockNs)),
        targ_state: states[off.state === 'any' ? 'ANY' : off.state],
        targ_include_runqueue: off.includeRunqueue,
        targ_slot_ns: BigInt(Math.round(o.slotNs ?? 0)),
      });
      applyTaskFilter(obj, o.filter);
      sizeCgroupFilter(obj, o.filter);
      obj.setMaxEntries('stacks', o.stackStorageSize);
      // Rows are (thread, stack pair): about as many as stacks, and never fewer than libbpf-tools' 10240.
      obj.setMaxEntries('counts', Math.max(10240, o.stackStorageSize));
      obj.setMaxEntries('user_tops', Math.max(10240, o.stackStorageSize));
      obj.load();
      fillCgroupFilter(obj, o.filter);
      const s = new ProfileSession(o, obj, cpus, attachKind);
      s.filterRefresher = new CgroupFilterRefresher(obj, o.filter);
      if (kind === 'cpu') {
        while (fds.length) {
          try {
            obj.attachPerfEvent('profile_sample', fds[0]); // on success the link owns (and closes) the fd
          } catch (e) {
            throw new HuatuoError(`profile: attaching to the ${o.event} perf event failed: ${(e as Error).message}`, ExitCode.Unsupported);
          }
          fds.shift();
        }
        logDebug(`profile: attached to ${o.event} on cpus ${cpus.join(',')} (${attr!.sampleFreq !== undefined ? `${attr!.sampleFreq} Hz` : `every ${attr!.samplePeriod} events`})`);
      } else {
        try {
          obj.attach(programs);
        } catch (e) {
          throw new HuatuoError(`profile --${kind}: attaching ${programs.join(', ')} failed: ${(e as Error).message}`, ExitCode.Unsupported);
        }
        logDebug(`profile --${kind}: attached ${programs.join(', ')}`);
      }
      return s;
    } catch (e) {
      for (const fd of fds) native().closeFd(fd);
      obj?.close();
      throw e;
    }
  }

  /** Add cgroups a pod selection gained since the last call (read() does it too). */
  refreshFilter(): void {
    this.filterRefresher?.refresh();
  }

  /**
   * Everything counted since start: cumulative, cheap enough to call every second. A row's
   * stacks are looked up once: without BPF_F_REUSE_STACKID a stack id never changes its
   * stack, and rows are never deleted.
   */
  read(): ProfileRead {
    this.refreshFilter();
    const stacks: SampledStack[] = [];
    let counted = 0;
    for (const { key, value } of this.obj.mapEntries('counts')) {
      const id = key.toString('latin1');
      const count = u64At(value);
      counted += count;
      let s = this.rows.get(id);
      if (!s) this.rows.set(id, (s = this.row(id, key)));
      stacks.push({ ...s, count });
    }
    const errors = this.errors();
    // A count-weighted row lost to a full map is one sample or fault; a time-weighted one has no known weight.
    const timed = this.kind === 'off-cpu' || this.kind === 'lock';
    return { stacks, errors, totalSamples: counted + (timed ? 0 : errors.counts_full) };
  }

  private row(id: string, key: Buffer): SampledStack {
    const k = this.keyLayout.decode(key);
    const lookup = (stackId: number): bigint[] => {
      if (stackId < 0) return [];
      let a = this.stackCache.get(stackId);
      if (!a) {
        const raw = this.obj.stackLookup('stacks', stackId);
        a = raw ? Array.from(raw) : [];
        this.stackCache.set(stackId, a);
      }
      return a;
    };
    const s: SampledStack = {
      key: id,
      tgid: k.tgid,
      pid: k.pid,
      cgroupId: k.cgroup_id,
      comm: k.comm,
      kernel: lookup(k.kern_stack_id),
      user: lookup(k.user_stack_id),
      count: 0,
    };
    if (k.kern_stack_id < 0 && k.kern_stack_id !== PROFILE_STACK_SKIPPED) s.kernelError = k.kern_stack_id;
    if (k.user_stack_id < 0 && k.user_stack_id !== PROFILE_STACK_SKIPPED) s.userError = k.user_stack_id;
    if (k.runqueue) s.runqueue = true;
    if (k.slot) s.slot = k.slot;
    if (this.kind === 'lock') s.lock = { addr: key.readBigUInt64LE(this.lockAddrAt), flags: k.lock_flags };
    if (s.user.length) {
      const top = this.obj.mapLookup('user_tops', key);
      if (top) {
        const at = this.topLayout.field('words').offset;
        s.userTop = { sp: top.readBigUInt64LE(0), words: Array.from({ length: PROFILE_TOP_WORDS }, (_, i) => top.readBigUInt64LE(at + 8 * i)) };
      }
    }
    return s;
  }

  /**
   * Look-back: delete the rows of slots before `fromSlot`, and the stacks no remaining row
   * uses (the stack map would fill up otherwise). A stack a new row takes between the read
   * here and its delete is lost to that row (it reads as missing): rare, and counted.
   * Returns the rows deleted.
   */
  prune(fromSlot: number): number {
    const used = new Set<number>();
    const old: Array<{ key: Buffer; ids: number[] }> = [];
    for (const { key } of this.obj.mapEntries('counts')) {
      const k = this.keyLayout.decode(key);
      const ids = [k.kern_stack_id, k.user_stack_id].filter((id) => id >= 0);
      if (k.slot < fromSlot) old.push({ key: Buffer.from(key), ids });
      else for (const id of ids) used.add(id);
    }
    const stackKey = Buffer.alloc(4);
    for (const { key, ids } of old) {
      this.obj.mapDelete('counts', key);
      this.obj.mapDelete('user_tops', key);
      this.rows.delete(key.toString('latin1'));
      for (const id of ids) {
        if (used.has(id)) continue;
        used.add(id); // deleted once
        stackKey.writeUInt32LE(id);
        this.obj.mapDelete('stacks', stackKey);
        this.stackCache.delete(id);
      }
    }
    return old.length;
  }

  /** Samples that lost a stack or were not counted, since start. */
  errors(): StackErrors {
    const E = (this.errIndex ??= this.obj.enumValues('profile_err', 'PROFILE_ERR_', PROFILE_ERR_NAMES));
    const c = this.obj.perCpuCounters('counters', E.MAX);
    return {
      kernel: { collision: c[E.KERN_COLLISION], missing: c[E.KERN_MISSING], map_full: c[E.KERN_MAP_FULL], other: c[E.KERN_OTHER] },
      user: { collision: c[E.USER_COLLISION], missing: c[E.USER_MISSING], map_full: c[E.USER_MAP_FULL], other: c[E.USER_OTHER] },
      counts_full: c[E.COUNTS_FULL],
      pids_full: c[E.PIDS_FULL],
      ...(this.kind === 'off-cpu' || this.kind === 'lock' ? { starts_full: c[E.STARTS_FULL] } : {}),
      ...(this.kind === 'off-cpu' ? { short_blocks_ns: c[E.SHORT_NS] } : {}),
      ...(this.kind === 'lock' ? { lock_nested: c[E.LOCK_NESTED] } : {}),
      top_missing: c[E.TOP_MISSING],
    };
  }

  /** Processes (tgids) first sampled since the last call, for early /proc/PID/maps snapshots. */
  newPids(): number[] {
    const out: number[] = [];
    for (const { key } of this.obj.mapEntries('pids')) {
      const tgid = key.readUInt32LE(0);
      if (this.knownPids.has(tgid)) continue;
      this.knownPids.add(tgid);
      out.push(tgid);
    }
    return out;
  }

  /**
   * Stop sampling on every CPU, keeping the maps: a read() after it is one consistent
   * snapshot (rows and error counters agree). read() still works; close() frees it.
   */
  stop(): void {
    this.obj.detach();
  }

  /** Detach from every CPU and free the object (its links close the perf fds); idempotent. */
  close(): void {
    this.obj.close();
  }
}
