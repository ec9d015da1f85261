// The typed face of a BPF object: open → setRodata/fill maps → load → attach → read → close.
// One owner per object; close() is idempotent and registered with the process lifetime
// (src/bpf-loader/lifetime.ts) so links are destroyed on every exit path.
import { existsSync } from 'node:fs';
import { native, type NativeObject, type NativeErrorFields, type NativeProgStats } from './native.js';
import { StructLayout, writeScalar } from './layout.js';
import { HuatuoError, ExitCode } from '../errors.js';
import { bpfObjectPath } from '../paths.js';
import { logDebug, isVerbose } from '../log.js';
import { track, untrack } from './lifetime.js';

export type RodataValue = number | bigint | boolean | string | Uint8Array;

type State = 'opened' | 'loaded' | 'closed';

function isNativeError(e: unknown): e is Error & NativeErrorFields {
  return e instanceof Error && typeof (e as Partial<NativeErrorFields>).errno === 'number';
}

/** Ask libbpf for everything it said; shown on stderr with --verbose. */
function flushLibbpfLog(): void {
  const text = native().drainLog();
  if (text && isVerbose()) for (const line of text.trimEnd().split('\n')) logDebug(`libbpf: ${line}`);
}

export class BpfObject {
  readonly tool: string;
  readonly path: string;
  private readonly obj: NativeObject;
  private state: State = 'opened';
  private readonly links = new Map<string, number[]>();

  private constructor(tool: string, path: string, obj: NativeObject) {
    this.tool = tool;
    this.path = path;
    this.obj = obj;
    track(this);
  }

  /** Open build/bpf/<tool>.bpf.o (no kernel access yet). */
  static open(tool: string, path = bpfObjectPath(tool)): BpfObject {
    if (!existsSync(path)) {
      throw new HuatuoError(`BPF object ${path} is missing: run ./scripts/setup`, ExitCode.Runtime);
    }
    native().setLogLevel(isVerbose() ? 'debug' : 'warn');
    try {
      return new BpfObject(tool, path, new (native().BpfObject)(path));
    } catch (e) {
      throw new HuatuoError(`cannot open ${path}: ${(e as Error).message}`, ExitCode.BpfLoad);
    } finally {
      flushLibbpfLog();
    }
  }

  private need(state: State, what: string): void {
    if (this.state !== state) throw new Error(`${what} needs a ${state} object, this one is ${this.state}`);
  }

  programNames(): string[] {
    return this.obj.programs().map((p) => p.name);
  }

  /** Load only these programs (the rest keep autoload off). */
  selectPrograms(names: readonly string[]): void {
    this.need('opened', 'selectPrograms');
    const all = this.programNames();
    for (const n of names) if (!all.includes(n)) throw new Error(`${this.tool}: no program ${n} (has ${all.join(', ')})`);
    for (const n of all) this.obj.setAutoload(n, names.includes(n));
  }

  setMaxEntries(map: string, n: number): void {
    this.need('opened', 'setMaxEntries');
    this.obj.setMaxEntries(map, n);
  }

  /** Set `const volatile` settings; an unknown name is a bug and throws. */
  setRodata(values: Record<string, RodataValue | undefined>): void {
    this.need('opened', 'setRodata');
    const vars = this.obj.datasecVars('.rodata');
    const buf = this.obj.getInitialValue('.rodata');
    for (const [name, v] of Object.entries(values)) {
      if (v === undefined) continue;
      const info = vars.find((x) => x.name === name);
      if (!info) throw new Error(`${this.tool}: no rodata variable ${name}`);
      writeScalar(buf, info, v);
    }
    this.obj.setInitialValue('.rodata', buf);
  }

