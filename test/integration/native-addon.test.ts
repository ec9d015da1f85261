// The native addon against the real kernel: open, inspect, load, attach, read maps,
// ring buffer and stacks, then close and check that nothing of the object remains.
// Needs root (BPF); skips otherwise, except under CI=true where a skip is a failure.
//
// Prerequisites: npx node-gyp rebuild --directory native && node scripts/build-bpf.mjs
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describeUnless } from '../helpers/env.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon, NativeObject, NativeErrorFields, NativeBtfType } from '../../src/bpf-loader/native.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const addonPath = join(root, 'native', 'build', 'Release', 'huatuo_native.node');
const fixture = join(root, 'build', 'bpf', 'loader_smoke.bpf.o');

// enum bpf_prog_type / bpf_map_type values used below.
const BPF_PROG_TYPE_TRACEPOINT = 5;
const BPF_PROG_TYPE_PERF_EVENT = 7;
const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
const BPF_MAP_TYPE_STACK_TRACE = 7;
const BPF_MAP_TYPE_RINGBUF = 27;
const BPF_NOEXIST = 1;

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'BPF needs Linux';
  if (process.getuid?.() !== 0) return 'loading BPF programs needs root';
  return undefined;
}

const reason = skipReason();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (on the event loop, so the ring buffer poll can run) until cond() holds. */
async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
}

