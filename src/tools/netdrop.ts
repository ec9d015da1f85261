// netdrop, the tool: options → BPF object (bpf/netdrop.bpf.c) → exact drop counts per
// reason, location, protocol, netns, device and socket cgroup, relabelled by --by; dropped
// packets as rate-limited events; device and softnet_stat drop counters beside them.
// No CLI and no views here.
import { hasTpBtf } from '../bpf-loader/probe.js';
import { native } from '../bpf-loader/native.js';
import type { BpfObject } from '../bpf-loader/object.js';
import type { CgroupMount } from '../containers/cgroup.js';
import { containerRowLabels, HOST_LABEL } from '../containers/labels.js';
import type { ContainerInfo, ContainerResolver } from '../containers/resolver.js';
import { dropTracerFrames, loadKallsyms, type KernelSymbols } from '../symbolize/kallsyms.js';
import { DEVICES_TITLE, NETDROP_RATED, SOFTNET_DROPS_TITLE, dimsOf, type NetdropBy, type NetdropDim, type NetdropEvent, type NetdropRow } from '../model/netdrop.js';
import type { SideTable } from '../model/latency.js';
import type { FeatureResult } from './features.js';
import { fillSet, type TaskFilter } from './filter.js';
import { LatencySession } from './latency-session.js';
import { CounterTable, deviceDropsDelta, readDeviceDrops, readSoftnet, sideOf, softnetDelta } from './counter-tables.js';
import { NetnsPods } from './netdrop-netns.js';
import { ipv4Text, ipv6Text, tcpFlagLetters, type Cidr } from './netdrop-packet.js';
import { kernelDropReasons, reasonName, type DropReasons } from './netdrop-reasons.js';

/** Which kfree_skb arguments this kernel passes, from the tracepoint's BTF prototype. */
export interface KfreeSkbVariant {
  reason: boolean;
  rxSk: boolean;
  /** As `check` and the records show it. */
  name: 'skb,location' | 'skb,location,reason' | 'skb,location,reason,rx_sk';
}

export function kfreeSkbVariant(): KfreeSkbVariant | null {
  let args: Array<{ kind: string; name: string }> | null;
  try {
    args = native().kernelTracepointArgs('kfree_skb');
  } catch {
    return null;
  }
  if (!args || args.length < 2 || args[0].kind !== 'ptr' || args[0].name !== 'sk_buff') return null;
  const reason = args.length >= 3 && (args[2].kind === 'enum' || args[2].kind === 'int');
  const rxSk = reason && args.length >= 4 && args[3].kind === 'ptr' && args[3].name === 'sock';
  return { reason, rxSk, name: rxSk ? 'skb,location,reason,rx_sk' : reason ? 'skb,location,reason' : 'skb,location' };
}

/** netdrop's own probe for `huatuo check`: the tracepoint's prototype, and which variant it is. */
export const netdropProbes: Record<string, () => FeatureResult> = {
  kfree_skb_args: () => {
    const v = kfreeSkbVariant();
    if (!v) return { ok: false, detail: 'no btf_trace_kfree_skb prototype in the kernel BTF' };
    return { ok: true, detail: `kfree_skb(${v.name})${v.reason ? '' : ': no drop reasons before 5.17, rows show the location only'}` };
  },
};

export interface NetdropOptions {
  by: NetdropBy;
  /** The kit's filter: only its cgroup part (sockets' cgroups, v2) applies to drops. */
  filter: TaskFilter;
  resolver: () => ContainerResolver;
  /** The unified hierarchy, where sockets' cgroup ids are; undefined without one. */
  mount: CgroupMount | undefined;
  /** With a pod selection: its containers now (their network namespaces filter socketless drops). */
  selected?: () => ContainerInfo[];
  reasons?: { mode: 'only' | 'except'; values: number[] };
  l4Proto: number;
  port: number;
  host?: Cidr;
  netns: number;
  dev?: { ifindex: number; netns: number };
  eventsPerSec: number;
  stack: boolean;
  /** The kfree_skb arguments this kernel passes (kfreeSkbVariant()). */
  variant: KfreeSkbVariant;
  dropReasons?: DropReasons;
}

