// netdrop against drops this test makes itself, all on loopback: UDP to closed ports on
// 127.0.0.1 and ::1 (NO_SOCKET), UDP into an nftables drop rule of a table the test creates
// and removes (NETFILTER_DROP), TCP SYNs to a closed port, and a 500,000-packet flood from
// two senders on two CPUs. Each run filters on the test's own ports in the kernel (--port),
// so drops of anything else on this machine are not counted; counts are asserted exactly.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { readlinkSync } from 'node:fs';
import { cpus } from 'node:os';
import { describeBpf } from '../helpers/env.js';
import { records as recordsOf, summaryOf as summaryRecord } from '../helpers/ndjson.js';
import { cleanupBuildDir, expectNothingLeft, huatuo, killAll, start, workload, type Run } from '../helpers/processes.js';
import { parseHeaders } from '../../src/tools/netdrop-packet.js';

interface Row { reason?: string | null; location?: string; pod?: string | null; proto?: string; dev?: string | null; packets: number; rate: number; bytes: number; stack?: string[] }
interface Event {
  ts_ns: number; cpu: number; reason: string | null; location: string; proto: string; src: string | null; sport: number | null;
  dst: string | null; dport: number | null; tcp_flags: string | null; len: number; dev: string | null; netns: number; pod: string | null; headers: string;
}
interface Rec { type: 'interval' | 'summary'; rows: Row[]; events: Event[]; lost: { ringbuf_full: number; rate_limited: number }; kfree_skb: string }

// Ports nobody listens on here, one per test so concurrent runs never see each other's drops.
const base = 41000 + (process.pid % 500) * 8;
const PORT = { udp: base, filters: base + 1, nft: base + 2, tcp: base + 3, flood: base + 4, reasonA: base + 5, reasonB: base + 6, raw: base + 7 };
const TABLE = `huatuo_test_${process.pid}`;

const records = (stdout: string) => recordsOf<Rec>(stdout);
const summaryOf = (r: Run) => summaryRecord<Rec>(r);
const packets = (rows: Row[], reason?: string) => rows.filter((r) => reason === undefined || r.reason === reason).reduce((n, r) => n + r.packets, 0);

/** A bounded UDP flood to a closed port (udp-flood.c), run to completion. */
function flood(count: number, port: number, addr = '127.0.0.1', cpu?: number): Promise<string> {
  const args = [workload('udp-flood'), String(count), String(port), '0', '15', addr];
  const p = cpu === undefined ? start(args[0], args.slice(1)) : start('taskset', ['-c', String(cpu), ...args]);
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`udp-flood exited ${code}: ${out}`)))));
}

/** n TCP connects to a closed port of 127.0.0.1, one after another: each is one SYN, answered by a RST. */
async function synsTo(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve() : reject(e)));
      s.on('connect', () => reject(new Error(`something listens on ${port}`)));
    });
  }
}

/** huatuo run that starts `during` once its program is attached, and waits for both. */
async function runDuring(args: string[], during: () => Promise<unknown>, env?: NodeJS.ProcessEnv): Promise<Run> {
  let work: Promise<unknown> | undefined;
  const run = await huatuo(args, {
    timeoutMs: 60_000,
    env: env ? { ...process.env, ...env } : undefined,
    onStart: (_p, bpf) => {
      work = bpf.attached.then(during);
      work.catch(() => {}); // awaited below
    },
  });
  runs.push(run);
  await work;
  expect(run.code, run.stderr).toBe(0);
  return run;
}

