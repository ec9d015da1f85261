// netdrop's own model: counter rows (packets and bytes per reason, location, pod, …, with
// their rates), dropped packets as events, and the side tables' titles. Plain data.
import type { KeyedValues } from './latency.js';

/** What a row can be keyed by: these dimensions, each row one combination of values. */
export const NETDROP_DIMS = ['reason', 'location', 'pod', 'proto', 'netns', 'dev'] as const;
export type NetdropDim = (typeof NETDROP_DIMS)[number];

/** --by values, the first the default; `all` is every dimension. */
export const NETDROP_BY = ['reason,location,pod', 'reason', 'reason,location', 'reason,pod', 'location', 'pod', 'proto', 'dev', 'netns', 'all'] as const;
export type NetdropBy = (typeof NETDROP_BY)[number];

export function dimsOf(by: NetdropBy): NetdropDim[] {
  return by === 'all' ? [...NETDROP_DIMS] : (by.split(',') as NetdropDim[]);
}

/** Counts that get per-second rates. */
export const NETDROP_RATED = ['packets', 'bytes'] as const;

export interface NetdropRow extends KeyedValues {
  /** The drop reason's name (NO_SOCKET, OPENVSWITCH:OVS_DROP_FLOW), its number if unknown, null before 5.17. */
  reason?: string | null;
  /** function+0xoffset of the code that freed the packet. */
  location?: string;
  /** namespace/pod of the socket's cgroup or, without a socket, of the network namespace; (host) or - otherwise. */
  pod?: string | null;
  namespace?: string;
  /** tcp, udp, icmp, icmpv6, ipv4, ipv6, arp, or 0x88cc style. */
  proto?: string;
  netns?: number;
  dev?: string;
  counts: { packets: number; bytes: number };
  rates?: { packets: number; bytes: number };
  /** --stack: the kernel stack of the first drop of this reason and location, outermost first. */
  stack?: string[];
}

/** One dropped packet, as the kernel parsed it. */
export interface NetdropEvent {
  ts_ns: number;
  cpu: number;
  reason: string | null;
  location: string;
  proto: string;
  src: string | null;
  sport: number | null;
  dst: string | null;
  dport: number | null;
  /** TCP flags as letters (S A F R P U E C), null if not TCP. */
  tcp_flags: string | null;
  icmp_type: number | null;
  icmp_code: number | null;
  len: number;
  dev: string | null;
  ifindex: number;
  netns: number;
  cgroup_id: number;
  pod: string | null;
  /** The header bytes the kernel copied (hex), from the network header on. */
  headers: string;
}

export const DEVICES_TITLE = 'device drops (rx_dropped / tx_dropped, host network namespace)';
export const SOFTNET_DROPS_TITLE = 'softnet_stat per CPU (backlog drops, time squeezes)';