/** struct netdrop_key, netdrop_stats, netdrop_site and netdrop_event (bpf/netdrop.h) as TypeScript reads them. */
export const NETDROP_KEY_SPEC = {
  location: 'u64', cgroup_id: 'u64', reason: 'u32', netns: 'u32', ifindex: 'u32', l3_proto: 'u16', l4_proto: 'u8', __pad: 'u8',
} as const;
export const NETDROP_STATS_SPEC = { packets: 'u64', bytes: 'u64', dev: 'char[16]' } as const;
export const NETDROP_SITE_SPEC = { location: 'u64', reason: 'u32', __pad: 'u32' } as const;
export const NETDROP_EVENT_SPEC = {
  ts_ns: 'u64', location: 'u64', cgroup_id: 'u64', reason: 'u32', netns: 'u32', ifindex: 'u32', len: 'u32', cpu: 'u32',
  l3_proto: 'u16', sport: 'u16', dport: 'u16', l4_proto: 'u8', family: 'u8', tcp_flags: 'u8', icmp_type: 'u8', icmp_code: 'u8',
  hdr_len: 'u8', saddr: 'u8[16]', daddr: 'u8[16]', dev: 'char[16]', hdr: 'u8[64]',
} as const;

/** Every struct netdrop's TypeScript reads (test/unit/btf-layout.test.ts checks them all). */
export const NETDROP_BOUNDARY = {
  netdrop_key: NETDROP_KEY_SPEC, netdrop_stats: NETDROP_STATS_SPEC, netdrop_site: NETDROP_SITE_SPEC, netdrop_event: NETDROP_EVENT_SPEC,
};

type Key = { [K in keyof typeof NETDROP_KEY_SPEC]: number };
type RawEvent = Omit<{ [K in keyof typeof NETDROP_EVENT_SPEC]: number }, 'saddr' | 'daddr' | 'dev' | 'hdr'> & {
  saddr: number[]; daddr: number[]; dev: string; hdr: number[]; rawLocation?: bigint;
};

const L4_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp', 136: 'udplite' };
const L3_NAMES: Record<number, string> = { 0x0800: 'ipv4', 0x86dd: 'ipv6', 0x0806: 'arp', 0x8100: 'vlan', 0x88cc: 'lldp' };

/** What a drop was: the transport of an IP packet, else the link-layer protocol. */
export function protoName(l3: number, l4: number): string {
  if (l3 === 0x0800 || l3 === 0x86dd) return L4_NAMES[l4] ?? `${L3_NAMES[l3]}/${l4}`;
  if (l3 === 0) return '-';
  return L3_NAMES[l3] ?? `0x${l3.toString(16).padStart(4, '0')}`;
}

/** IP protocol numbers --proto takes by name. */
export const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, sctp: 132 };

function locationText(ksyms: KernelSymbols | undefined, addr: bigint): string {
  return ksyms?.functionOffset(addr) ?? `0x${addr.toString(16)}`;
}

const ORDER: NetdropDim[] = ['reason', 'location', 'pod', 'proto', 'netns', 'dev'];

export type NetdropSession = LatencySession<Key, NetdropRow, NetdropEvent> & {
  attachKind: 'tp_btf' | 'raw_tp';
  variant: KfreeSkbVariant;
  rateCounts: readonly string[];
  side(): { interval: SideTable[]; total: SideTable[] };
};