/** Node calls getppid(2) on every read of process.ppid: that is what fires the program. */
function trigger(times: number): void {
  for (let i = 0; i < times; i++) void process.ppid;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** The error a call throws, for asserting on its fields. */
function thrown(fn: () => unknown): Error & Partial<NativeErrorFields> {
  try {
    fn();
  } catch (err) {
    return err as Error & NativeErrorFields;
  }
  throw new Error('expected the call to throw');
}

function liveProgIds(): Set<number> {
  const list = JSON.parse(execFileSync('bpftool', ['prog', 'list', '-j']).toString()) as { id: number }[];
  return new Set(list.map((p) => p.id));
}

const openFds = () => readdirSync('/proc/self/fd').length;

interface SmokeEvent {
  ts: bigint;
  pid: number;
  pad: number;
  comm: string;
  stackId: number;
}

// Decodes with the offsets btfStruct reports, as the TypeScript layer does.
function decoder(layout: NativeBtfType) {
  if (layout.kind !== 'struct') throw new Error('smoke_event is not a struct');
  const off = (name: string) => layout.members.find((m) => m.name === name)!.bitOffset / 8;
  return (b: Buffer): SmokeEvent => ({
    ts: b.readBigUInt64LE(off('ts')),
    pid: b.readUInt32LE(off('pid')),
    pad: b.readUInt32LE(off('pad')),
    comm: b.subarray(off('comm'), off('comm') + 16).toString('latin1').replace(/\0.*$/s, ''),
    stackId: Number(b.readBigInt64LE(off('stack_id'))),
  });
}

describeUnless(reason ?? null, 'native addon (libbpf binding)', () => {
  let addon: NativeAddon;
  let obj: NativeObject;
  let decode: (b: Buffer) => SmokeEvent;
  const progIds: number[] = [];

  beforeAll(() => {
    for (const [file, hint] of [
      [addonPath, 'npx node-gyp rebuild --directory native'],
      [fixture, 'node scripts/build-bpf.mjs'],
    ]) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run ${hint}`);
    }
    // Tracepoint attach goes through tracefs.
    const events = '/sys/kernel/tracing/events';
    if (!existsSync(events) || readdirSync(events).length === 0) {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
    }
    addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
    obj = new addon.BpfObject(fixture);
  });

  afterAll(() => {
    obj?.close();
  });

  it('has the free functions', () => {
    expect(addon.libbpfVersion()).toMatch(/^1\.\d+$/);
    expect(addon.numPossibleCpus()).toBeGreaterThanOrEqual(1);
    expect(addon.probeProgType(BPF_PROG_TYPE_TRACEPOINT)).toBe(true);
    expect(addon.probeMapType(BPF_MAP_TYPE_RINGBUF)).toBe(true);
    expect(addon.kernelHasField('task_struct', 'tgid')).toBe(true);
    expect(addon.kernelHasField('task_struct', 'no_such_field')).toBe(false);
    expect(addon.kernelHasField('no_such_struct', 'tgid')).toBe(false);
    expect(addon.kernelHasType('struct', 'task_struct')).toBe(true);
    expect(addon.kernelHasType('enum', 'bpf_map_type')).toBe(true);
    expect(addon.kernelHasType('union', 'task_struct')).toBe(false);
    expect(() => addon.kernelHasType('bogus', 'x')).toThrow(/unknown kind/);
  });

  it('opens without loading: programs, maps, name', () => {
    expect(obj.name).toBe('loader_smoke');
    const progs = obj.programs();
    expect(progs).toContainEqual({
      name: 'handle_getppid',
      section: 'tracepoint/syscalls/sys_enter_getppid',
      type: BPF_PROG_TYPE_TRACEPOINT,
      autoload: true,
    });
    expect(progs).toContainEqual(expect.objectContaining({ name: 'broken_prog', autoload: false }));
    expect(progs).toContainEqual(expect.objectContaining({ name: 'on_cpu_clock', type: BPF_PROG_TYPE_PERF_EVENT }));

    const maps = Object.fromEntries(obj.maps().map((m) => [m.name, m]));
    expect(maps.counts).toEqual({ name: 'counts', type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 128 });
    expect(maps.percpu_hits).toMatchObject({ type: BPF_MAP_TYPE_PERCPU_ARRAY, valueSize: 8, maxEntries: 1 });
    expect(maps.stacks).toMatchObject({ type: BPF_MAP_TYPE_STACK_TRACE, keySize: 4, valueSize: 127 * 8 });
    expect(maps.events).toMatchObject({ type: BPF_MAP_TYPE_RINGBUF, maxEntries: 64 * 1024 });
    // Internal maps are listed under their section name.
    expect(maps['.rodata']).toMatchObject({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, maxEntries: 1 });
    expect(maps['.bss']).toBeDefined();
  });

  it('reports data section variables with the offsets libbpf fixed up', () => {
    const rodata = obj.datasecVars('.rodata');
    expect(rodata).toEqual([
      { name: 'targ_tgid', offset: 0, size: 4 },
      { name: 'sample_flags', offset: 8, size: 8 },
    ]);
    expect(obj.datasecVars('.bss').map((v) => v.name).sort()).toEqual(['perf_hits', 'unused_event']);
    const err = thrown(() => obj.datasecVars('.data'));
    expect(err.message).toMatch(/'\.data'.*\.rodata/);
    expect(err.code).toBe('ENOENT');
  });

  it('gets and sets the initial value of .rodata', () => {
    const ro = obj.getInitialValue('.rodata');
    expect(ro.length).toBe(obj.maps().find((m) => m.name === '.rodata')!.valueSize);
    expect(ro.readUInt32LE(0)).toBe(0);
    expect(ro.readBigUInt64LE(8)).toBe(0xabcd1234n);
    ro.writeUInt32LE(process.pid, 0);
    obj.setInitialValue('.rodata', ro);
    expect(obj.getInitialValue('.rodata').readUInt32LE(0)).toBe(process.pid);
    expect(thrown(() => obj.setInitialValue('.rodata', Buffer.alloc(3))).syscall).toBe('bpf_map__set_initial_value');
    expect(thrown(() => obj.getInitialValue('counts')).message).toMatch(/no initial value/);
  });

  it('resolves a struct layout from the object BTF', () => {
    const layout = obj.btfStruct('smoke_event');
    expect(layout).not.toBeNull();
    if (layout?.kind !== 'struct') throw new Error('not a struct');
    expect(layout.size).toBe(40);
    expect(layout.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([
      ['ts', 0, 0],
      ['pid', 64, 0],
      ['pad', 96, 0],
      ['comm', 128, 0],
      ['stack_id', 256, 0],
    ]);
    // __u64 is a typedef chain down to an int.
    expect(layout.members[0].type).toMatchObject({ kind: 'int', size: 8, signed: false });
    expect(layout.members[3].type).toMatchObject({ kind: 'array', size: 16, nelems: 16, elem: { kind: 'int', size: 1 } });
    expect(layout.members[4].type).toMatchObject({ kind: 'int', size: 8, signed: true });
    expect(obj.btfStruct('no_such_struct')).toBeNull();
    decode = decoder(layout);
  });

  it('names what exists when asked for an unknown map or program', () => {
    const err = thrown(() => obj.mapLookup('nope', u32(0)));
    expect(err.message).toMatch(/no map 'nope'.*counts.*percpu_hits/);
    expect(err.code).toBe('ENOENT');
    expect(thrown(() => obj.attach('nope')).message).toMatch(/no program 'nope'.*handle_getppid/);
  });

  it('refuses map access before load', () => {
    expect(thrown(() => obj.mapLookup('counts', u32(0))).message).toMatch(/load\(\)/);
  });

  it('fails to load an invalid program with the verifier log', () => {
    const bad = new addon.BpfObject(fixture);
    try {
      bad.setAutoload('broken_prog', true);
      const err = thrown(() => bad.load());
      expect(err.message).toMatch(/^bpf_object__load: .+ \(E[A-Z]+\)/);
      expect(err.syscall).toBe('bpf_object__load');
      expect(err.errno).toBeGreaterThan(0);
      expect(err.code).toMatch(/^E[A-Z]+$/);
      expect(err.log).toContain('BEGIN PROG LOAD LOG');
      expect(err.log).toMatch(/invalid mem access/);
    } finally {
      bad.close();
    }
  });

  it('loads, attaches, and delivers ring buffer records', async () => {
    obj.load();
    expect(thrown(() => obj.setAutoload('handle_getppid', false)).code).toBe('EBUSY');
    const records: Buffer[] = [];
    const rb = obj.ringBuffer('events', (data) => records.push(data));
    const link = obj.attach('handle_getppid');
    expect(link).toBeGreaterThan(0);

    trigger(5);
    await waitFor(() => records.length >= 5);
    expect(records).toHaveLength(5);
    const events = records.map(decode);
    for (const e of events) {
      expect(e.pid).toBe(process.pid);
      expect(e.pad).toBe(0xabcd1234);
      expect(e.comm.length).toBeGreaterThan(0);
      expect(e.ts).toBeGreaterThan(0n);
    }

    // The stack of the first record.
    expect(events[0].stackId).toBeGreaterThanOrEqual(0);
    const stack = obj.stackLookup('stacks', events[0].stackId);
    expect(stack).toBeInstanceOf(BigUint64Array);
    expect(stack!.length).toBeGreaterThan(0);
    expect(stack![stack!.length - 1]).not.toBe(0n);
    expect(stack!.every((ip) => ip >= 0xffff800000000000n)).toBe(true); // kernel addresses
    expect(obj.stackLookup('stacks', 255)).toBeNull();

    // Counts: hash map by tgid, per-CPU array summed over CPUs.
    expect(obj.mapLookup('counts', u32(process.pid))!.readBigUInt64LE(0)).toBe(5n);
    const dump = obj.mapDump('counts');
    expect(dump.count).toBe(1);
    expect(dump.keys.readUInt32LE(0)).toBe(process.pid);
    expect(dump.values.readBigUInt64LE(0)).toBe(5n);
    const cpus = addon.numPossibleCpus();
    const percpu = obj.mapLookup('percpu_hits', u32(0))!;
    expect(percpu.length).toBe(cpus * 8);
    let sum = 0n;
    for (let i = 0; i < cpus; i++) sum += percpu.readBigUInt64LE(i * 8);
    expect(sum).toBe(5n);
    const percpuDump = obj.mapDump('percpu_hits');
    expect(percpuDump.count).toBe(1);
    expect(percpuDump.values.equals(percpu)).toBe(true);

    rb.close();
    rb.close();
    trigger(2);
    // Nothing may arrive after close: give the loop a few poll turns to prove a negative.
    await sleep(30);
    expect(records).toHaveLength(5);

    obj.destroyLink(link);
    obj.destroyLink(link);
    expect(() => obj.destroyLink(999)).toThrow(RangeError);
    trigger(3);
    expect(obj.mapLookup('counts', u32(process.pid))!.readBigUInt64LE(0)).toBe(7n);
  });

  it('updates, deletes and dumps map entries', () => {
    const key = u32(0xfffffff0);
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(42n);
    expect(obj.mapLookup('counts', key)).toBeNull();
    obj.mapUpdate('counts', key, value);
    expect(obj.mapLookup('counts', key)).toEqual(value);
    const err = thrown(() => obj.mapUpdate('counts', key, value, BPF_NOEXIST));
    expect(err).toMatchObject({ errno: 17, code: 'EEXIST', syscall: 'bpf_map_update_elem' });
    expect(err.message).toMatch(/^bpf_map_update_elem: File exists \(EEXIST\)/);
    expect(obj.mapDump('counts').count).toBe(2);
    expect(obj.mapDelete('counts', key)).toBe(true);
    expect(obj.mapDelete('counts', key)).toBe(false);
    expect(() => obj.mapLookup('counts', Buffer.alloc(3))).toThrow(RangeError);

    // A larger hash map: the batched dump must return every entry exactly once.
    for (let i = 1; i <= 100; i++) obj.mapUpdate('counts', u32(0x10000 + i), value);
    const dump = obj.mapDump('counts');
    const keys = new Set<number>();
    for (let i = 0; i < dump.count; i++) keys.add(dump.keys.readUInt32LE(i * 4));
    expect(keys.size).toBe(dump.count);
    for (let i = 1; i <= 100; i++) expect(keys.has(0x10000 + i)).toBe(true);
    for (let i = 1; i <= 100; i++) obj.mapDelete('counts', u32(0x10000 + i));
  });

  it('reports program run statistics while stats are enabled', () => {
    const link = obj.attach('handle_getppid');
    const statsFd = addon.enableStats();
    try {
      trigger(10);
      const stats = obj.progStats('handle_getppid');
      expect(stats.id).toBeGreaterThan(0);
      expect(stats.runCnt).toBeGreaterThan(0);
      expect(stats.runTimeNs).toBeGreaterThan(0);
      expect(stats.recursionMisses).toBe(0);
      progIds.push(stats.id, obj.progStats('on_cpu_clock').id);
    } finally {
      addon.closeFd(statsFd);
      obj.destroyLink(link);
    }
    expect(thrown(() => obj.progStats('broken_prog')).message).toMatch(/not loaded/);
  });

  it('attaches to a perf event', async () => {
    const fd = addon.perfEventOpen({ type: 1 /* software */, config: 0 /* cpu-clock */, sampleFreq: 1000, cpu: 0, pid: -1 });
    expect(fd).toBeGreaterThan(0);
    const link = obj.attachPerfEvent('on_cpu_clock', fd); // the link owns fd now
    // .bss is read through the map: libbpf 1.1 keeps getInitialValue on the pre-load image.
    const ticks = () => obj.mapLookup('.bss', u32(0))!.readBigUInt64LE(0);
    await waitFor(() => ticks() > 0n);
    obj.destroyLink(link);
    expect(ticks()).toBeGreaterThan(0n);
  });

  it('buffers libbpf messages at the chosen level', () => {
    addon.drainLog();
    addon.setLogLevel('debug');
    try {
      new addon.BpfObject(fixture).close();
    } finally {
      addon.setLogLevel('warn');
    }
    expect(addon.drainLog()).toMatch(/^libbpf: /m);
    expect(addon.drainLog()).toBe('');
    new addon.BpfObject(fixture).close();
    expect(addon.drainLog()).toBe('');
    expect(() => addon.setLogLevel('loud' as 'warn')).toThrow(TypeError);
  });

  it('survives a closing or throwing ring buffer callback', async () => {
    const o = new addon.BpfObject(fixture);
    try {
      const ro = o.getInitialValue('.rodata');
      ro.writeUInt32LE(process.pid, 0);
      o.setInitialValue('.rodata', ro);
      o.load();
      o.attach('handle_getppid');
      let seen = 0;
      // Closing the whole object from inside its own callback frees the ring buffer
      // only after libbpf's consume loop has returned.
      o.ringBuffer('events', () => {
        seen++;
        o.close();
      });
      trigger(3);
      await waitFor(() => seen > 0);
      await sleep(20);
      expect(seen).toBe(1);
      expect(() => o.programs()).toThrow(/closed/);
    } finally {
      o.close();
    }

    // An exception from the callback becomes an uncaught exception, as from any
    // event callback; polling goes on. Run in a child, where that is observable.
    const script = `
      const addon = require(${JSON.stringify(addonPath)});
      const o = new addon.BpfObject(${JSON.stringify(fixture)});
      const ro = o.getInitialValue('.rodata');
      ro.writeUInt32LE(process.pid, 0);
      o.setInitialValue('.rodata', ro);
      o.load();
      o.attach('handle_getppid');
      let calls = 0, caught = 0;
      process.on('uncaughtException', (e) => { if (e.message === 'boom') caught++; });
      o.ringBuffer('events', () => { calls++; throw new Error('boom'); });
      for (let i = 0; i < 3; i++) process.ppid;
      const t = setInterval(() => {}, 1000);
      setTimeout(() => { clearInterval(t); o.close(); console.log(JSON.stringify({ calls, caught })); }, 300);
    `;
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toEqual({ calls: 3, caught: 3 });
  });

  it('closes: no program remains, every use throws, close is idempotent', () => {
    expect(progIds.length).toBe(2);
    const before = liveProgIds();
    for (const id of progIds) expect(before.has(id)).toBe(true);
    obj.close();
    obj.close();
    const after = liveProgIds();
    for (const id of progIds) expect(after.has(id)).toBe(false);
    expect(obj.name).toBe('loader_smoke');
    const err = thrown(() => obj.maps());
    expect(err.message).toMatch(/'loader_smoke' is closed/);
    expect(() => obj.load()).toThrow(/closed/);
  });

  it('leaks no fds over 50 open/load/attach/close cycles', async () => {
    const cycle = () => {
      const o = new addon.BpfObject(fixture);
      o.load();
      o.attach('handle_getppid');
      o.attachPerfEvent('on_cpu_clock', addon.perfEventOpen({ type: 1, config: 0, samplePeriod: 1_000_000, cpu: 0, pid: -1 }));
      o.ringBuffer('events', () => {});
      o.close();
    };
    cycle(); // first-use allocations (vmlinux BTF, feature probes) are not leaks
    await sleep(0); // one turn of the loop: the first cycle's uv_close callbacks
    const fds = openFds();
    for (let i = 0; i < 50; i++) cycle();
    // Ring buffer fds close in uv_close callbacks, a loop turn or two later.
    await waitFor(() => openFds() <= fds);
    expect(openFds()).toBe(fds);
  });

  it('releases the kernel state of objects that are garbage collected unclosed', () => {
    // Needs --expose-gc: in a child.
    const script = `
      const { readdirSync } = require('node:fs');
      const addon = require(${JSON.stringify(addonPath)});
      const fds = () => readdirSync('/proc/self/fd').length;
      (() => { const o = new addon.BpfObject(${JSON.stringify(fixture)}); o.load(); o.close(); })();
      const before = fds();
      const ids = [];
      (() => {
        for (let i = 0; i < 10; i++) {
          const o = new addon.BpfObject(${JSON.stringify(fixture)});
          o.load();
          o.attach('handle_getppid');
          o.ringBuffer('events', () => {});
          ids.push(o.progStats('handle_getppid').id);
        }
      })();
      const during = fds();
      let rounds = 0;
      const tick = () => {
        global.gc();
        if (fds() > before && ++rounds < 50) return setTimeout(tick, 10);
        console.log(JSON.stringify({ before, during, after: fds(), ids }));
      };
      tick();
    `;
    const res = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(res.stderr).toBe('');
    const out = JSON.parse(res.stdout) as { before: number; during: number; after: number; ids: number[] };
    expect(out.during).toBeGreaterThan(out.before);
    expect(out.after).toBe(out.before);
    const live = liveProgIds();
    for (const id of out.ids) expect(live.has(id)).toBe(false);
  });
});
