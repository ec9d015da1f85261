// The kernel's own counters that autotrace watches, parsed from their text: /proc/stat,
// /proc/pressure/*, /proc/meminfo, /proc/diskstats, /proc/net/snmp, /proc/net/softnet_stat,
// and a cgroup's cpu.stat (v2) or cpuacct files (v1). Pure functions of the text, so every
// parser is tested on fixture files; reading and rates are signals.ts's.

/** /proc/stat's aggregate cpu line, in USER_HZ ticks, plus the run queue and D-state counts. */
export interface ProcStat {
  cpu: { user: number; nice: number; system: number; idle: number; iowait: number; irq: number; softirq: number; steal: number };
  /** Runnable tasks now (procs_running) and tasks in uninterruptible sleep (procs_blocked). */
  running: number;
  blocked: number;
}

export function parseProcStat(text: string): ProcStat {
  const line = /^cpu\s+(.*)$/m.exec(text);
  if (!line) throw new Error('/proc/stat: no aggregate cpu line');
  const v = line[1].trim().split(/\s+/).map(Number);
  const n = (i: number) => (Number.isFinite(v[i]) ? v[i] : 0);
  const num = (key: string) => Number(new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    cpu: { user: n(0), nice: n(1), system: n(2), idle: n(3), iowait: n(4), irq: n(5), softirq: n(6), steal: n(7) },
    running: num('procs_running'),
    blocked: num('procs_blocked'),
  };
}

/** Shares of CPU time between two /proc/stat reads, in percent of all CPUs. */
export interface CpuShares {
  user: number;
  sys: number;
  iowait: number;
  softirq: number;
  irq: number;
  idle: number;
}

export function cpuShares(a: ProcStat, b: ProcStat): CpuShares | null {
  const d = (k: keyof ProcStat['cpu']) => Math.max(0, b.cpu[k] - a.cpu[k]);
  const keys = Object.keys(a.cpu) as Array<keyof ProcStat['cpu']>;
  const total = keys.reduce((s, k) => s + d(k), 0);
  if (total <= 0) return null;
  const pct = (x: number) => (100 * x) / total;
  return { user: pct(d('user') + d('nice')), sys: pct(d('system')), iowait: pct(d('iowait')), softirq: pct(d('softirq')), irq: pct(d('irq')), idle: pct(d('idle')) };
}

/** One line of a pressure file: the averages (percent) and the total stall (µs). */
export interface Pressure {
  avg10: number;
  avg60: number;
  avg300: number;
  totalUs: number;
}

/** A pressure file (/proc/pressure/io, a cgroup's io.pressure): `some`, and `full` where the kernel has it. */
export function parsePressure(text: string): { some: Pressure; full?: Pressure } {
  const line = (kind: string): Pressure | undefined => {
    const m = new RegExp(`^${kind} avg10=([\\d.]+) avg60=([\\d.]+) avg300=([\\d.]+) total=(\\d+)`, 'm').exec(text);
    return m ? { avg10: Number(m[1]), avg60: Number(m[2]), avg300: Number(m[3]), totalUs: Number(m[4]) } : undefined;
  };
  const some = line('some');
  if (!some) throw new Error('pressure file: no "some" line');
  const full = line('full');
  return full ? { some, full } : { some };
}

/** /proc/meminfo in kB, by field name. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^([A-Za-z0-9_()]+):\s+(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

/** One block device's /proc/diskstats counters that utilisation and await need. */
export interface DiskStat {
  name: string;
  /** Reads and writes completed, and ms spent on them. */
  ios: number;
  ioMs: number;
  /** ms the device had I/O in flight (field 13: io_ticks). */
  busyMs: number;
}

/**
 * Whole disks only (partitions, loop and ram devices, device-mapper holders are left out:
 * their time is counted again on the disk under them, or is not a disk's).
 */
export function parseDiskstats(text: string): DiskStat[] {
  const out: DiskStat[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const name = f[2];
    if (/^(loop|ram|zram|dm-|md|sr)\d*/.test(name) || isPartition(name)) continue;
    const n = (i: number) => Number(f[i]) || 0;
    out.push({ name, ios: n(3) + n(7), ioMs: n(6) + n(10), busyMs: n(12) });
  }
  return out;
}

