// netdrop's packet side in user space: the headers of a dropped packet (the bytes the
// kernel copies from its network header on) as a 5-tuple, and the --host CIDR filter.
// Pure functions on bytes and strings: the tests feed them captured packets.

export type L4 = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';

export interface PacketHeaders {
  family: 4 | 6;
  src: string;
  dst: string;
  /** IP protocol / IPv6 next header of the transport (after IPv6 extension headers). */
  protocol: number;
  l4: L4;
  /** null when the packet has no ports (ICMP) or was cut before them. */
  sport: number | null;
  dport: number | null;
  /** TCP flags as letters in the order S A F R P U E C (SYN, ACK, FIN, RST, PSH, URG, ECE, CWR), '.' for none; null if not TCP. */
  tcp_flags: string | null;
  /** ICMP type and code, or null. */
  icmp_type: number | null;
  icmp_code: number | null;
  /** IP total length (IPv4) or payload length + 40 (IPv6), as the header says. */
  length: number;
  /** The copy ended before the transport header's fields we read. */
  truncated: boolean;
}

const L4_NAMES: Record<number, L4> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmpv6' };
/** IPv6 extension headers that have the generic (next header, length) layout. */
const IPV6_EXTENSIONS = new Set([0, 43, 60, 135, 139, 140]);
const IPV6_FRAGMENT = 44;
const TCP_FLAG_LETTERS: Array<[number, string]> = [[0x02, 'S'], [0x10, 'A'], [0x01, 'F'], [0x04, 'R'], [0x08, 'P'], [0x20, 'U'], [0x40, 'E'], [0x80, 'C']];

/** A TCP header's flag byte as letters (S A F R P U E C), '.' for none. */
export function tcpFlagLetters(f: number): string {
  return TCP_FLAG_LETTERS.filter(([bit]) => f & bit).map(([, c]) => c).join('') || '.';
}

export function ipv4Text(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of two or more zero groups as ::. */
export function ipv6Text(b: Uint8Array, at = 0): string {
  const groups = Array.from({ length: 8 }, (_, i) => (b[at + 2 * i] << 8) | b[at + 2 * i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Parse the headers from the start of the network header; null if not IPv4/IPv6 or too short for the IP header. */
export function parseHeaders(b: Uint8Array): PacketHeaders | null {
  if (b.length < 1) return null;
  const version = b[0] >> 4;
  let protocol: number;
  let l4at: number;
  let base: Omit<PacketHeaders, 'protocol' | 'l4' | 'sport' | 'dport' | 'tcp_flags' | 'icmp_type' | 'icmp_code' | 'truncated'>;
  if (version === 4) {
    const ihl = (b[0] & 0x0f) * 4;
    if (b.length < 20 || ihl < 20) return null;
    protocol = b[9];
    l4at = ihl;
    base = { family: 4, src: ipv4Text(b, 12), dst: ipv4Text(b, 16), length: (b[2] << 8) | b[3] };
    // A later fragment carries no transport header.
    if (((b[6] & 0x1f) << 8 | b[7]) !== 0) l4at = -1;
  } else if (version === 6) {
    if (b.length < 40) return null;
    protocol = b[6];
    l4at = 40;
    base = { family: 6, src: ipv6Text(b, 8), dst: ipv6Text(b, 24), length: ((b[4] << 8) | b[5]) + 40 };
    for (let hops = 0; hops < 8 && l4at >= 0; hops++) {
      if (IPV6_EXTENSIONS.has(protocol)) {
        if (b.length < l4at + 2) { l4at = b.length; break; }
        const next = b[l4at];
        l4at += (b[l4at + 1] + 1) * 8;
        protocol = next;
      } else if (protocol === IPV6_FRAGMENT) {
        if (b.length < l4at + 8) { l4at = b.length; break; }
        const offset = ((b[l4at + 2] << 8) | b[l4at + 3]) >> 3;
        protocol = b[l4at];
        l4at = offset === 0 ? l4at + 8 : -1;
      } else {
        break;
      }
    }
  } else {
    return null;
  }
  const l4 = L4_NAMES[protocol] ?? 'other';
  const out: PacketHeaders = { ...base, protocol, l4, sport: null, dport: null, tcp_flags: null, icmp_type: null, icmp_code: null, truncated: false };
  if (l4at < 0) return out; // a non-first fragment
  const need = l4 === 'tcp' ? 14 : l4 === 'udp' ? 4 : l4 === 'icmp' || l4 === 'icmpv6' ? 2 : 0;
  if (b.length < l4at + need) return { ...out, truncated: need > 0 };
  if (l4 === 'tcp' || l4 === 'udp') {
    out.sport = (b[l4at] << 8) | b[l4at + 1];
    out.dport = (b[l4at + 2] << 8) | b[l4at + 3];
  }
  if (l4 === 'tcp') {
    const f = b[l4at + 13];
    out.tcp_flags = tcpFlagLetters(f);
  }
  if (l4 === 'icmp' || l4 === 'icmpv6') {
    out.icmp_type = b[l4at];
    out.icmp_code = b[l4at + 1];
  }
  return out;
}

export interface Cidr {
  family: 4 | 6;
  /** The network's bytes (4 or 16). */
  bytes: Uint8Array;
  prefix: number;
  text: string;
}

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(s: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return null;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const part = (x: string | undefined): number[] | null => {
    if (!x) return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = part(head);
  const t = part(tail);
  if (!h || !t) return null;
  if (tail === undefined ? h.length !== 8 : h.length + t.length > 7) return null;
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
}

/** Parse --host: an address or a CIDR (1.2.3.0/24, fd00::/8); null when it is neither. */
export function parseCidr(s: string): Cidr | null {
  const [addr, len, extra] = s.trim().split('/');
  if (extra !== undefined || !addr) return null;
  const v4 = parseIpv4(addr);
  const bytes = v4 ?? parseIpv6(addr);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return null;
  const net = Uint8Array.from(bytes, (byte, i) => {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & (0xff << (8 - bits)) & 0xff;
  });
  return { family: v4 ? 4 : 6, bytes: net, prefix, text: `${v4 ? ipv4Text(net, 0) : ipv6Text(net)}/${prefix}` };
}

/** Whether an address (4 or 16 bytes) is inside the CIDR. */
export function cidrContains(c: Cidr, addr: Uint8Array): boolean {
  if (addr.length !== c.bytes.length) return false;
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.min(8, Math.max(0, c.prefix - i * 8));
    const mask = (0xff << (8 - bits)) & 0xff;
    if ((addr[i] & mask) !== c.bytes[i]) return false;
  }
  return true;
}
