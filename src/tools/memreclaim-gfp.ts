// GFP flag names as the running kernel prints them: the flag table of a vmscan tracepoint's
// print fmt (tracefs), evaluated here. Bit numbers moved between kernels (6.8 turned the
// ___GFP_* macros into an enum), so they are never restated in TypeScript.
import { readFileSync } from 'node:fs';

export interface GfpFlag {
  name: string;
  mask: bigint;
}

/** Evaluate a flag mask from a print fmt: integers, casts, ( ) ~ << & |. */
export function evalMask(expr: string): bigint {
  const src = expr.replace(/\(\s*(?:gfp_t|unsigned long|unsigned int|int)\s*\)/g, '').replace(/(0x[0-9a-fA-F]+|\d+)U?L{0,2}\b/g, '$1');
  const tokens = src.match(/0x[0-9a-fA-F]+|\d+|<<|[()|&~]/g) ?? [];
  if (tokens.join('') !== src.replace(/\s+/g, '')) throw new Error(`not a flag mask: ${expr.slice(0, 60)}`);
  let i = 0;
  const peek = () => tokens[i];
  const take = (t?: string) => {
    if (t !== undefined && tokens[i] !== t) throw new Error(`expected ${t} in ${expr.slice(0, 60)}`);
    return tokens[i++];
  };
  const unary = (): bigint => {
    if (peek() === '~') {
      take();
      return ~unary() & 0xffffffffffffffffn;
    }
    if (peek() === '(') {
      take('(');
      const v = or();
      take(')');
      return v;
    }
    const t = take();
    if (t === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) throw new Error(`unexpected ${t} in ${expr.slice(0, 60)}`);
    return BigInt(t);
  };
  const shift = (): bigint => {
    let v = unary();
    while (peek() === '<<') {
      take();
      v = (v << unary()) & 0xffffffffffffffffn;
    }
    return v;
  };
  const and = (): bigint => {
    let v = shift();
    while (peek() === '&') {
      take();
      v &= shift();
    }
    return v;
  };
  const or = (): bigint => {
    let v = and();
    while (peek() === '|') {
      take();
      v |= and();
    }
    return v;
  };
  const v = or();
  if (i !== tokens.length) throw new Error(`trailing ${tokens[i]} in ${expr.slice(0, 60)}`);
  return v;
}

/** The {mask, "NAME"} table of a tracepoint format's __print_flags on gfp_flags, in order. */
export function parseGfpTable(format: string): GfpFlag[] {
  const at = format.indexOf('__print_flags(REC->gfp_flags');
  if (at < 0) return [];
  const out: GfpFlag[] = [];
  for (const m of format.slice(at).matchAll(/\{\s*\(\s*unsigned long\s*\)(.*?),\s*"(\w+)"\s*\}/g)) {
    out.push({ name: m[2], mask: evalMask(m[1]) });
  }
  return out;
}

/** Flags as the kernel's __print_flags prints them: whole masks in table order, the rest in hex. */
export function gfpNames(gfp: number | bigint, table: GfpFlag[]): string {
  let left = BigInt(gfp);
  if (left === 0n) return 'none';
  const names: string[] = [];
  for (const f of table) {
    if (f.mask !== 0n && (left & f.mask) === f.mask) {
      names.push(f.name);
      left &= ~f.mask;
    }
  }
  if (left) names.push(`0x${left.toString(16)}`);
  return names.join('|');
}

const FORMATS = ['vmscan/mm_vmscan_memcg_reclaim_begin', 'vmscan/mm_vmscan_direct_reclaim_begin'];

/** This kernel's GFP table from tracefs (empty when unreadable: flags then print in hex). */
export function kernelGfpTable(tracefs = '/sys/kernel/tracing'): GfpFlag[] {
  for (const f of FORMATS) {
    try {
      const t = parseGfpTable(readFileSync(`${tracefs}/events/${f}/format`, 'utf8'));
      if (t.length) return t;
    } catch {
      // the next one, or none
    }
  }
  return [];
}
