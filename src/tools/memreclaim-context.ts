// What a cgroup's memory looks like beside its reclaim stalls: limit and usage of the
// nearest ancestor that has a limit, its event counters (v2 memory.events, v1 failcnt and
// oom_control), memory.stat scan/steal counters (v2 only: v1 has none), and memory PSI
// (the cgroup's memory.pressure on v2, else the host's /proc/pressure/memory). Plain file
// reads: the same code reads a live hierarchy and a fixture tree.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CgroupHier, type CgroupMount } from '../containers/cgroup.js';

/** v1's "no limit": PAGE_COUNTER_MAX pages, rounded to a page (9223372036854771712 on x86-64). */
const V1_UNLIMITED = 2 ** 62;

export interface MemoryCounters {
  /** v2 memory.events: high, max, oom, oom_kill; v1: failcnt (as max), oom_kill. Missing ones are absent. */
  events: Record<string, number>;
  /** memory.stat pgscan and pgsteal (v2; null on v1, which does not count them). */
  pgscan: number | null;
  pgsteal: number | null;
}

export interface MemoryContext extends MemoryCounters {
  /** Which hierarchy the values came from. */
  hierarchy: 'v2' | 'v1 memory';
  /** The cgroup (path inside the hierarchy) and the nearest one up the tree with a limit (null: none has). */
  cgroup: string;
  limited_by: string | null;
  limit_bytes: number | null;
  usage_bytes: number | null;
  /** memory PSI "some" avg10, percent; from the cgroup on v2, else the host's. */
  psi_some_avg10: number | null;
  psi_full_avg10: number | null;
  psi_source: 'cgroup' | 'host' | null;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function number(file: string): number | null {
  const t = read(file)?.trim();
  if (t === undefined || t === '') return null;
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** "key value" lines (memory.events, memory.stat, oom_control) as numbers. */
export function keyValues(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** A PSI file's some/full avg10 (percent). */
export function parsePressure(text: string | null): { some: number | null; full: number | null } {
  const avg = (kind: string) => {
    const m = new RegExp(`^${kind} avg10=([\\d.]+)`, 'm').exec(text ?? '');
    return m ? Number(m[1]) : null;
  };
  return { some: avg('some'), full: avg('full') };
}

/** Whether a v2 hierarchy has the memory controller (its root's cgroup.controllers). */
export function v2HasMemory(mount: CgroupMount): boolean {
  return /(^|\s)memory(\s|$)/.test(read(join(mount.root, 'cgroup.controllers')) ?? '');
}

/** memreclaim's hierarchy: v2 where it has the memory controller, else v1 memory. */
export function memoryMount(mounts: CgroupMount[]): CgroupMount | undefined {
  return mounts.find((m) => m.hier === CgroupHier.V2 && v2HasMemory(m)) ?? mounts.find((m) => m.hier === CgroupHier.V1Memory);
}

/** Reads memory context for cgroups of one hierarchy (`path` as CgroupNames gives it: "/a/b"). */
export class MemoryContextReader {
  constructor(readonly mount: CgroupMount, private readonly hostPressure = '/proc/pressure/memory') {}

  private dirOf(path: string): string {
    return join(this.mount.root, path === '/' ? '' : path);
  }

  private limitOf(dir: string): number | null {
    if (this.mount.hier === CgroupHier.V2) {
      const n = number(join(dir, 'memory.max'));
      return n === null || n === Infinity ? null : n;
    }
    const n = number(join(dir, 'memory.limit_in_bytes'));
    return n === null || n >= V1_UNLIMITED ? null : n;
  }

  /** The cgroup's counters alone (for deltas). */
  counters(path: string): MemoryCounters {
    const dir = this.dirOf(path);
    if (this.mount.hier === CgroupHier.V2) {
      const ev = keyValues(read(join(dir, 'memory.events')));
      const stat = keyValues(read(join(dir, 'memory.stat')));
      const events: Record<string, number> = {};
      for (const k of ['high', 'max', 'oom', 'oom_kill']) if (ev.has(k)) events[k] = ev.get(k)!;
      return { events, pgscan: stat.get('pgscan') ?? null, pgsteal: stat.get('pgsteal') ?? null };
    }
    const events: Record<string, number> = {};
    const fail = number(join(dir, 'memory.failcnt'));
    if (fail !== null) events.max = fail;
    const oom = keyValues(read(join(dir, 'memory.oom_control')));
    if (oom.has('oom_kill')) events.oom_kill = oom.get('oom_kill')!;
    return { events, pgscan: null, pgsteal: null };
  }

  /** Limit, usage and pressure of the cgroup (from its nearest limited ancestor), with its own counters. */
  read(path: string): MemoryContext {
    const v2 = this.mount.hier === CgroupHier.V2;
    let at = path;
    let limit: number | null = null;
    // Up from the cgroup to the hierarchy's root: the first one with a limit is what stalls it.
    for (;;) {
      limit = this.limitOf(this.dirOf(at));
      if (limit !== null || at === '/' || at === '') break;
      at = dirname(at);
    }
    const limited = limit !== null ? at || '/' : null;
    const usageFile = v2 ? 'memory.current' : 'memory.usage_in_bytes';
    const usage = number(join(this.dirOf(limited ?? path), usageFile));
    const own = v2 ? join(this.dirOf(limited ?? path), 'memory.pressure') : null;
    const cgroupPsi = own && existsSync(own) ? parsePressure(read(own)) : null;
    const psi = cgroupPsi ?? parsePressure(read(this.hostPressure));
    return {
      hierarchy: v2 ? 'v2' : 'v1 memory',
      cgroup: path,
      limited_by: limited,
      limit_bytes: limit,
      usage_bytes: usage === Infinity ? null : usage,
      psi_some_avg10: psi.some,
      psi_full_avg10: psi.full,
      psi_source: cgroupPsi ? 'cgroup' : psi.some !== null ? 'host' : null,
      ...this.counters(path),
    };
  }
}

/** Counters gained since `prev` (null stays null; a counter absent before counts from 0). */
export function countersDelta(cur: MemoryCounters, prev: MemoryCounters | undefined): MemoryCounters {
  const d = (a: number | null, b: number | null | undefined) => (a === null ? null : a - (b ?? 0));
  const events: Record<string, number> = {};
  for (const [k, v] of Object.entries(cur.events)) events[k] = v - (prev?.events[k] ?? 0);
  return { events, pgscan: d(cur.pgscan, prev?.pgscan), pgsteal: d(cur.pgsteal, prev?.pgsteal) };
}
