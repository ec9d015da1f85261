// The raw surface of the N-API addon (native/). This file is the contract between
// C++ and TypeScript: the addon is libbpf one to one, with no tool logic. Everything
// typed and friendly lives in the other files of src/bpf-loader/.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { packagePath } from '../paths.js';
import { HuatuoError, ExitCode } from '../errors.js';

/** What a failed libbpf call throws (an Error with these extra properties). */
export interface NativeErrorFields {
  /** Positive errno (libbpf returns -errno). */
  errno: number;
  /** errno name, e.g. 'ENOENT', 'EPERM', 'EINVAL'. */
  code: string;
  /** The libbpf call that failed, e.g. 'bpf_object__load'. */
  syscall: string;
  /** libbpf's messages printed during the failing call (the verifier log on a load failure). */
  log?: string;
}

export interface NativeProgramInfo {
  name: string;
  /** ELF section, e.g. 'tp_btf/sched_switch'. */
  section: string;
  /** enum bpf_prog_type value. */
  type: number;
  autoload: boolean;
}

export interface NativeMapInfo {
  name: string;
  /** enum bpf_map_type value. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

/** A member of a struct/union in BTF, after resolving typedefs/const/volatile. */
export interface NativeBtfMember {
  name: string;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield size in bits, 0 when not a bitfield. */
  bitfieldSize: number;
  /** Resolved type of the member. */
  type: NativeBtfType;
}

export type NativeBtfType =
  | { kind: 'int'; name: string; size: number; signed: boolean; char: boolean; bool: boolean }
  | { kind: 'enum'; name: string; size: number; signed: boolean }
  | { kind: 'ptr'; size: number }
  | { kind: 'array'; size: number; nelems: number; elem: NativeBtfType }
  | { kind: 'struct' | 'union'; name: string; size: number; members: NativeBtfMember[] }
  | { kind: 'float'; name: string; size: number }
  | { kind: 'other'; name: string; size: number };

export interface NativeDatasecVar {
  name: string;
  offset: number;
  size: number;
}

export interface NativeProgStats {
  /** Kernel program id (bpftool prog list shows it). */
  id: number;
  /** Cumulative ns spent in the program; counts only while BPF stats are enabled. */
  runTimeNs: number;
  /** Cumulative number of runs; counts only while BPF stats are enabled. */
  runCnt: number;
  /** Runs skipped because of recursion (bpf_prog_info.recursion_misses), 0 if unknown. */
  recursionMisses: number;
}

export interface NativeMapDump {
  /** Number of entries. */
  count: number;
  /** count × keySize bytes. */
  keys: Buffer;
  /** count × valueSize bytes; for per-CPU maps count × nrCpus × round_up(valueSize, 8). */
  values: Buffer;
}

export interface NativeRingBuffer {
  /** Stop polling and free the ring buffer; idempotent. */
  close(): void;
}

export interface NativeObject {
  /** bpf_object__name */
  readonly name: string;
  programs(): NativeProgramInfo[];
  maps(): NativeMapInfo[];
  /** bpf_program__set_autoload; only before load(). */
  setAutoload(program: string, autoload: boolean): void;
  /** bpf_map__set_max_entries; only before load(). */
  setMaxEntries(map: string, maxEntries: number): void;
  /** Variables of a data section ('.rodata', '.bss', '.data') from the object's BTF (offsets fixed up by libbpf at open). */
  datasecVars(section: string): NativeDatasecVar[];
  /** Copy of a map's initial value (bpf_map__initial_value); map may be '.rodata'. */
  getInitialValue(map: string): Buffer;
  /** bpf_map__set_initial_value; only before load(). */
  setInitialValue(map: string, value: Buffer): void;
  /** A named struct/union of the object's BTF, resolved recursively; null if absent. */
  btfStruct(name: string): NativeBtfType | null;
  /** A named enum of the object's BTF as { NAME: value }; null if absent. */
  btfEnum(name: string): Record<string, number> | null;
  /** bpf_object__load. Throws with the verifier log in `log` on failure. */
  load(): void;
  /** bpf_program__attach (auto attach from the section name). Returns a link handle. */
  attach(program: string): number;
  /** bpf_program__attach_perf_event on an fd from perfEventOpen(). Returns a link handle. */
  attachPerfEvent(program: string, perfFd: number): number;
  /** bpf_link__destroy; idempotent for an already destroyed handle. */
  destroyLink(link: number): void;
  /** Program id and run-time statistics (bpf_obj_get_info_by_fd); only after load(). */
  progStats(program: string): NativeProgStats;
  /** Run a loaded program once with this context (BPF_PROG_TEST_RUN); its return value. */
  testRun(program: string, ctx: Buffer): number;
  /** bpf_map_lookup_elem; null on ENOENT. Per-CPU maps return nrCpus × round_up(valueSize, 8) bytes. */
  mapLookup(map: string, key: Buffer): Buffer | null;
  /** bpf_map_update_elem with flags (0 = BPF_ANY). */
  mapUpdate(map: string, key: Buffer, value: Buffer, flags?: number): void;
  /** bpf_map_delete_elem; false on ENOENT. */
  mapDelete(map: string, key: Buffer): boolean;
  /** Every entry of a map (batched lookup where the kernel supports it, else get_next_key + lookup). */
  mapDump(map: string): NativeMapDump;
  /** bpf_map_lookup_elem on a BPF_MAP_TYPE_STACK_TRACE map: the raw u64 addresses (zero entries trimmed); null on ENOENT. */
  stackLookup(map: string, stackId: number): BigUint64Array | null;
  /**
   * Consume a BPF_MAP_TYPE_RINGBUF map from the libuv loop: uv_poll on ring_buffer__epoll_fd,
   * ring_buffer__consume on readiness, onSample called once per record with a copy of its bytes.
   * The poll handle is unref'd so it does not keep the process alive by itself.
   */
  ringBuffer(map: string, onSample: (data: Buffer) => void): NativeRingBuffer;
  /** Destroy every link and ring buffer, then bpf_object__close; idempotent. */
  close(): void;
}

export interface PerfEventAttr {
  /** PERF_TYPE_* (1 = software, 0 = hardware). */
  type: number;
  /** PERF_COUNT_* within the type (software 0 = cpu-clock). */
  config: number;
  /** Sample frequency in Hz (sets attr.freq); exclusive with samplePeriod. */
  sampleFreq?: number;
  samplePeriod?: number;
  cpu: number;
  /** -1 for every process on that CPU. */
  pid: number;
}

export interface NativeAddon {
  /** bpf_object__open_file; touches no kernel state, needs no privileges. */
  BpfObject: new (path: string) => NativeObject;
  /**
   * Where libbpf's print callback goes: every message at or above `level` is appended
   * to an internal buffer; drainLog() returns and clears it.
   */
  setLogLevel(level: 'warn' | 'info' | 'debug'): void;
  drainLog(): string;
  /** bpf_enable_stats(BPF_STATS_RUN_TIME): stats are on while the returned fd is open. */
  enableStats(): number;
  /** close(2) */
  closeFd(fd: number): void;
  /**
   * Call onEvent on each priority event (POLLPRI) of fd, on the event loop; status < 0 is a
   * libuv error (the watch stops), events has 8 (priority) or 4 (disconnect). Does not keep
   * the process alive. Close the watch before closing the fd.
   */
  watchPriority(fd: number, onEvent: (status: number, events: number) => void): { close(): void };
  /** perf_event_open(2) with sample_type 0 and disabled = 0; returns the fd. */
  perfEventOpen(attr: PerfEventAttr): number;
  /** libbpf_num_possible_cpus */
  numPossibleCpus(): number;
  /** libbpf_probe_bpf_prog_type(type) > 0 */
  probeProgType(type: number): boolean;
  /** libbpf_probe_bpf_map_type(type) > 0 */
  probeMapType(type: number): boolean;
  /** Looks a struct member up in the running kernel's BTF (btf__load_vmlinux_btf, cached). */
  kernelHasField(struct: string, field: string): boolean;
  /** A named enum of the running kernel's BTF as { NAME: value }; null if absent. */
  kernelEnum(name: string): Record<string, number> | null;
  /** Whether the running kernel's BTF has a type of that kind ('struct', 'enum', 'func', 'typedef', …) and name. */
  kernelHasType(kind: string, name: string): boolean;
  /** Every named enum of a loaded module's BTF (/sys/kernel/btf/<module>) as { enum: { NAME: value } }; null if absent. */
  kernelModuleEnums(module: string): Record<string, Record<string, number>> | null;
  /** A tracepoint's arguments from its btf_trace_<name> prototype ({kind, name}, a pointer named by its pointee); null if absent. */
  kernelTracepointArgs(tracepoint: string): Array<{ kind: string; name: string }> | null;
  /** The libbpf version string, e.g. '1.1'. */
  libbpfVersion(): string;
}

let cached: NativeAddon | undefined;

/** Load the addon from native/build/Release; a missing build is a clear, fixable error. */
export function native(): NativeAddon {
  if (cached) return cached;
  const file = packagePath('native', 'build', 'Release', 'huatuo_native.node');
  if (!existsSync(file)) {
    throw new HuatuoError(`native addon not built (${file} is missing): run ./scripts/setup`, ExitCode.Runtime);
  }
  const require = createRequire(import.meta.url);
  try {
    cached = require(file) as NativeAddon;
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    const hint = /libbpf\.so/.test(msg) ? ' (install the libbpf1 package: apt-get install libbpf1)' : '';
    throw new HuatuoError(`cannot load native addon: ${msg}${hint}`, ExitCode.Runtime);
  }
  return cached;
}
