// Kernel counters shown beside a tool's rows as side tables: /proc/net/softnet_stat per
// CPU (softirq, netdrop) and each device's rx_dropped/tx_dropped (netdrop). Each table
// is read once per tick and shown as what it gained in the interval and since start.
import { readdirSync, readFileSync } from 'node:fs';
import type { SideRow, SideTable } from '../model/latency.js';
import type { SoftnetRow } from '../model/softirq.js';

/** /proc/net/softnet_stat: per CPU, processed, dropped and time_squeeze (hex columns). */
export function parseSoftnet(text: string): SoftnetRow[] {
  return text.trim().split('\n').filter(Boolean).map((line, i) => {
    const f = line.trim().split(/\s+/).map((x) => parseInt(x, 16));
    // Since 5.10 the 13th column is the CPU; before, lines are online CPUs in order.
    return { cpu: f.length >= 13 ? f[12] : i, processed: f[0], dropped: f[1], time_squeeze: f[2] };
  });
}

/** Counters since a previous reading, row by row (matched by `id`); `wrap` for u32 counters. */
function rowsDelta<T extends SideRow>(cur: T[], prev: T[], id: keyof T, counters: readonly (keyof T)[], wrap?: number): T[] {
  const before = new Map(prev.map((r) => [r[id], r]));
  const d = (a: number, b: number | undefined) => (b === undefined ? a : wrap ? (a - b + wrap) % wrap : a - b);
  return cur.map((r) => {
    const p = before.get(r[id]);
    const out = { ...r };
    for (const c of counters) (out as Record<keyof T, unknown>)[c] = d(r[c] as number, p?.[c] as number | undefined);
    return out;
  });
}

/** softnet_stat counters since a previous reading (per CPU; the counters are u32 and wrap). */
export function softnetDelta(cur: SoftnetRow[], prev: SoftnetRow[]): SoftnetRow[] {
  return rowsDelta(cur as unknown as SideRow[], prev as unknown as SideRow[], 'cpu', ['processed', 'dropped', 'time_squeeze'], 2 ** 32) as unknown as SoftnetRow[];
}

export function readSoftnet(): SoftnetRow[] {
  return parseSoftnet(readFileSync('/proc/net/softnet_stat', 'utf8'));
}

/** One device's drop counters (/sys/class/net/<dev>/statistics), of this network namespace. */
export interface DeviceDropRow {
  dev: string;
  rx_dropped: number;
  tx_dropped: number;
  [k: string]: string | number | null;
}

export function readDeviceDrops(root = '/sys/class/net'): DeviceDropRow[] {
  const num = (dev: string, f: string) => {
    try {
      return Number(readFileSync(`${root}/${dev}/statistics/${f}`, 'utf8').trim());
    } catch {
      return 0; // the device went away between the listing and the read
    }
  };
  let devs: string[] = [];
  try {
    devs = readdirSync(root).sort();
  } catch {
    /* no sysfs: no table */
  }
  return devs.map((dev) => ({ dev, rx_dropped: num(dev, 'rx_dropped'), tx_dropped: num(dev, 'tx_dropped') }));
}

export function deviceDropsDelta(cur: DeviceDropRow[], prev: DeviceDropRow[]): DeviceDropRow[] {
  return rowsDelta(cur, prev, 'dev', ['rx_dropped', 'tx_dropped']);
}

/** A side table read every tick: the interval's delta and the run's. */
export class CounterTable<T> {
  private readonly first: T[];
  private last: T[];

  constructor(
    private readonly name: string,
    private readonly title: string,
    private readonly read: () => T[],
    private readonly delta: (cur: T[], prev: T[]) => T[],
    /** Rows worth showing in a window (netdrop shows only devices that dropped). */
    private readonly keep: (r: T) => boolean = () => true,
  ) {
    this.first = this.last = read();
  }

  tables(): { interval: SideTable; total: SideTable } {
    const now = this.read();
    const table = (rows: T[]): SideTable => ({ name: this.name, title: this.title, rows: rows.filter(this.keep).map((r) => ({ ...r }) as SideRow) });
    const interval = table(this.delta(now, this.last));
    this.last = now;
    return { interval, total: table(this.delta(now, this.first)) };
  }
}

/** Several counter tables as a source's side(). */
export function sideOf(tables: Array<{ tables(): { interval: SideTable; total: SideTable } }>): () => { interval: SideTable[]; total: SideTable[] } {
  return () => {
    const all = tables.map((t) => t.tables());
    return { interval: all.map((t) => t.interval), total: all.map((t) => t.total) };
  };
}
