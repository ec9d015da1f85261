// JIT symbol maps, /tmp/perf-PID.map: one `START SIZE name` line (hex) per compiled
// function, appended as the JIT compiles (node --perf-basic-prof, the JVM's perf-map-agent,
// .NET's DOTNET_PerfMapEnabled). Read lazily, and again from where we stopped when it grew.
// When code is replaced, the line written last wins.
import { upperBound } from './address-table.js';
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';

export interface PerfMapEntry {
  start: number;
  size: number;
  name: string;
}

const LINE = /^(?:0x)?([0-9a-fA-F]+)\s+(?:0x)?([0-9a-fA-F]+)\s+(.+)$/;

export function parsePerfMap(text: string): PerfMapEntry[] {
  const out: PerfMapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trimEnd());
    if (!m) continue;
    const start = parseInt(m[1], 16);
    const size = parseInt(m[2], 16);
    if (!Number.isSafeInteger(start) || !(size > 0)) continue;
    out.push({ start, size, name: m[3] });
  }
  return out;
}

const RETRY_OPEN_MS = 1000;
/** How far back from the binary-search hit we look for an entry covering the address. */
const SCAN_BACK = 64;

export class PerfMap {
  private entries: PerfMapEntry[] = [];
  /** Bytes consumed so far (up to the last complete line). */
  private consumed = 0;
  private starts = new Float64Array(0);
  private order = new Int32Array(0);
  private dirty = false;
  private fd: number | null = null;
  /** Times new lines were read, for stats. */
  reads = 0;
  private triedAt = -Infinity;

  /** `paths`: where the map may be, in order; the first that opens is kept open until close(). */
  constructor(private readonly paths: string[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** Open the file now if it exists, so it stays readable after its process (and /proc/PID/root) is gone. */
  open(): boolean {
    if (this.fd !== null) return true;
    // A process without a map misses on every JIT address: look for the file once a second, not once a miss.
    const now = Date.now();
    if (now - this.triedAt < RETRY_OPEN_MS) return false;
    this.triedAt = now;
    for (const p of this.paths) {
      try {
        this.fd = openSync(p, 'r');
        return true;
      } catch {
        /* next */
      }
    }
    return false;
  }

  /** The JIT name for addr, reading what was appended to the file when it is not found. */
  lookup(addr: number): string | null {
    const hit = this.find(addr);
    if (hit !== null) return hit;
    return this.refresh() ? this.find(addr) : null;
  }

  /** Read what was appended since last time; true when there is something new. */
  refresh(): boolean {
    if (!this.open()) return false;
    const fd = this.fd!;
    const size = fstatSync(fd).size;
    if (size < this.consumed) {
      // Truncated: rewritten by a new process with the same pid. Start over.
      this.entries = [];
      this.consumed = 0;
      this.dirty = true;
    }
    if (size === this.consumed) return false;
    const buf = Buffer.allocUnsafe(size - this.consumed);
    let got = 0;
    while (got < buf.length) {
      const r = readSync(fd, buf, got, buf.length - got, this.consumed + got);
      if (r === 0) break;
      got += r;
    }
    const lastNl = got > 0 ? buf.lastIndexOf(10, got - 1) : -1;
    if (lastNl < 0) return false;
    this.consumed += lastNl + 1;
    this.reads++;
    const added = parsePerfMap(buf.toString('utf8', 0, lastNl + 1));
    for (const e of added) this.entries.push(e);
    if (added.length) this.dirty = true;
    return added.length > 0;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private index(): void {
    const n = this.entries.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => this.entries[a].start - this.entries[b].start || a - b);
    this.order = order;
    this.starts = Float64Array.from(order, (i) => this.entries[i].start);
    this.dirty = false;
  }

  private find(addr: number): string | null {
    if (this.dirty) this.index();
    const lo = upperBound(this.starts, addr);
    // Among entries covering addr, the one appended last (highest index in the file).
    let best = -1;
    for (let k = lo - 1; k >= 0 && k >= lo - SCAN_BACK; k--) {
      const i = this.order[k];
      const e = this.entries[i];
      if (addr < e.start + e.size && i > best) best = i;
    }
    return best < 0 ? null : this.entries[best].name;
  }
}