/** Open, configure, load and attach netdrop (everything closed again if a step fails). */
export function startNetdrop(o: NetdropOptions): NetdropSession {
  const variant = o.variant;
  const attachKind: 'tp_btf' | 'raw_tp' = process.env.HUATUO_ATTACH !== 'raw_tp' && hasTpBtf('kfree_skb') ? 'tp_btf' : 'raw_tp';
  const reasons = o.dropReasons ?? kernelDropReasons();
  let ksyms: KernelSymbols | undefined;
  try {
    ksyms = loadKallsyms();
  } catch {
    ksyms = undefined; // locations stay addresses
  }
  const netnsPods = new NetnsPods(o.resolver);
  let netnsFilter!: NetnsFilter;
  const dims = new Set(dimsOf(o.by));
  const mount = o.mount;
  // A (socket cgroup, netns) keeps the first pod it was found to be: a label that changed
  // mid-run (a pod deleted) would move the row's whole count into one interval.
  const pinned = new Map<string, { pod?: string; namespace?: string }>();
  const podOf = (cgroupId: number, netns: number): { pod?: string; namespace?: string } => {
    const at = `${cgroupId}:${netns}`;
    const known = pinned.get(at);
    if (known) return known;
    const found = findPod(cgroupId, netns);
    if (found.pod !== undefined) pinned.set(at, found); // not known yet: ask again next time
    return found;
  };
  const findPod = (cgroupId: number, netns: number): { pod?: string; namespace?: string } => {
    if (cgroupId && mount) {
      const { pod, namespace } = containerRowLabels('pod', o.resolver(), mount.hier, cgroupId);
      if (pod !== HOST_LABEL) return { pod, namespace };
    }
    const owner = netnsPods.ownerOf(netns);
    if (owner) return { pod: owner.pod, namespace: owner.namespace };
    // Host sockets, and the host's namespace without a socket, are the host's.
    if (netns === netnsPods.hostNetns || (cgroupId && mount)) return { pod: HOST_LABEL };
    return {};
  };
  const locationAt = (raw: Buffer, off: number) => locationText(ksyms, raw.readBigUInt64LE(off));
  let locationOffset = 0;
  let eventLocationOffset: number | undefined;

  const session = LatencySession.start<Key, NetdropRow, RawEvent>({
    tool: 'netdrop',
    programs: [attachKind === 'tp_btf' ? 'kfree_skb_btf' : 'kfree_skb_raw'],
    filter: o.filter,
    cgroupMount: mount,
    rodata: (obj) => {
      const mode = obj.enumValues('netdrop_reason_mode', 'NETDROP_REASONS_', ['ALL', 'ONLY', 'EXCEPT']);
      return {
        targ_has_reason: variant.reason,
        targ_has_rx_sk: variant.rxSk,
        targ_stack: o.stack,
        targ_events_per_sec: o.eventsPerSec,
        targ_reason_mode: o.reasons ? (o.reasons.mode === 'only' ? mode.ONLY : mode.EXCEPT) : mode.ALL,
        targ_l4_proto: o.l4Proto,
        targ_port: o.port,
        targ_host_family: o.host?.family ?? 0,
        targ_host_prefix: o.host?.prefix ?? 0,
        targ_host_addr: Uint8Array.from({ length: 16 }, (_, i) => o.host?.bytes[i] ?? 0),
        targ_netns: o.netns,
        targ_ifindex: o.dev?.ifindex ?? 0,
        targ_dev_netns: o.dev?.netns ?? 0,
      };
    },
    key: { struct: 'netdrop_key', spec: NETDROP_KEY_SPEC },
    value: { map: 'drops', struct: 'netdrop_stats', spec: NETDROP_STATS_SPEC, counts: ['packets', 'bytes'], texts: ['dev'] },
    label: (obj) => {
      locationOffset = obj.struct('netdrop_key').field('location').offset;
      return (k, raw) => {
        const row: Record<string, unknown> = { ifindex: k.ifindex };
        const parts: string[] = [];
        for (const d of ORDER) {
          if (!dims.has(d)) continue;
          if (d === 'reason') row.reason = variant.reason ? reasonName(k.reason, reasons) : null;
          else if (d === 'location') row.location = locationAt(raw, locationOffset);
          else if (d === 'pod') {
            // null, not undefined: known to be nobody's, which the drill-down must not read as "any pod".
            const w = podOf(k.cgroup_id, k.netns);
            row.pod = w.pod ?? null;
            row.namespace = w.namespace;
          }
          else if (d === 'proto') row.proto = protoName(k.l3_proto, k.l4_proto);
          else if (d === 'netns') row.netns = k.netns;
          else if (d === 'dev') row.devKey = `${k.netns}:${k.ifindex}`;
          parts.push(d === 'pod' ? `${row.namespace ?? ''}/${row.pod ?? ''}` : d === 'dev' ? String(row.devKey) : String(row[d]));
        }
        if (dims.has('reason') && dims.has('location')) row.site = `${k.reason}@${raw.readBigUInt64LE(locationOffset)}`;
        return { key: parts.join('|'), ...row } as unknown as Omit<NetdropRow, 'counts'>;
      };
    },
    events: o.eventsPerSec > 0 ? {
      map: 'events', struct: 'netdrop_event', spec: NETDROP_EVENT_SPEC,
      onEvent: (e, raw, layout) => {
        eventLocationOffset ??= layout.field('location').offset;
        e.rawLocation = raw.readBigUInt64LE(eventLocationOffset);
      },
    } : undefined,
    configure: (obj) => {
      if (!o.stack) obj.setMaxEntries('stacks', 1);
    },
    // Before attach: no drop is counted under filters not yet in place.
    afterLoad: (obj) => {
      fillSet(obj, 'reason_filter', o.reasons?.values ?? [], 4);
      netnsFilter = new NetnsFilter(obj, netnsPods, o.selected);
      netnsFilter.refresh();
    },
  });

  const obj = session.obj;
  const stacks = o.stack ? new SiteStacks(obj, ksyms) : undefined;
  const side = sideOf([
    new CounterTable('devices', DEVICES_TITLE, () => readDeviceDrops(), deviceDropsDelta, (r) => r.rx_dropped > 0 || r.tx_dropped > 0),
    new CounterTable('softnet', SOFTNET_DROPS_TITLE, readSoftnet, softnetDelta),
  ]);
  const read = session.readHistograms.bind(session);
  const take = session.takeEvents.bind(session) as unknown as () => RawEvent[];
  return Object.assign(session as unknown as LatencySession<Key, NetdropRow, NetdropEvent>, {
    attachKind,
    variant,
    rateCounts: NETDROP_RATED,
    side,
    readHistograms: (): NetdropRow[] => {
      netnsFilter.refresh();
      const siteStacks = stacks?.read();
      return read().map((r) => {
        const { devKey, site, ifindex, texts, ...row } = r as NetdropRow & { devKey?: string; site?: string; ifindex: number };
        const out: NetdropRow = { ...row };
        if (devKey !== undefined) out.dev = texts?.dev || (ifindex ? `if${ifindex}` : '-');
        const stack = site ? siteStacks?.get(site) : undefined;
        if (stack) out.stack = stack;
        return out;
      });
    },
    takeEvents: (): NetdropEvent[] => take().map((e) => eventOf(e, variant.reason ? reasonName(e.reason, reasons) : null, locationText(ksyms, e.rawLocation ?? 0n), podOf(e.cgroup_id, e.netns))),
  });
}