  /**
   * The values of a C enum of the object's BTF, by name with a prefix taken off
   * (`enumValues('task_key_by', 'TASK_KEY_BY_')` → { COMM: 0, PID: 1, … }), so that C
   * constants are never restated in TypeScript. Each name in `expect` must be there.
   */
  enumValues<K extends string>(name: string, prefix = '', expect: readonly K[] = []): Record<K, number> & Record<string, number> {
    const e = this.obj.btfEnum(name);
    if (!e) throw new Error(`${this.tool}: no enum ${name} in the object's BTF (is it anchored? see bpf/common.h)`);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(e)) out[k.startsWith(prefix) ? k.slice(prefix.length) : k] = v;
    const missing = expect.filter((k) => !(k in out));
    if (missing.length) throw new Error(`${this.tool}: enum ${name} lacks ${missing.map((m) => prefix + m).join(', ')}`);
    return out as Record<K, number> & Record<string, number>;
  }

  /** A struct of the object's BTF, as a decoder. */
  struct<T = Record<string, unknown>>(name: string): StructLayout<T> {
    const t = this.obj.btfStruct(name);
    if (!t) throw new Error(`${this.tool}: no struct ${name} in the object's BTF`);
    return new StructLayout<T>(t);
  }

  load(): void {
    this.need('opened', 'load');
    try {
      this.obj.load();
      this.state = 'loaded';
    } catch (e) {
      const log = isNativeError(e) ? e.log : undefined;
      const tail = log ? log.trimEnd().split('\n').slice(-12).join('\n') : undefined;
      const hint = isNativeError(e) && (e.code === 'EPERM' || e.code === 'EACCES') && !log?.includes('BEGIN PROG LOAD LOG')
        ? ' (needs root, or CAP_BPF + CAP_PERFMON)'
        : ' (run with -v for the verifier log)';
      throw new HuatuoError(`${this.tool}: loading the BPF object failed: ${(e as Error).message}${hint}`, ExitCode.BpfLoad, isVerbose() ? log : tail);
    } finally {
      flushLibbpfLog();
    }
  }

  /** Attach programs by name (auto attach from their section). */
  attach(programs: readonly string[]): void {
    this.need('loaded', 'attach');
    for (const p of programs) {
      try {
        const link = this.obj.attach(p);
        this.links.set(p, [...(this.links.get(p) ?? []), link]);
      } catch (e) {
        throw new HuatuoError(`${this.tool}: attaching ${p} failed: ${(e as Error).message}`, ExitCode.Unsupported);
      } finally {
        flushLibbpfLog();
      }
    }
  }

  attachPerfEvent(program: string, fd: number): void {
    this.need('loaded', 'attachPerfEvent');
    const link = this.obj.attachPerfEvent(program, fd);
    this.links.set(program, [...(this.links.get(program) ?? []), link]);
  }

  /**
   * Destroy every link, keeping the maps: what was counted can then be read as one
   * consistent snapshot (nothing adds to one map between reading it and the next).
   */
  detach(): void {
    if (this.state !== 'loaded') return;
    try {
      for (const links of this.links.values()) for (const l of links) this.obj.destroyLink(l);
    } finally {
      this.links.clear();
    }
  }

  attachedPrograms(): string[] {
    return [...this.links.keys()];
  }

  progStats(program: string): NativeProgStats {
    this.need('loaded', 'progStats');
    return this.obj.progStats(program);
  }

  /** Run a loaded raw_tp program once in this thread with these u64 arguments (tests drive programs so). */
  testRun(program: string, args: Array<number | bigint>): number {
    this.need('loaded', 'testRun');
    const ctx = Buffer.alloc(args.length * 8);
    args.forEach((a, i) => ctx.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), i * 8));
    return this.obj.testRun(program, ctx);
  }

  mapUpdate(map: string, key: Buffer, value: Buffer): void {
    this.obj.mapUpdate(map, key, value, 0);
  }

  mapLookup(map: string, key: Buffer): Buffer | null {
    return this.obj.mapLookup(map, key);
  }

  /** Delete an entry; false when there was none. */
  mapDelete(map: string, key: Buffer): boolean {
    return this.obj.mapDelete(map, key);
  }

  /** Every entry: keys and values as slices of two buffers. */
  mapEntries(map: string): Array<{ key: Buffer; value: Buffer }> {
    const info = this.obj.maps().find((m) => m.name === map);
    if (!info) throw new Error(`${this.tool}: no map ${map}`);
    const d = this.obj.mapDump(map);
    if (d.count === 0) return [];
    const vsize = d.values.length / d.count;
    const out: Array<{ key: Buffer; value: Buffer }> = [];
    for (let i = 0; i < d.count; i++) {
      out.push({
        key: d.keys.subarray(i * info.keySize, (i + 1) * info.keySize),
        value: d.values.subarray(i * vsize, (i + 1) * vsize),
      });
    }
    return out;
  }

  /** Sum of a per-CPU array of u64 counters, one number per index. */
  perCpuCounters(map: string, n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(i);
      const v = this.obj.mapLookup(map, key);
      let sum = 0;
      if (v) for (let o = 0; o + 8 <= v.length; o += 8) sum += v.readUInt32LE(o) + v.readUInt32LE(o + 4) * 0x100000000;
      out.push(sum);
    }
    return out;
  }

  stackLookup(map: string, id: number): BigUint64Array | null {
    return this.obj.stackLookup(map, id);
  }

  /** Decode each ring-buffer record with a BTF struct and hand it to onEvent. */
  ringBuffer<T>(map: string, layout: StructLayout<T>, onEvent: (e: T, raw: Buffer) => void): void {
    this.need('loaded', 'ringBuffer');
    this.obj.ringBuffer(map, (data) => onEvent(layout.decode(data), data));
  }

  /** Detach everything and free the object; safe to call any number of times. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    untrack(this);
    try {
      this.obj.close();
    } finally {
      this.links.clear();
    }
  }
}
