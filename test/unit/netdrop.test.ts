// netdrop's packet parsing on packets captured from this machine's loopback
// (test/fixtures/netdrop/lo-packets.json: a UDP datagram to 127.0.0.1:9, the ICMP port
// unreachable it got back, a TCP SYN to port 1 and its RST, and the same UDP and ICMPv6
// over ::1), cut copies of them, the --host CIDR filter, and drop reason names from BTF.
import { describe, expect, it } from 'vitest';
import { subsysEnumsFrom } from '../../src/tools/netdrop-reasons.js';
import { protoName } from '../../src/tools/netdrop.js';
import { netdropFields, netdropRowEvents } from '../../src/output/netdrop-fields.js';
import type { NetdropEvent, NetdropRow } from '../../src/model/netdrop.js';
import { jsonRow } from '../../src/model/fields.js';
import { readFileSync } from 'node:fs';
import { cidrContains, ipv6Text, parseCidr, parseHeaders } from '../../src/tools/netdrop-packet.js';
import { packagePath } from '../../src/paths.js';
import { dropReasonsFrom, kernelDropReasons, reasonName, reasonValues } from '../../src/tools/netdrop-reasons.js';
import { native } from '../../src/bpf-loader/native.js';
import { HuatuoError } from '../../src/errors.js';

const packets = (JSON.parse(readFileSync(packagePath('test', 'fixtures', 'netdrop', 'lo-packets.json'), 'utf8')) as string[]).map((h) => Buffer.from(h, 'hex'));
const [udp4, icmp4, syn, rst, udp6, icmp6] = packets;

describe('parseHeaders on captured loopback packets', () => {
  it('UDP over IPv4: addresses, ports, length', () => {
    expect(parseHeaders(udp4)).toMatchObject({ family: 4, src: '127.0.0.1', dst: '127.0.0.1', l4: 'udp', protocol: 17, dport: 9, length: 42, tcp_flags: null, truncated: false });
    expect(parseHeaders(udp4)!.sport).toBeGreaterThan(1023);
  });
  it('ICMP port unreachable: type 3 code 3, no ports', () => {
    expect(parseHeaders(icmp4)).toMatchObject({ family: 4, l4: 'icmp', icmp_type: 3, icmp_code: 3, sport: null, dport: null });
  });
  it('TCP: the SYN to port 1 and the RST|ACK back, flags as letters', () => {
    expect(parseHeaders(syn)).toMatchObject({ l4: 'tcp', dport: 1, tcp_flags: 'S' });
    expect(parseHeaders(rst)).toMatchObject({ l4: 'tcp', sport: 1, tcp_flags: 'AR' });
  });
  it('IPv6: UDP to ::1 and the ICMPv6 unreachable (type 1, code 4: port unreachable)', () => {
    expect(parseHeaders(udp6)).toMatchObject({ family: 6, src: '::1', dst: '::1', l4: 'udp', dport: 9 });
    expect(parseHeaders(icmp6)).toMatchObject({ family: 6, l4: 'icmpv6', icmp_type: 1, icmp_code: 4 });
  });
  it('truncated copies: cut inside the transport header is flagged, inside the IP header is no packet', () => {
    expect(parseHeaders(syn.subarray(0, 24))).toMatchObject({ l4: 'tcp', sport: null, truncated: true });
    expect(parseHeaders(udp4.subarray(0, 19))).toBeNull();
    expect(parseHeaders(udp6.subarray(0, 39))).toBeNull();
    expect(parseHeaders(Buffer.from([0x10, 0, 0, 0]))).toBeNull(); // not IP
  });
  it('a non-first IPv4 fragment has no ports', () => {
    const frag = Buffer.from(udp4);
    frag[6] = 0x00; frag[7] = 0x10; // fragment offset 16 (x8 bytes)
    expect(parseHeaders(frag)).toMatchObject({ l4: 'udp', sport: null, dport: null, truncated: false });
  });
});

