// What autotrace watches, read once per interval: host CPU shares, run queue and D-state
// tasks, pressure (PSI, as the share of the last interval stalled: more prompt than avg10),
// memory, disks, packet drops, and each container's CPU. Rates are between two reads, so the
// first read gives no values. A source the machine lacks is reported once by unavailable()
// and gives no value, never a zero.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { cpuShares, diskLoad, parseCpuacctV1, parseCpuStatV2, parseDiskstats, parseDrops, parseMeminfo, parsePressure, parseProcStat, type CgroupCpu, type DiskStat, type ProcStat } from './procfs.js';
import type { SignalFrame } from './rules.js';
import { CgroupHier, cgroupDir, type CgroupMount } from '../containers/cgroup.js';
import type { ContainerInfo } from '../containers/resolver.js';

export interface SignalInfo {
  name: string;
  unit: '%' | 'tasks' | 'ms' | 'ratio' | '/s';
  what: string;
}

export const PSI_RESOURCES = ['cpu', 'memory', 'io', 'irq'] as const;

/** Every signal, host and per container: `huatuo autotrace --signals`, and --on's names. */
export const SIGNALS: SignalInfo[] = [
  { name: 'cpu.user', unit: '%', what: 'user (and nice) time, of all CPUs' },
  { name: 'cpu.sys', unit: '%', what: 'system time, of all CPUs' },
  { name: 'cpu.iowait', unit: '%', what: 'idle with I/O outstanding, of all CPUs' },
  { name: 'cpu.softirq', unit: '%', what: 'softirq time, of all CPUs' },
  { name: 'cpu.irq', unit: '%', what: 'hardirq time, of all CPUs' },
  { name: 'load.running', unit: 'tasks', what: 'runnable tasks now (procs_running)' },
  { name: 'load.dstate', unit: 'tasks', what: 'tasks in uninterruptible sleep now (procs_blocked)' },
  { name: 'load.dstate_ema', unit: 'tasks', what: 'D-state tasks, averaged over a minute (as loadavg)' },
  ...PSI_RESOURCES.flatMap((r) => (['some', 'full'] as const).map((k): SignalInfo => ({ name: `psi.${r}.${k}`, unit: '%', what: `${r} pressure, ${k}: share of the interval stalled` }))),
  { name: 'mem.available_pct', unit: '%', what: 'MemAvailable of MemTotal' },
  { name: 'mem.anon_pct', unit: '%', what: 'anonymous memory (AnonPages) of MemTotal' },
  { name: 'mem.anon_growth', unit: 'ratio', what: 'AnonPages now against 10 minutes ago (or the first read, before that)' },
  { name: 'disk.util', unit: '%', what: 'the busiest disk\'s share of the interval busy' },
  { name: 'disk.await_ms', unit: 'ms', what: 'mean time per I/O on that disk' },
  { name: 'net.drops', unit: '/s', what: 'packets dropped: softnet backlog, IP discards, UDP receive errors' },
  { name: 'container.cpu', unit: '%', what: 'a container\'s CPU time, of its CPU limit (of all CPUs without one)' },
  { name: 'container.sys', unit: '%', what: 'its system time, of the same' },
  { name: 'container.throttled', unit: '%', what: 'its share of the interval throttled by its quota' },
];

export const SIGNAL_NAMES: ReadonlySet<string> = new Set(SIGNALS.map((s) => s.name));

const ANON_LOOKBACK_MS = 600_000;
const DSTATE_TAU_S = 60;

interface ContainerRead {
  at: number;
  cpu: CgroupCpu;
}

export class SignalReader {
  private stat?: { at: number; v: ProcStat };
  private psi = new Map<string, { at: number; us: number }>();
  private disks?: { at: number; v: DiskStat[] };
  private drops?: { at: number; v: number };
  private anon: Array<{ at: number; kb: number }> = [];
  private dstateEma: number | undefined;
  private containersRead = new Map<string, ContainerRead>();
  private readonly missing = new Set<string>();
  private readonly newlyMissing: string[] = [];
  private readonly ncpu = cpus().length;

  constructor(private readonly hostRoot = '', private readonly mounts: CgroupMount[] = []) {}

