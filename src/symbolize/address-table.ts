// Sorted, non-overlapping address ranges with names, looked up by binary search. Used for
// ELF function symbols (addresses relative to the file's vaddrs) and the kernel's symbols.

/** A function symbol as the ELF reader gives it. */
export interface SymbolEntry {
  name: string;
  value: number;
  /** 0 when unknown: the range then ends at the next symbol or at sectionEnd. */
  size: number;
  /** STB_LOCAL 0, STB_GLOBAL 1, STB_WEAK 2: for choosing among aliases at one address. */
  bind: number;
  /** Where a size-0 symbol ends at the latest (its section's end). */
  sectionEnd?: number;
}

/** Function symbols in columns: entry i is values[i], sizes[i], …, name(i). */
export interface SymbolColumns {
  count: number;
  values: Float64Array;
  sizes: Float64Array;
  binds: Uint8Array;
  /** NaN when unknown. */
  sectionEnds: Float64Array;
  name(i: number): string;
}

export function columnsOf(entries: ReadonlyArray<SymbolEntry>): SymbolColumns {
  return {
    count: entries.length,
    values: Float64Array.from(entries, (e) => e.value),
    sizes: Float64Array.from(entries, (e) => e.size),
    binds: Uint8Array.from(entries, (e) => e.bind),
    sectionEnds: Float64Array.from(entries, (e) => e.sectionEnd ?? NaN),
    name: (i) => entries[i].name,
  };
}

export function entriesOf(c: SymbolColumns): SymbolEntry[] {
  return Array.from({ length: c.count }, (_, i) => {
    const e: SymbolEntry = { name: c.name(i), value: c.values[i], size: c.sizes[i], bind: c.binds[i] };
    if (!Number.isNaN(c.sectionEnds[i])) e.sectionEnd = c.sectionEnds[i];
    return e;
  });
}

/** One table of several (a binary's own symbols and its debug file's, say). */
export function concatColumns(parts: SymbolColumns[]): SymbolColumns {
  if (parts.length === 1) return parts[0];
  const count = parts.reduce((n, p) => n + p.count, 0);
  const cat = <T extends Float64Array | Uint8Array>(make: (n: number) => T, get: (p: SymbolColumns) => T): T => {
    const out = make(count);
    let at = 0;
    for (const p of parts) out.set(get(p), (at += p.count) - p.count);
    return out;
  };
  const firsts: number[] = [];
  let at = 0;
  for (const p of parts) firsts.push(at), (at += p.count);
  return {
    count,
    values: cat((n) => new Float64Array(n), (p) => p.values),
    sizes: cat((n) => new Float64Array(n), (p) => p.sizes),
    binds: cat((n) => new Uint8Array(n), (p) => p.binds),
    sectionEnds: cat((n) => new Float64Array(n), (p) => p.sectionEnds),
    name: (i) => {
      let k = parts.length - 1;
      while (firsts[k] > i) k--;
      return parts[k].name(i - firsts[k]);
    },
  };
}

/** How many of the sorted starts are <= addr (the index just past the last such start). */
export function upperBound(starts: ArrayLike<number>, addr: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class AddressTable {
  private readonly made: Array<string | null | undefined> = [];

  constructor(
    readonly starts: Float64Array,
    readonly ends: Float64Array,
    /** Range i's name; null: a range that ends the one before it but has no name of its own. */
    private readonly names: ReadonlyArray<string | null> | ((i: number) => string | null),
  ) {}

  get length(): number {
    return this.starts.length;
  }

  /** The name of range i, made once. */
  nameOf(i: number): string | null {
    if (typeof this.names !== 'function') return this.names[i];
    let n = this.made[i];
    if (n === undefined) n = this.made[i] = this.names(i);
    return n;
  }

  /** Index of the range holding addr, or -1. */
  find(addr: number): number {
    const i = upperBound(this.starts, addr) - 1;
    if (i < 0) return -1;
    if (addr < this.ends[i]) return i;
    // A sized symbol nested in a bigger one (e.g. a local label typed FUNC): the outer one.
    if (i > 0 && addr < this.ends[i - 1]) return i - 1;
    return -1;
  }

  name(addr: number): string | null {
    const i = this.find(addr);
    return i < 0 ? null : this.nameOf(i);
  }
}

/** Prefer public names: fewer leading underscores, then global over weak over local, then shorter. */
export function aliasRank(name: string, bind: number): number {
  let u = 0;
  while (u < name.length && name[u] === '_') u++;
  const b = bind === 1 ? 0 : bind === 2 ? 1 : 2;
  return u * 10_000 + b * 1000 + Math.min(name.length, 999);
}

const INDEX_BITS = 2 ** 20;

/** Indexes of keys in ascending order (ties by index). */
function sortedOrder(keys: Float64Array, max: number): Uint32Array {
  const n = keys.length;
  const order = new Uint32Array(n);
  if (n < INDEX_BITS && max < 2 ** 33) {
    // Pack key and index into one exact double and let the native numeric sort do the work.
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = keys[i] * INDEX_BITS + i;
    packed.sort();
    for (let i = 0; i < n; i++) order[i] = packed[i] % INDEX_BITS;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((x, y) => keys[x] - keys[y] || x - y);
}

/**
 * One range per address (the best-ranked alias, the largest size), sorted. A sized symbol
 * covers [value, value+size); a size-0 one runs to the next symbol, no further than its
 * section's end. Names are made only for aliases to rank and when looked up.
 */
export function buildAddressTable(symbols: ReadonlyArray<SymbolEntry> | SymbolColumns): AddressTable {
  const c = 'count' in symbols ? symbols : columnsOf(symbols as ReadonlyArray<SymbolEntry>);
  const n = c.count;
  const keys = c.values;
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, keys[i]);
  const order = sortedOrder(keys, max);
  const starts = new Float64Array(n);
  const sizes = new Float64Array(n);
  const limits = new Float64Array(n);
  const best = new Int32Array(n);
  let count = 0;
  for (let k = 0; k < n; ) {
    // A group of aliases at one address.
    const first = order[k];
    let pick = first;
    let size = c.sizes[first];
    let limit = Number.isNaN(c.sectionEnds[first]) ? Infinity : c.sectionEnds[first];
    let j = k + 1;
    if (j < n && keys[order[j]] === keys[first]) {
      let pickName = c.name(first);
      let pickRank = aliasRank(pickName, c.binds[first]);
      for (; j < n && keys[order[j]] === keys[first]; j++) {
        const s = order[j];
        const name = c.name(s);
        const r = aliasRank(name, c.binds[s]);
        if (r < pickRank || (r === pickRank && name < pickName)) (pick = s), (pickRank = r), (pickName = name);
        size = Math.max(size, c.sizes[s]);
        if (!Number.isNaN(c.sectionEnds[s])) limit = Math.min(limit, c.sectionEnds[s]);
      }
    }
    starts[count] = keys[first];
    sizes[count] = size;
    limits[count] = limit;
    best[count] = pick;
    count++;
    k = j;
  }
  const ends = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    if (sizes[i] > 0) ends[i] = starts[i] + sizes[i];
    else {
      const next = i + 1 < count ? starts[i + 1] : Infinity;
      const end = Math.min(next, limits[i]);
      // Last symbol with neither size nor section: only its own address.
      ends[i] = Number.isFinite(end) && end > starts[i] ? end : starts[i] + 1;
    }
  }
  return new AddressTable(starts.slice(0, count), ends, (i) => c.name(best[i]));
}
