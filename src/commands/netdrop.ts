// huatuo netdrop: packets the kernel dropped, counted per reason, location and pod, with
// the packets themselves as rate-limited events. Its own flags and their checks; the rest
// is the kit's command (latency-command.ts): flags → startNetdrop (bpf/netdrop.bpf.c) → sinks.
import { Option } from 'commander';
import { readFileSync, readdirSync } from 'node:fs';
import { CgroupHier } from '../containers/cgroup.js';
import { usageError, HuatuoError, ExitCode } from '../errors.js';
import { intArg } from '../options/values.js';
import { podSelector } from '../options/common.js';
import { NETDROP_BY, type NetdropBy, type NetdropEvent, type NetdropRow } from '../model/netdrop.js';
import { netdropEventFields, netdropFields, netdropRowEvents, NETDROP_SIDE } from '../output/netdrop-fields.js';
import { kfreeSkbVariant, PROTO_NUMBERS, startNetdrop } from '../tools/netdrop.js';
import { netnsInode } from '../tools/netdrop-netns.js';
import { parseCidr } from '../tools/netdrop-packet.js';
import { kernelDropReasons, reasonValues } from '../tools/netdrop-reasons.js';
import { latencyCommand, type LatencyFlags } from './latency-command.js';

interface NetdropFlags extends LatencyFlags {
  by: NetdropBy;
  proto?: string;
  port?: number;
  host?: string;
  reason?: string;
  excludeReason?: string;
  netns?: number;
  dev?: string;
  rate: number;
  stack?: boolean;
}

function protoNumber(arg: string | undefined): number {
  if (arg === undefined) return 0;
  const p = arg.trim().toLowerCase();
  if (PROTO_NUMBERS[p] !== undefined) return PROTO_NUMBERS[p];
  if (/^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 255) return Number(p);
  throw usageError(`--proto: ${JSON.stringify(arg)} is not ${Object.keys(PROTO_NUMBERS).join(', ')} or an IP protocol number (1-255)`);
}

/** --dev NAME: its index in the host's network namespace (a pod's device: use --netns). */
function deviceOf(name: string): { ifindex: number; netns: number } {
  let ifindex: number;
  try {
    ifindex = Number(readFileSync(`/sys/class/net/${name.replace(/\//g, '')}/ifindex`, 'utf8').trim());
  } catch {
    let have: string[] = [];
    try {
      have = readdirSync('/sys/class/net');
    } catch { /* no sysfs */ }
    throw usageError(`--dev: no device ${JSON.stringify(name)} in the host network namespace (have: ${have.join(', ') || 'none'})`);
  }
  return { ifindex, netns: netnsInode('', 'self') ?? 0 };
}

/** netdrop's flags checked and parsed, before anything is attached (and before pods are looked up). */
function prepare(flags: NetdropFlags) {
  if (flags.pid !== undefined || flags.tid !== undefined || flags.comm !== undefined) {
    throw usageError('netdrop: packets are dropped in softirq context, not by a task: filter with --pod, --container, --cgroup, --netns or --host');
  }
  if (flags.cgroupHierarchy && flags.cgroupHierarchy !== 'v2') throw usageError('netdrop: sockets belong to cgroup v2 cgroups only: --cgroup-hierarchy v2');
  if (flags.stack && flags.by !== 'all' && !(flags.by.includes('reason') && flags.by.includes('location'))) {
    throw usageError(`--stack: stacks are per reason and location; --by ${flags.by} has no row for them (use --by reason,location[,pod] or all)`);
  }
  const host = flags.host === undefined ? undefined : parseCidr(flags.host) ?? undefined;
  if (flags.host !== undefined && !host) throw usageError(`--host: ${JSON.stringify(flags.host)} is not an address or a CIDR (10.0.0.0/8, fd00::/8)`);
  if (flags.reason !== undefined && flags.excludeReason !== undefined) throw usageError('--reason and --exclude-reason do not combine: use one');
  const l4Proto = protoNumber(flags.proto);
  const dev = flags.dev === undefined ? undefined : deviceOf(flags.dev);
  const variant = kfreeSkbVariant();
  if (!variant) throw new HuatuoError('netdrop: this kernel\'s BTF has no prototype of the skb:kfree_skb tracepoint', ExitCode.Unsupported);
  const reasonArg = flags.reason ?? flags.excludeReason;
  const dropReasons = kernelDropReasons();
  let reasons: { mode: 'only' | 'except'; values: number[] } | undefined;
  if (reasonArg !== undefined) {
    if (!variant.reason) throw new HuatuoError('netdrop: this kernel\'s kfree_skb passes no drop reason (5.17+): --reason cannot be used', ExitCode.Unsupported);
    reasons = { mode: flags.reason !== undefined ? 'only' : 'except', values: reasonValues(flags.reason !== undefined ? '--reason' : '--exclude-reason', reasonArg, dropReasons) };
  }
  return { variant, host, reasons, reasonArg, dropReasons, l4Proto, dev };
}

