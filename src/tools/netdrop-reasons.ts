// Drop reasons as the running kernel names them: enum skb_drop_reason from its BTF, and
// for subsystem-encoded values (6.4+: the subsystem in the high bits, SKB_DROP_REASON_SUBSYS_MASK)
// enum skb_drop_reason_subsys plus that subsystem's own enum when its BTF is at hand,
// shown as SUBSYS:NAME. Never a table in our code; an unknown value stays its number.
import { readdirSync } from 'node:fs';
import { native } from '../bpf-loader/native.js';
import { closeMatches } from '../containers/match.js';
import { usageError } from '../errors.js';

const CORE_PREFIX = 'SKB_DROP_REASON_';
const SUBSYS_PREFIX = 'SKB_DROP_REASON_SUBSYS_';
/** Values of enum skb_drop_reason that are no reason (bounds and masks, not drops). */
const NOT_REASONS = /^SKB_DROP_REASON_(MAX|SUBSYS_MASK)$/;

export interface DropReasons {
  /** Core reasons by value, names without the prefix (NO_SOCKET, NOT_SPECIFIED …). */
  core: Map<number, string>;
  /** Subsystems by id (OPENVSWITCH …), without the core (0). */
  subsys: Map<number, string>;
  /** A subsystem's own reasons by full value, where its enum was found. */
  subsysReasons: Map<number, string>;
  /** How far up the subsystem id sits (from SKB_DROP_REASON_SUBSYS_MASK; 16 on every kernel that has it). */
  shift: number;
  /** Reads the subsystems' own enums (module BTF) the first time one is needed; then cleared. */
  loadSubsys?: () => Map<number, Record<string, number>>;
}

/** Fill in the subsystems' own reasons, once, when a value or a name needs them. */
function ensureSubsys(r: DropReasons): void {
  const load = r.loadSubsys;
  if (!load) return;
  r.loadSubsys = undefined;
  for (const e of load().values()) for (const [name, v] of Object.entries(e)) r.subsysReasons.set(v, name);
}

/**
 * Of the enums of loaded modules, each subsystem's own reasons: the enum whose every value
 * carries that subsystem's id in its high bits (openvswitch's ovs_drop_reason, mac80211's …).
 * The subsystem enum does not say which module or enum it is, so the values do.
 */
export function subsysEnumsFrom(modules: Iterable<Record<string, Record<string, number>>>, subsysIds: Iterable<number>, shift: number): Map<number, Record<string, number>> {
  const ids = new Set(subsysIds);
  const out = new Map<number, Record<string, number>>();
  for (const enums of modules) {
    for (const values of Object.values(enums)) {
      const vs = Object.values(values);
      if (!vs.length) continue;
      const id = Math.floor(vs[0] / 2 ** shift);
      if (!ids.has(id) || out.has(id) || !vs.every((v) => Math.floor(v / 2 ** shift) === id)) continue;
      out.set(id, values);
    }
  }
  return out;
}

/** The enums of every module with BTF (/sys/kernel/btf/<module>), read one by one. */
function* moduleEnums(dir = '/sys/kernel/btf'): Generator<Record<string, Record<string, number>>> {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n !== 'vmlinux');
  } catch {
    return;
  }
  for (const n of names) {
    const e = native().kernelModuleEnums(n);
    if (e) yield e;
  }
}

/** Build from enums as the BTF has them (name → value); subsystem enums by subsystem id. */
export function dropReasonsFrom(
  core: Record<string, number> | null,
  subsys: Record<string, number> | null,
  subsysEnums: Map<number, Record<string, number>> = new Map(),
): DropReasons {
  const r: DropReasons = { core: new Map(), subsys: new Map(), subsysReasons: new Map(), shift: 16 };
  const mask = core?.SKB_DROP_REASON_SUBSYS_MASK;
  if (mask) r.shift = Math.log2(mask & -mask);
  for (const [name, v] of Object.entries(core ?? {})) {
    if (NOT_REASONS.test(name)) continue;
    r.core.set(v, name.startsWith(CORE_PREFIX) ? name.slice(CORE_PREFIX.length) : name);
  }
  for (const [name, id] of Object.entries(subsys ?? {})) {
    if (id === 0 || name.endsWith('_NUM')) continue;
    r.subsys.set(id, name.startsWith(SUBSYS_PREFIX) ? name.slice(SUBSYS_PREFIX.length) : name);
  }
  for (const e of subsysEnums.values()) for (const [name, v] of Object.entries(e)) r.subsysReasons.set(v, name);
  return r;
}

/** A reason value as text: NO_SOCKET, OPENVSWITCH:OVS_DROP_FLOW, OPENVSWITCH:7, or the bare number. */
export function reasonName(value: number, r: DropReasons): string {
  const id = Math.floor(value / 2 ** r.shift);
  if (id === 0) return r.core.get(value) ?? String(value);
  const sub = r.subsys.get(id);
  if (!sub) return String(value);
  if (!r.subsysReasons.has(value)) ensureSubsys(r);
  return `${sub}:${r.subsysReasons.get(value) ?? value % 2 ** r.shift}`;
}

/** --reason / --exclude-reason names (any case, with or without the prefix) as values; an unknown one is a usage error naming close ones. */
export function reasonValues(flag: string, arg: string, r: DropReasons): number[] {
  const names = arg.split(',').map((raw) => raw.trim().toUpperCase().replace(new RegExp(`^${CORE_PREFIX}`), '').replace(/^[A-Z0-9_]+:(?=[A-Z])/, ''));
  if (names.some((n) => ![...r.core.values()].includes(n))) ensureSubsys(r);
  const byName = new Map([...r.core].map(([v, n]) => [n, v]));
  for (const [v, n] of r.subsysReasons) byName.set(n, v);
  return arg.split(',').map((raw) => {
    // SUBSYS:NAME, as rows show a subsystem's reasons, names the subsystem's NAME.
    const want = raw.trim().toUpperCase().replace(new RegExp(`^${CORE_PREFIX}`), '').replace(/^[A-Z0-9_]+:(?=[A-Z])/, '');
    const v = byName.get(want);
    if (v !== undefined) return v;
    const close = closeMatches(want, [...byName.keys()], (n) => n).slice(0, 4);
    throw usageError(`${flag}: this kernel has no drop reason ${JSON.stringify(raw.trim())}${close.length ? `; did you mean ${close.join(', ')}?` : ''}`);
  });
}

/** The running kernel's reasons (empty before 5.17, which has none). */
export function kernelDropReasons(): DropReasons {
  const r = dropReasonsFrom(native().kernelEnum('skb_drop_reason'), native().kernelEnum('skb_drop_reason_subsys'));
  // 6.4+: subsystems' reasons are in their modules' BTF, read only if one is ever needed.
  if (r.subsys.size) r.loadSubsys = () => subsysEnumsFrom(moduleEnums(), r.subsys.keys(), r.shift);
  return r;
}