function nft(script: string): void {
  const r = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft failed: ${r.stderr}`);
}
function dropTableGone(): void {
  spawnSync('nft', ['delete', 'table', 'inet', TABLE], { encoding: 'utf8' });
}

const runs: Run[] = [];

describeBpf('netdrop (real BPF)', () => {
  beforeAll(() => {
    // Our own table: an input-hook chain dropping UDP to two of our ports, nothing else.
    dropTableGone();
    nft(`table inet ${TABLE} {\n chain input {\n  type filter hook input priority 0; policy accept;\n  udp dport { ${PORT.nft}, ${PORT.reasonB} } drop\n }\n}\n`);
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) await expectNothingLeft(r);
  });
  afterAll(async () => {
    dropTableGone();
    await killAll();
    cleanupBuildDir();
  });

  it('counts exactly N NO_SOCKET drops of its 100,000 datagrams to a closed port, with the 5-tuple in the events, IPv4 and IPv6', async () => {
    const N = 100_000;
    const N6 = 20_000;
    const run = await runDuring(['netdrop', '--port', `${PORT.udp}`, '--by', 'all', '--json', '-d', '5', '--rate', '1000'], async () => {
      // IPv6 first: the IPv4 flood would use up the second's events.
      await flood(N6, PORT.udp, '::1');
      await flood(N, PORT.udp);
    });
    // --port matches either end: the IPv6 flood uses the same port.
    const s = summaryOf(run);
    expect(s.kfree_skb).toBe('skb,location,reason,rx_sk');
    const v4 = s.rows.filter((r) => r.proto === 'udp' && r.reason === 'NO_SOCKET' && r.location?.startsWith('__udp4_lib_rcv'));
    const v6 = s.rows.filter((r) => r.proto === 'udp' && r.reason === 'NO_SOCKET' && r.location?.startsWith('__udp6_lib_rcv'));
    expect(packets(v4)).toBe(N);
    expect(packets(v6)).toBe(N6);
    expect(packets(s.rows)).toBe(N + N6);
    for (const r of [...v4, ...v6]) {
      expect(r.dev).toBe('lo');
      expect(r.pod).toBe('(host)');
      expect(r.bytes).toBe(r.packets * 24); // 8-byte UDP header + 16 bytes: the skb at the UDP layer
    }
    const events = records(run.stdout).filter((x) => x.type === 'interval').flatMap((x) => x.events);
    expect(events.length).toBeGreaterThan(100);
    for (const e of events) {
      expect(e.reason).toBe('NO_SOCKET');
      expect(e.proto).toBe('udp');
      expect(e.dport).toBe(PORT.udp);
      expect([e.src, e.dst]).toEqual(e.src === '::1' ? ['::1', '::1'] : ['127.0.0.1', '127.0.0.1']);
      expect(e.sport).toBeGreaterThan(0);
      expect(e.dev).toBe('lo');
      // The kernel's parse agrees with user space's parse of the same header bytes.
      const h = parseHeaders(Buffer.from(e.headers, 'hex'))!;
      expect({ src: h.src, dst: h.dst, sport: h.sport, dport: h.dport, l4: h.l4 }).toEqual({ src: e.src, dst: e.dst, sport: e.sport, dport: e.dport, l4: 'udp' });
    }
    expect(events.some((e) => e.src === '::1')).toBe(true);
  }, 90_000);

  it('counts exactly N NETFILTER_DROP of an nftables rule of its own table, where nftables drops', async () => {
    const N = 30_000;
    const run = await runDuring(['netdrop', '--port', `${PORT.nft}`, '--by', 'reason,location', '--json', '-d', '4'], () => flood(N, PORT.nft));
    const s = summaryOf(run);
    expect(s.rows.map((r) => r.reason)).toEqual(['NETFILTER_DROP']);
    expect(s.rows[0].packets).toBe(N);
    // nft_do_chain frees it since 6.x; nf_hook_slow before.
    expect(s.rows[0].location).toMatch(/^(nft_do_chain|nf_hook_slow)\+0x[0-9a-f]+$/);
  }, 60_000);

  it('counts TCP SYNs to a closed port as NO_SOCKET drops, the SYN flag shown', async () => {
    const N = 300;
    const run = await runDuring(['netdrop', '--port', `${PORT.tcp}`, '--proto', 'tcp', '--by', 'reason,location', '--json', '-d', '4', '--stack', '--rate', '10000'], () => synsTo(PORT.tcp, N));
    const s = summaryOf(run);
    expect(s.rows.map((r) => r.reason)).toEqual(['NO_SOCKET']);
    expect(s.rows[0].packets).toBe(N);
    expect(s.rows[0].location).toMatch(/^tcp_v4_rcv\+/);
    // --stack: the kernel stack of the site, outermost first, ending in the drop.
    expect(s.rows[0].stack).toContain('tcp_v4_rcv');
    expect(s.rows[0].stack!.join(';')).toMatch(/tcp_v4_connect;.*tcp_v4_rcv/);
    const events = records(run.stdout).filter((x) => x.type === 'interval').flatMap((x) => x.events);
    expect(events.length).toBe(N); // under --rate: every SYN
    for (const e of events) {
      expect(e.tcp_flags).toBe('S');
      expect(e.dport).toBe(PORT.tcp);
      expect(e.proto).toBe('tcp');
    }
  }, 60_000);

  it('under a 500,000-packet flood from two senders counts every drop, keeps events at --rate, and counts every event not sent', async () => {
    const N = 250_000;
    const RATE = 100;
    const ncpu = cpus().length;
    const run = await runDuring(['netdrop', '--port', `${PORT.flood}`, '--by', 'reason', '--json', '-d', '8', '--rate', String(RATE)], () =>
      Promise.all([flood(N, PORT.flood, '127.0.0.1', 0), flood(N, PORT.flood, '127.0.0.1', ncpu > 1 ? 1 : 0)]));
    const recs = records(run.stdout);
    const s = summaryOf(run);
    expect(packets(s.rows)).toBe(2 * N);
    const events = recs.filter((x) => x.type === 'interval').flatMap((x) => x.events);
    // Suppressed = sent − emitted, exactly: every drop is an event, over the rate, or lost to a full ring.
    expect(events.length + s.lost.rate_limited + s.lost.ringbuf_full).toBe(2 * N);
    // Per second of the kernel's clock, at most --rate (plus one per other CPU racing at a window's edge).
    const perSecond = new Map<number, number>();
    for (const e of events) perSecond.set(Math.floor(e.ts_ns / 1e9), (perSecond.get(Math.floor(e.ts_ns / 1e9)) ?? 0) + 1);
    for (const n of perSecond.values()) expect(n).toBeLessThanOrEqual(RATE + ncpu - 1);
    expect(Math.max(...perSecond.values())).toBeGreaterThanOrEqual(RATE);
    // Both senders' CPUs sent events.
    if (ncpu > 1) expect(new Set(events.map((e) => e.cpu)).size).toBe(2);
  }, 90_000);

  it('--reason keeps only the named reasons, --exclude-reason all others, in the kernel', async () => {
    const traffic = () => Promise.all([flood(5_000, PORT.reasonA), flood(5_000, PORT.reasonB)]);
    const only = summaryOf(await runDuring(['netdrop', '--reason', 'no_socket', '--by', 'reason', '--json', '-d', '3'], traffic));
    expect(only.rows.map((r) => r.reason)).toEqual(['NO_SOCKET']);
    expect(packets(only.rows)).toBeGreaterThanOrEqual(5_000);
    expect(only.events.every((e) => e.reason === 'NO_SOCKET')).toBe(true);
    const except = summaryOf(await runDuring(['netdrop', '--exclude-reason', 'NO_SOCKET', '--port', `${PORT.reasonB}`, '--by', 'reason', '--json', '-d', '3'], traffic));
    expect(except.rows.map((r) => r.reason)).toEqual(['NETFILTER_DROP']);
    expect(packets(except.rows)).toBe(5_000);
  }, 60_000);

  it('--host, --proto, --dev and --netns select in the kernel: each run counts exactly its share of an IPv4 and an IPv6 flood', async () => {
    const N4 = 6_000;
    const N6 = 4_000;
    const ours = Number(/\d+/.exec(readlinkSync('/proc/self/ns/net'))![0]);
    const traffic = async () => { await flood(N4, PORT.filters); await flood(N6, PORT.filters, '::1'); };
    const count = async (args: string[]) => packets(summaryOf(await runDuring(['netdrop', '--port', `${PORT.filters}`, ...args, '--by', 'reason', '--json', '-d', '3'], traffic)).rows);
    expect(await count(['--host', '::1'])).toBe(N6);
    expect(await count(['--host', '127.0.0.0/8', '--proto', 'udp'])).toBe(N4);
    expect(await count(['--proto', 'tcp'])).toBe(0);
    expect(await count(['--dev', 'lo', '--netns', String(ours)])).toBe(N4 + N6);
    expect(await count(['--netns', String(ours + 1)])).toBe(0);
  }, 90_000);

  it('raw_tp (kernels without tp_btf) counts the same drops exactly', async () => {
    const N = 20_000;
    const run = await runDuring(['netdrop', '--port', `${PORT.raw}`, '--by', 'reason', '--json', '-d', '3'], () => flood(N, PORT.raw), { HUATUO_ATTACH: 'raw_tp' });
    const s = summaryOf(run);
    expect(s.rows).toEqual([expect.objectContaining({ reason: 'NO_SOCKET', packets: N })]);
    expect(records(run.stdout)[0]).toHaveProperty('attach', 'raw_tp');
  }, 60_000);

  it('refuses bad input before attaching anything: an unknown reason (exit 2, close names), --pid, a bad --host', async () => {
    const r = await huatuo(['netdrop', '--reason', 'NO_SOCKT', '-d', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no drop reason "NO_SOCKT".*NO_SOCKET/);
    expect(r.held.links).toEqual([]);
    // A pid that is not running would get a warning from the common filter first: netdrop refuses --pid before it.
    for (const args of [['--pid', '4194000'], ['--comm', 'x'], ['--host', '10.0.0.0/33'], ['--proto', 'quic'], ['--dev', 'no-such-dev0'],
      ['--reason', 'NO_SOCKET', '--exclude-reason', 'NOT_SPECIFIED'], ['--stack', '--by', 'pod'], ['--cgroup-hierarchy', 'cpu'], ['--rate', '-1']]) {
      const bad = await huatuo(['netdrop', ...args, '-d', '1']);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(bad.held.links).toEqual([]);
    }
  }, 60_000);
});