  /** Sources found missing since the last call, each once: "psi.irq: /proc/pressure/irq is absent". */
  unavailable(): string[] {
    return this.newlyMissing.splice(0);
  }

  private file(path: string, what: string): string | undefined {
    try {
      return readFileSync(this.hostRoot + path, 'utf8');
    } catch (e) {
      if (!this.missing.has(what)) {
        this.missing.add(what);
        this.newlyMissing.push(`${what}: ${path} ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is absent' : `cannot be read (${(e as NodeJS.ErrnoException).code})`}`);
      }
      return undefined;
    }
  }

  /** One sample of every host signal, and of each container given. */
  read(at: number, containers: ContainerInfo[] = []): SignalFrame {
    const host = new Map<string, number>();
    this.readStat(at, host);
    for (const r of PSI_RESOURCES) this.readPsi(at, r, host);
    this.readMemory(at, host);
    this.readDisks(at, host);
    this.readDrops(at, host);
    const out = new Map<string, Map<string, number>>();
    const seen = new Set<string>();
    for (const c of containers) {
      if (c.type === 'sandbox' || c.exited) continue;
      const key = containerKey(c);
      seen.add(key);
      const v = this.readContainer(at, key, c);
      if (v) out.set(key, v);
    }
    for (const k of this.containersRead.keys()) if (!seen.has(k)) this.containersRead.delete(k);
    return { at, host, containers: out };
  }

  private readStat(at: number, host: Map<string, number>): void {
    const text = this.file('/proc/stat', 'cpu');
    if (!text) return;
    const v = parseProcStat(text);
    host.set('load.running', v.running);
    host.set('load.dstate', v.blocked);
    const prev = this.stat;
    this.stat = { at, v };
    const dt = prev ? (at - prev.at) / 1000 : 0;
    this.dstateEma = this.dstateEma === undefined ? v.blocked : this.dstateEma + (v.blocked - this.dstateEma) * (1 - Math.exp(-dt / DSTATE_TAU_S));
    host.set('load.dstate_ema', this.dstateEma);
    const s = prev ? cpuShares(prev.v, v) : null;
    if (!s) return;
    host.set('cpu.user', s.user);
    host.set('cpu.sys', s.sys);
    host.set('cpu.iowait', s.iowait);
    host.set('cpu.softirq', s.softirq);
    host.set('cpu.irq', s.irq);
  }

  private readPsi(at: number, resource: string, host: Map<string, number>): void {
    const text = this.file(`/proc/pressure/${resource}`, `psi.${resource}`);
    if (!text) return;
    const p = parsePressure(text);
    for (const [kind, line] of [['some', p.some], ['full', p.full]] as const) {
      if (!line) continue;
      const key = `psi.${resource}.${kind}`;
      const prev = this.psi.get(key);
      this.psi.set(key, { at, us: line.totalUs });
      if (prev && at > prev.at) host.set(key, Math.min(100, Math.max(0, (line.totalUs - prev.us) / ((at - prev.at) * 10))));
    }
  }

  private readMemory(at: number, host: Map<string, number>): void {
    const text = this.file('/proc/meminfo', 'mem');
    if (!text) return;
    const m = parseMeminfo(text);
    const total = m.get('MemTotal');
    if (!total) return;
    const avail = m.get('MemAvailable');
    if (avail !== undefined) host.set('mem.available_pct', (100 * avail) / total);
    const anon = m.get('AnonPages');
    if (anon === undefined) return;
    host.set('mem.anon_pct', (100 * anon) / total);
    this.anon.push({ at, kb: anon });
    while (this.anon.length > 1 && this.anon[1].at <= at - ANON_LOOKBACK_MS) this.anon.shift();
    if (this.anon[0].kb > 0) host.set('mem.anon_growth', anon / this.anon[0].kb);
  }

  private readDisks(at: number, host: Map<string, number>): void {
    const text = this.file('/proc/diskstats', 'disk');
    if (!text) return;
    const v = parseDiskstats(text);
    const prev = this.disks;
    this.disks = { at, v };
    const load = prev && at > prev.at ? diskLoad(prev.v, v, at - prev.at) : null;
    if (!load) return;
    host.set('disk.util', load.util);
    host.set('disk.await_ms', load.awaitMs);
  }