/** sda1, vda2, nvme0n1p1, mmcblk0p1 are partitions; sda, nvme0n1 are disks. */
function isPartition(name: string): boolean {
  return /^(nvme\d+n\d+|mmcblk\d+)p\d+$/.test(name) || /^(sd|vd|xvd|hd)[a-z]+\d+$/.test(name);
}

/** Disk utilisation (percent of the interval busy, the busiest disk) and mean await (ms) between two reads. */
export function diskLoad(a: DiskStat[], b: DiskStat[], intervalMs: number): { util: number; awaitMs: number; disk: string } | null {
  const before = new Map(a.map((d) => [d.name, d]));
  let best: { util: number; awaitMs: number; disk: string } | null = null;
  for (const d of b) {
    const p = before.get(d.name);
    if (!p) continue;
    const ios = d.ios - p.ios;
    const util = Math.min(100, (100 * Math.max(0, d.busyMs - p.busyMs)) / intervalMs);
    const awaitMs = ios > 0 ? (d.ioMs - p.ioMs) / ios : 0;
    if (!best || util > best.util) best = { util, awaitMs, disk: d.name };
  }
  return best;
}

/** Packet drops the kernel counts: softnet backlog drops (all CPUs) and IP/UDP receive errors. */
export function parseDrops(snmp: string, softnet: string): number {
  let drops = 0;
  for (const line of softnet.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length > 1) drops += parseInt(f[1], 16) || 0; // column 2: dropped (backlog full)
  }
  const table = (proto: string): Map<string, number> => {
    const lines = snmp.split('\n').filter((l) => l.startsWith(`${proto}:`));
    const out = new Map<string, number>();
    if (lines.length < 2) return out;
    const keys = lines[0].split(/\s+/).slice(1);
    const vals = lines[1].split(/\s+/).slice(1).map(Number);
    keys.forEach((k, i) => out.set(k, vals[i] ?? 0));
    return out;
  };
  const ip = table('Ip');
  const udp = table('Udp');
  for (const k of ['InDiscards', 'InHdrErrors', 'InAddrErrors']) drops += ip.get(k) ?? 0;
  for (const k of ['InErrors', 'RcvbufErrors', 'NoPorts']) drops += udp.get(k) ?? 0;
  return drops;
}

/** A cgroup's CPU time (µs): total, user, system, and throttling, from either hierarchy. */
export interface CgroupCpu {
  usageUs: number;
  userUs: number;
  systemUs: number;
  /** Periods throttled and time throttled (µs); 0 where the cgroup has no quota. */
  throttledPeriods: number;
  throttledUs: number;
}

/** v2: cpu.stat (usage_usec, user_usec, system_usec, nr_throttled, throttled_usec). */
export function parseCpuStatV2(text: string): CgroupCpu {
  const kv = keyValues(text);
  return { usageUs: kv.get('usage_usec') ?? 0, userUs: kv.get('user_usec') ?? 0, systemUs: kv.get('system_usec') ?? 0, throttledPeriods: kv.get('nr_throttled') ?? 0, throttledUs: kv.get('throttled_usec') ?? 0 };
}

/**
 * v1: cpuacct.usage (ns), cpuacct.stat (user and system in USER_HZ ticks) and the cpu
 * controller's cpu.stat (nr_throttled, throttled_time in ns).
 */
export function parseCpuacctV1(usage: string, stat: string, cpuStat: string, userHz = 100): CgroupCpu {
  const kv = keyValues(stat);
  const thr = keyValues(cpuStat);
  const tick = 1e6 / userHz;
  return {
    usageUs: Number(usage.trim()) / 1000 || 0,
    userUs: (kv.get('user') ?? 0) * tick,
    systemUs: (kv.get('system') ?? 0) * tick,
    throttledPeriods: thr.get('nr_throttled') ?? 0,
    throttledUs: (thr.get('throttled_time') ?? 0) / 1000,
  };
}

function keyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(\w+)\s+(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}