describe('addresses and --host', () => {
  it('writes IPv6 as RFC 5952', () => {
    expect(ipv6Text(Buffer.from('20010db8000000000000000000000001', 'hex'))).toBe('2001:db8::1');
    expect(ipv6Text(Buffer.from('20010db8000000010000000000000001', 'hex'))).toBe('2001:db8:0:1::1');
    expect(ipv6Text(Buffer.from('00000000000000000000000000000000', 'hex'))).toBe('::');
  });
  it('parses addresses and CIDRs of both families, refuses the rest', () => {
    expect(parseCidr('127.0.0.1')).toMatchObject({ family: 4, prefix: 32, text: '127.0.0.1/32' });
    expect(parseCidr('10.1.2.3/8')!.text).toBe('10.0.0.0/8');
    expect(parseCidr('fd00::1/8')!.text).toBe('fd00::/8');
    for (const bad of ['1.2.3', '1.2.3.256', '10.0.0.0/33', '::1/129', 'fd00:::1', 'host', '1.2.3.4/8/1']) expect(parseCidr(bad), bad).toBeNull();
  });
  it('matches either end of a captured packet', () => {
    const lo = parseCidr('127.0.0.0/8')!;
    expect(cidrContains(lo, udp4.subarray(12, 16))).toBe(true);
    expect(cidrContains(parseCidr('10.0.0.0/8')!, udp4.subarray(12, 16))).toBe(false);
    expect(cidrContains(parseCidr('::1')!, udp6.subarray(24, 40))).toBe(true);
    expect(cidrContains(lo, udp6.subarray(24, 40))).toBe(false); // other family
  });
});

describe('drop reasons from BTF', () => {
  // The running kernel's enums (BTF is world-readable: no root needed).
  const kernel = kernelDropReasons();
  const OVS = 2;
  // A subsystem's own enum, as openvswitch's module BTF has it (values carry the subsystem in the high bits).
  const withOvs = dropReasonsFrom(
    native().kernelEnum('skb_drop_reason'),
    { SKB_DROP_REASON_SUBSYS_CORE: 0, SKB_DROP_REASON_SUBSYS_OPENVSWITCH: OVS, SKB_DROP_REASON_SUBSYS_NUM: 3 },
    new Map([[OVS, { OVS_DROP_LAST_ACTION: (OVS << 16) + 1, OVS_DROP_ACTION_ERROR: (OVS << 16) + 2 }]]),
  );

  it('names core reasons from the running kernel\'s enum skb_drop_reason, prefix dropped', () => {
    const e = native().kernelEnum('skb_drop_reason');
    if (!e) return expect(kernel.core.size).toBe(0); // before 5.17: no reasons, rows show locations only
    expect(reasonName(e.SKB_DROP_REASON_NO_SOCKET, kernel)).toBe('NO_SOCKET');
    expect(reasonName(e.SKB_DROP_REASON_NOT_SPECIFIED, kernel)).toBe('NOT_SPECIFIED');
    expect(kernel.core.size).toBeGreaterThan(50);
    expect([...kernel.core.values()]).not.toContain('MAX');
  });

  it('subsystem-encoded values: SUBSYS:NAME with the subsystem\'s enum, SUBSYS:N without, a number when unknown', () => {
    expect(withOvs.shift).toBe(16);
    expect(reasonName((OVS << 16) + 2, withOvs)).toBe('OPENVSWITCH:OVS_DROP_ACTION_ERROR');
    expect(reasonName((OVS << 16) + 9, withOvs)).toBe('OPENVSWITCH:9');
    expect(reasonName((7 << 16) + 1, withOvs)).toBe(String((7 << 16) + 1));
    expect(reasonName(99999, dropReasonsFrom(null, null))).toBe('99999');
  });

  it('--reason names in any case, with or without the prefix; an unknown one is a usage error with close names', () => {
    const e = native().kernelEnum('skb_drop_reason');
    if (!e) return;
    expect(reasonValues('--reason', 'no_socket,SKB_DROP_REASON_NETFILTER_DROP', kernel)).toEqual([e.SKB_DROP_REASON_NO_SOCKET, e.SKB_DROP_REASON_NETFILTER_DROP]);
    expect(reasonValues('--reason', 'OVS_DROP_LAST_ACTION', withOvs)).toEqual([(OVS << 16) + 1]);
    // As rows show it, SUBSYS:NAME.
    expect(reasonValues('--reason', 'openvswitch:OVS_DROP_ACTION_ERROR', withOvs)).toEqual([(OVS << 16) + 2]);
    expect(() => reasonValues('--reason', 'NO_SOCKETS', kernel)).toThrow(HuatuoError);
    expect(() => reasonValues('--reason', 'NO_SOCKETS', kernel)).toThrow(/no drop reason "NO_SOCKETS"; did you mean NO_SOCKET/);
  });
});