  private readDrops(at: number, host: Map<string, number>): void {
    const snmp = this.file('/proc/net/snmp', 'net');
    const softnet = this.file('/proc/net/softnet_stat', 'net.softnet');
    if (snmp === undefined) return;
    const v = parseDrops(snmp, softnet ?? '');
    const prev = this.drops;
    this.drops = { at, v };
    if (prev && at > prev.at) host.set('net.drops', Math.max(0, ((v - prev.v) * 1000) / (at - prev.at)));
  }

  private readContainer(at: number, key: string, c: ContainerInfo): Map<string, number> | undefined {
    const read = this.containerCpu(c);
    if (!read) return undefined;
    const prev = this.containersRead.get(key);
    this.containersRead.set(key, { at, cpu: read.cpu });
    if (!prev || at <= prev.at) return undefined;
    const us = (at - prev.at) * 1000;
    const cores = read.limitCores ?? this.ncpu;
    const pct = (d: number) => (100 * Math.max(0, d)) / (us * cores);
    return new Map([
      ['container.cpu', pct(read.cpu.usageUs - prev.cpu.usageUs)],
      ['container.sys', pct(read.cpu.systemUs - prev.cpu.systemUs)],
      ['container.throttled', Math.min(100, (100 * Math.max(0, read.cpu.throttledUs - prev.cpu.throttledUs)) / us)],
    ]);
  }

  /** The container's CPU time from v2's cpu.stat, else v1's cpuacct; its quota in cores, if any. */
  private containerCpu(c: ContainerInfo): { cpu: CgroupCpu; limitCores?: number } | undefined {
    const at = (hier: CgroupHier) => {
      const cg = c.cgroups.find((x) => x.hier === hier);
      const mount = this.mounts.find((m) => m.hier === hier);
      return cg && mount ? cgroupDir(mount, cg.path) : undefined;
    };
    const v2 = at(CgroupHier.V2);
    const v1 = at(CgroupHier.V1Cpu);
    const text = (dir: string | undefined, f: string) => {
      if (!dir) return undefined;
      try {
        return readFileSync(join(dir, f), 'utf8');
      } catch {
        return undefined;
      }
    };
    let cpu: CgroupCpu | undefined;
    const v2stat = text(v2, 'cpu.stat');
    if (v2stat && /usage_usec/.test(v2stat)) cpu = parseCpuStatV2(v2stat);
    const v1stat = text(v1, 'cpu.stat') ?? '';
    if (!cpu && v1) {
      // cpuacct beside cpu (cpu,cpuacct), or in its own hierarchy under the same path.
      const acct = [v1, v1.replace(/\/cpu(,cpuacct)?(\/|$)/, '/cpuacct$2')].find((d) => existsSync(join(d, 'cpuacct.usage')));
      const usage = text(acct, 'cpuacct.usage');
      if (usage !== undefined) cpu = parseCpuacctV1(usage, text(acct, 'cpuacct.stat') ?? '', v1stat);
    } else if (cpu && v1stat && !cpu.throttledUs) {
      const t = parseCpuacctV1('0', '', v1stat);
      cpu = { ...cpu, throttledPeriods: t.throttledPeriods, throttledUs: t.throttledUs };
    }
    if (!cpu) return undefined;
    return { cpu, limitCores: quotaCores(text(v2, 'cpu.max'), text(v1, 'cpu.cfs_quota_us'), text(v1, 'cpu.cfs_period_us')) };
  }
}

/** namespace/pod/container, as triggers and captures name it. */
export function containerKey(c: ContainerInfo): string {
  return `${c.namespace ?? '-'}/${c.pod ?? '-'}/${c.name ?? c.id.slice(0, 12)}`;
}

/** A CPU quota in cores: v2 `cpu.max` ("max 100000" for none), or v1's quota and period (-1 for none). */
export function quotaCores(cpuMax?: string, quotaUs?: string, periodUs?: string): number | undefined {
  const m = cpuMax ? /^(\d+)\s+(\d+)/.exec(cpuMax.trim()) : null;
  if (m) return Number(m[1]) / Number(m[2]);
  const q = Number(quotaUs?.trim());
  const p = Number(periodUs?.trim());
  return q > 0 && p > 0 ? q / p : undefined;
}
