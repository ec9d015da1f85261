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
  constructor(
    readonly starts: Float64Array,
    readonly ends: Float64Array,
    /** null: a range that ends the one before it but has no name of its own. */
    readonly names: ReadonlyArray<string | null>,
  ) {}

  get length(): number {
    return this.starts.length;
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
    return i < 0 ? null : this.names[i];
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
 * section's end.
 */
export function buildAddressTable(symbols: ReadonlyArray<SymbolEntry>): AddressTable {
  const n = symbols.length;
  const keys = new Float64Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, (keys[i] = symbols[i].value));
  const order = sortedOrder(keys, max);
  const starts: number[] = [];
  const sizes: number[] = [];
  const limits: number[] = [];
  const names: string[] = [];
  for (let k = 0; k < n; ) {
    // A group of aliases at one address.
    const first = symbols[order[k]];
    let best = first;
    let bestRank = -1;
    let size = first.size;
    let limit = first.sectionEnd ?? Infinity;
    let j = k + 1;
    for (; j < n && keys[order[j]] === first.value; j++) {
      const s = symbols[order[j]];
      if (bestRank < 0) bestRank = aliasRank(best.name, best.bind);
      const r = aliasRank(s.name, s.bind);
      if (r < bestRank || (r === bestRank && s.name < best.name)) (best = s), (bestRank = r);
      size = Math.max(size, s.size);
      if (s.sectionEnd !== undefined) limit = Math.min(limit, s.sectionEnd);
    }
    starts.push(first.value);
    sizes.push(size);
    limits.push(limit);
    names.push(best.name);
    k = j;
  }
  const count = starts.length;
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
  return new AddressTable(Float64Array.from(starts), ends, names);
}