function eventOf(e: RawEvent, reason: string | null, location: string, who: { pod?: string; namespace?: string }): NetdropEvent {
  const addr = (b: number[]) => (e.family === 4 ? ipv4Text(Uint8Array.from(b)) : e.family === 6 ? ipv6Text(Uint8Array.from(b)) : null);
  const ports = e.l4_proto === 6 || e.l4_proto === 17 || e.l4_proto === 132 || e.l4_proto === 136;
  const icmp = e.l4_proto === 1 || e.l4_proto === 58;
  return {
    ts_ns: e.ts_ns,
    cpu: e.cpu,
    reason,
    location,
    proto: protoName(e.l3_proto, e.l4_proto),
    src: addr(e.saddr),
    sport: ports && e.family ? e.sport : null,
    dst: addr(e.daddr),
    dport: ports && e.family ? e.dport : null,
    tcp_flags: e.l4_proto === 6 && e.family ? tcpFlagLetters(e.tcp_flags) : null,
    icmp_type: icmp ? e.icmp_type : null,
    icmp_code: icmp ? e.icmp_code : null,
    len: e.len,
    dev: e.dev || null,
    ifindex: e.ifindex,
    netns: e.netns,
    cgroup_id: e.cgroup_id,
    pod: who.pod === undefined ? null : who.namespace ? `${who.namespace}/${who.pod}` : who.pod,
    headers: Buffer.from(e.hdr.slice(0, e.hdr_len)).toString('hex'),
  };
}

/**
 * With a pod selection, the pods' network namespaces in netns_filter, kept up to date: a pod
 * that restarts adds its new namespace, and one no longer the selection's is turned off
 * (value 0: its inode may be reused by another pod's namespace).
 */
class NetnsFilter {
  private known = new Set<number>();

  constructor(private readonly obj: BpfObject, private readonly pods: NetnsPods, private readonly selected?: () => ContainerInfo[]) {}

  refresh(): void {
    if (!this.selected) return;
    let containers: ContainerInfo[];
    try {
      containers = this.selected();
    } catch {
      return; // the selection has no container right now: keep what we have
    }
    const now = new Set(this.pods.inodesOf(containers));
    fillSet(this.obj, 'netns_filter', [...now].filter((n) => !this.known.has(n)), 4, 1);
    fillSet(this.obj, 'netns_filter', [...this.known].filter((n) => !now.has(n)), 4, 0);
    this.known = now;
  }
}

/** --stack: the kernel stack of each (reason, location), symbolized once. */
class SiteStacks {
  private readonly cache = new Map<string, string[]>();
  private readonly locationOffset: number;
  private readonly reasonOffset: number;

  constructor(private readonly obj: BpfObject, private readonly ksyms: KernelSymbols | undefined) {
    const layout = obj.struct('netdrop_site').expectSpec(NETDROP_SITE_SPEC);
    this.locationOffset = layout.field('location').offset;
    this.reasonOffset = layout.field('reason').offset;
  }

  /** site ("reason@location") → frames, outermost first. */
  read(): Map<string, string[]> {
    for (const { key, value } of this.obj.mapEntries('site_stacks')) {
      const site = `${key.readUInt32LE(this.reasonOffset)}@${key.readBigUInt64LE(this.locationOffset)}`;
      if (this.cache.has(site)) continue;
      const trace = this.obj.stackLookup('stacks', value.readInt32LE(0));
      if (!trace) continue;
      // Leaf first; every frame but the leaf is a return address.
      const frames = Array.from(trace, (a, i) => (this.ksyms ? this.ksyms.frame(a, i > 0).name : `0x${a.toString(16)}`));
      this.cache.set(site, dropTracerFrames(frames).reverse());
    }
    return this.cache;
  }
}