export function netdropCommand() {
  // check() runs before start(), always (latencyCommand): start() uses what it parsed.
  let prepared: ReturnType<typeof prepare>;
  return latencyCommand<NetdropFlags, NetdropRow, NetdropEvent>({
    name: 'netdrop',
    by: NETDROP_BY,
    options: (cmd) => {
      cmd.option('--proto <p>', 'only this transport: tcp, udp, icmp, icmpv6, sctp, or a protocol number');
      cmd.option('--port <n>', 'only packets with this port at either end', intArg({ min: 1, max: 65535 }));
      cmd.option('--host <cidr>', 'only packets with an address in this network at either end (10.0.0.0/8, ::1)');
      cmd.option('--reason <names>', 'only these drop reasons, comma separated (as this kernel names them: NO_SOCKET, NETFILTER_DROP, …)');
      cmd.option('--exclude-reason <names>', 'every drop reason but these');
      cmd.option('--netns <inode>', 'only drops in this network namespace (the inode of /proc/PID/ns/net)', intArg({ min: 1, max: 2 ** 32 - 1 }));
      cmd.option('--dev <name>', 'only drops on this device of the host network namespace');
      cmd.addOption(new Option('--rate <n>', 'dropped packets sent as events per second, node-wide; the rest are counted (0: none)').argParser(intArg({ min: 0, max: 1_000_000 })).default(100));
      cmd.option('--stack', 'the kernel stack of the first drop of each reason and location');
    },
    examples: [
      ['huatuo netdrop', 'live table of drops by reason, location and pod, until q or Ctrl-C'],
      ['huatuo netdrop -d 10 --by reason', 'ten seconds, one row per drop reason'],
      ['huatuo netdrop --proto tcp --port 443 --stack', 'drops of port-443 TCP packets, with the kernel stack of each drop site'],
      ['huatuo netdrop --pod checkout-7d9f -n shop', 'one pod\'s drops: by its sockets, and in its network namespace'],
      ['huatuo netdrop --reason NO_SOCKET,NETFILTER_DROP --json -d 5', 'NDJSON of two reasons, with the dropped packets'],
    ],
    fields: (by) => netdropFields(by as NetdropBy),
    eventFields: netdropEventFields,
    rowEvents: netdropRowEvents,
    countName: 'drops',
    sideFields: { devices: NETDROP_SIDE.devices.fields, softnet: NETDROP_SIDE.softnet.fields },
    sortBy: 'packets',
    // Sockets belong to cgroups of the unified hierarchy (cgroup v2) only.
    defaultMount: (mounts) => mounts.find((m) => m.hier === CgroupHier.V2),
    check: (flags) => {
      prepared = prepare(flags);
    },
    start: ({ flags, filter, cgroups }) => {
      if (filter.cgroups && filter.cgroups.mount.hier !== CgroupHier.V2) throw usageError('netdrop: --cgroup must be a cgroup v2 path: sockets belong to the unified hierarchy');
      const { variant, host, reasons, reasonArg, dropReasons, l4Proto, dev } = prepared;
      const sel = podSelector(flags);
      const session = startNetdrop({
        by: flags.by,
        filter,
        resolver: cgroups.resolver,
        mount: cgroups.mount,
        selected: sel ? () => cgroups.resolver().select(sel) : undefined,
        reasons,
        l4Proto,
        port: flags.port ?? 0,
        host,
        netns: flags.netns ?? 0,
        dev,
        eventsPerSec: flags.rate,
        stack: !!flags.stack,
        variant,
        dropReasons,
      });
      return {
        session,
        meta: {
          by: flags.by,
          kfree_skb: session.variant.name,
          attach: session.attachKind,
          rate: flags.rate,
          ...(reasons ? { reasons: `${reasons.mode} ${reasonArg}` } : {}),
        },
      };
    },
  });
}