describe('subsystems\' own reasons from module BTF', () => {
  const OVS = 2;
  const MAC = 1;
  // Module enums as kernelModuleEnums gives them: the openvswitch module's, one of mac80211's, and unrelated ones.
  const modules = [
    { ovs_drop_reason: { OVS_DROP_LAST_ACTION: (OVS << 16) + 1, OVS_DROP_ACTION_ERROR: (OVS << 16) + 2 }, ovs_key_attr: { OVS_KEY_ATTR_UNSPEC: 0, OVS_KEY_ATTR_ENCAP: 1 } },
    { mac80211_drop_reason: { RX_DROP_U_MIC_FAIL: (MAC << 16) + 1 }, nl80211_band: { NL80211_BAND_2GHZ: 0 } },
  ];

  it('picks, per subsystem, the enum whose every value carries its id in the high bits', () => {
    const found = subsysEnumsFrom(modules, [MAC, OVS], 16);
    expect([...found.keys()].sort()).toEqual([MAC, OVS]);
    expect(found.get(OVS)).toEqual(modules[0].ovs_drop_reason);
    // A subsystem the kernel does not list is not taken.
    expect([...subsysEnumsFrom(modules, [OVS], 16).keys()]).toEqual([OVS]);
  });

  it('is read only when a subsystem value or name first needs it, then names it SUBSYS:NAME', () => {
    let reads = 0;
    const r = dropReasonsFrom(null, { SKB_DROP_REASON_SUBSYS_CORE: 0, SKB_DROP_REASON_SUBSYS_OPENVSWITCH: OVS });
    r.loadSubsys = () => (reads++, subsysEnumsFrom(modules, [OVS], 16));
    expect(reads).toBe(0);
    expect(reasonName((OVS << 16) + 1, r)).toBe('OPENVSWITCH:OVS_DROP_LAST_ACTION');
    expect(reasonName((OVS << 16) + 2, r)).toBe('OPENVSWITCH:OVS_DROP_ACTION_ERROR');
    expect(reads).toBe(1);
    const byName = dropReasonsFrom(null, { SKB_DROP_REASON_SUBSYS_OPENVSWITCH: OVS });
    byName.loadSubsys = () => subsysEnumsFrom(modules, [OVS], 16);
    expect(reasonValues('--reason', 'ovs_drop_action_error', byName)).toEqual([(OVS << 16) + 2]);
  });
});

describe('netdrop rows and events', () => {
  it('names protocols: the transport of IP packets, else the link-layer protocol', () => {
    expect(protoName(0x0800, 17)).toBe('udp');
    expect(protoName(0x86dd, 58)).toBe('icmpv6');
    expect(protoName(0x0800, 47)).toBe('ipv4/47');
    expect(protoName(0x0806, 0)).toBe('arp');
    expect(protoName(0x88b5, 0)).toBe('0x88b5');
    expect(protoName(0, 0)).toBe('-');
  });

  it('a row\'s drill-down events: those matching every key the row has', () => {
    const e = { reason: 'NO_SOCKET', location: 'a+0x1', pod: 'shop/net-a', proto: 'udp', netns: 7, dev: 'eth0', ifindex: 2 } as unknown as NetdropEvent;
    const row = (r: Partial<NetdropRow>) => ({ key: 'k', counts: { packets: 1, bytes: 1 }, ...r }) as NetdropRow;
    expect(netdropRowEvents(row({ reason: 'NO_SOCKET', location: 'a+0x1', pod: 'net-a', namespace: 'shop' }), e)).toBe(true);
    expect(netdropRowEvents(row({ reason: 'NO_SOCKET', pod: '(host)' }), e)).toBe(false);
    expect(netdropRowEvents(row({ reason: 'NETFILTER_DROP' }), e)).toBe(false);
    expect(netdropRowEvents(row({ dev: 'eth0', netns: 7 }), e)).toBe(true);
    expect(netdropRowEvents(row({ dev: 'lo' }), e)).toBe(false);
  });

  it('fields per --by: key columns, then packets, packets/s with one decimal, bytes; JSON keeps them as numbers', () => {
    const fields = netdropFields('reason,location,pod');
    expect(fields.map((f) => f.name)).toEqual(['reason', 'location', 'namespace', 'pod', 'packets', 'rate', 'bytes']);
    expect(netdropFields('all').map((f) => f.name).slice(0, 7)).toEqual(['reason', 'location', 'namespace', 'pod', 'proto', 'netns', 'dev']);
    const r = { key: 'x', reason: 'NO_SOCKET', location: 'f+0x1', pod: '(host)', counts: { packets: 3, bytes: 72 }, rates: { packets: 1.26, bytes: 30.24 } } as NetdropRow;
    expect(jsonRow(fields, r)).toEqual({ reason: 'NO_SOCKET', location: 'f+0x1', namespace: null, pod: '(host)', packets: 3, rate: 1.3, bytes: 72 });
  });
});

