// The BPF tools' real records against docs/schemas/: schedlat, softirq, memreclaim and netdrop --json
// (interval and summary), their captures and profile's, report on them, profile --json, and the pod
// labels of a real containerd's pods (containers --json, schedlat --by container).
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { describeBpf } from '../helpers/env.js';
import { workload, start, killAll, huatuo, huatuoOk, waitForComm, expectNothingLeft } from '../helpers/processes.js';
import { ContainerdHarness, describeContainerd, busyWorkload, cleanupBusyboxRootfs, HOG_COMM, SLEEPER_COMM } from '../helpers/containerd.js';
import { schemaValidator } from '../../src/capture/schemas.js';
import { SNAKE_CASE } from '../helpers/naming.js';
import { SOFTIRQ_BY } from '../../src/model/softirq.js';
import { NETDROP_BY } from '../../src/model/netdrop.js';
import { MEMRECLAIM_BY } from '../../src/model/memreclaim.js';
import { MemoryPressure } from '../helpers/memcg.js';

const CPU = String(cpus().length - 1);
const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

async function expectValid(schema: string, value: unknown): Promise<void> {
  expect((await schemaValidator(schema))(value), JSON.stringify(value).slice(0, 400)).toBeNull();
}

/** Every key of every object, but those of maps keyed by data (BPF program names). */
function keys(v: unknown, parent = '', out: string[] = []): string[] {
  if (v === null || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v)) {
    if (!Array.isArray(v) && parent !== 'programs') out.push(k);
    keys(x, Array.isArray(v) ? parent : k, out);
  }
  return out;
}

const ok = (args: string[], env?: NodeJS.ProcessEnv) => huatuoOk(args, { env });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'huatuo-schemas-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeBpf('records of real runs match docs/schemas', () => {
  let hog: ChildProcess;
  beforeAll(async () => {
    // A FIFO hog 2 ms on, 2 ms off and a sleeper on its CPU: rows in every interval, slow
    // events over 100 us (a CFS hog would barely delay the sleeper under EEVDF).
    const bin = workload('spin-sleep');
    hog = start('taskset', ['-c', CPU, 'chrt', '-f', '50', bin, 'ht-schema-hog', '2000', '2000', '60']);
    const sleeper = start('taskset', ['-c', CPU, bin, 'ht-schema-slp', '0', '500', '60']);
    await waitForComm(hog, 'ht-schema-hog');
    await waitForComm(sleeper, 'ht-schema-slp');
  });
  afterAll(async () => {
    await killAll();
  });

  for (const by of ['comm', 'pid', 'tid', 'cpu', 'cgroup', 'pod', 'container']) {
    it(`schedlat --json --by ${by}: interval and summary records, and the capture`, async () => {
      const cap = join(dir, 'cap.json');
      const r = await ok(['schedlat', '--by', by, '--threshold', '100us', '--json', '-d', '2', '-i', '1', '-o', cap]);
      const recs = lines(r.stdout);
      expect(recs.at(-1)!.type).toBe('summary');
      expect(recs.filter((x) => x.type === 'interval').length).toBeGreaterThanOrEqual(1);
      for (const rec of recs) {
        await expectValid('schedlat-record.schema.json', rec);
        for (const k of keys(rec)) expect(k).toMatch(SNAKE_CASE);
      }
      const summary = recs.at(-1) as { rows: Array<Record<string, unknown>>; events: unknown[] };
      expect(summary.rows.length).toBeGreaterThan(0);
      expect(summary.events.length).toBeGreaterThan(0);
      for (const row of summary.rows) expect(Object.values(row)).not.toContain('-');
      if (by === 'pod' || by === 'container') {
        // This test's tasks run on the host: their labels are not known, so null.
        const host = summary.rows.find((x) => x.pod === '(host)')!;
        expect(host.namespace).toBeNull();
        if (by === 'container') expect(host.container_id).toBeNull();
      }
      const capture = JSON.parse(readFileSync(cap, 'utf8'));
      expect(capture.version).toBe(2);
      await expectValid('capture.schema.json', capture);
      const again = await ok(['report', cap, '--json']);
      await expectValid('schedlat-record.schema.json', lines(again.stdout)[0]);
    });
  }

  for (const by of NETDROP_BY) {
    it(`netdrop --json --by ${by}: interval and summary records, the capture, report on it`, async () => {
      const cap = join(dir, 'netdrop.json');
      // Drops of our own: datagrams to a closed port on 127.0.0.1, sent once attached.
      // --stack is per reason and location: only where --by has both (else a usage error, tested in netdrop.test.ts).
      const sited = by === 'all' || (by.includes('reason') && by.includes('location'));
      const r = await huatuoOk(['netdrop', '--by', by, ...(sited ? ['--stack'] : []), '--json', '-d', '2', '-i', '1', '-o', cap], {
        onStart: (_p, bpf) => void bpf.attached.then(() => start(workload('udp-flood'), ['2000', '9', '0', '5'])),
      });
      const recs = lines(r.stdout);
      expect(recs.at(-1)!.type).toBe('summary');
      for (const rec of recs) {
        await expectValid('netdrop-record.schema.json', rec);
        for (const k of keys(rec)) expect(k).toMatch(SNAKE_CASE);
      }
      const summary = recs.at(-1) as { rows: Array<Record<string, unknown>>; events: unknown[] };
      expect(summary.rows.length).toBeGreaterThan(0);
      expect(summary.events.length).toBeGreaterThan(0);
      const capture = JSON.parse(readFileSync(cap, 'utf8'));
      await expectValid('capture.schema.json', capture);
      const again = await ok(['report', cap, '--json']);
      expect(lines(again.stdout)[0]).toEqual(capture.data.summary);
      const plain = await ok(['report', cap]);
      expect(plain.stdout).toMatch(/netdrop summary over .* drops\/s  events not sent/);
      expect(plain.stdout).toMatch(/PACKETS +PKTS\/S +BYTES/);
      // --stack: rows keyed by reason and location carry their site's stack, printed folded.
      expect(summary.rows.some((x) => Array.isArray(x.stack))).toBe(sited);
      if (sited) expect(plain.stdout).toMatch(/kernel stacks \(outermost first\):\n  NO_SOCKET __udp4_lib_rcv\+0x[0-9a-f]+[^:\n]*: .*udp_sendmsg;.*__udp4_lib_rcv/);
    });
  }

  for (const by of SOFTIRQ_BY) {
    it(`softirq --json --by ${by}: interval and summary records, the capture, report on it`, async () => {
      const cap = join(dir, 'softirq.json');
      const r = await ok(['softirq', '--by', by, '--threshold', '20us', '--json', '-d', '2', '-i', '1', '-o', cap]);
      const recs = lines(r.stdout);
      expect(recs.at(-1)!.type).toBe('summary');
      for (const rec of recs) {
        await expectValid('softirq-record.schema.json', rec);
        for (const k of keys(rec)) expect(k).toMatch(SNAKE_CASE);
      }
      const summary = recs.at(-1) as { rows: Array<Record<string, unknown>>; softnet: unknown[] };
      expect(summary.rows.length).toBeGreaterThan(0);
      expect(summary.softnet.length).toBeGreaterThan(0);
      const capture = JSON.parse(readFileSync(cap, 'utf8'));
      await expectValid('capture.schema.json', capture);
      const again = await ok(['report', cap, '--json']);
      expect(lines(again.stdout)[0]).toEqual(capture.data.summary);
      // The plain report is the run's own summary table, softnet_stat included.
      const plain = await ok(['report', cap]);
      expect(plain.stdout).toMatch(/softirq summary over/);
      expect(plain.stdout).toMatch(/softnet_stat per CPU/);
    });
  }

  for (const by of MEMRECLAIM_BY) {
    it(`memreclaim --json --by ${by}: records with rows of a real memcg reclaim, the capture, report on it`, async () => {
      const mem = new MemoryPressure(`ht-schemas-${process.pid}`, 32 * 1024 * 1024, 200);
      try {
        const cap = join(dir, 'memreclaim.json');
        let read: Promise<number[]> | undefined;
        const r = await huatuo(['memreclaim', '--by', by, '--threshold', '10us', '--max-events', '5', '--json', '-d', '4', '-i', '1', '-o', cap], {
          timeoutMs: 60_000,
          onStart: (_p, bpf) => void (read = bpf.attached.then(() => mem.read())),
        });
        expect(r.code, r.stderr).toBe(0);
        await read;
        await expectNothingLeft(r);
        const recs = lines(r.stdout);
        for (const rec of recs) {
          await expectValid('memreclaim-record.schema.json', rec);
          for (const k of keys(rec)) expect(k).toMatch(SNAKE_CASE);
        }
        const summary = recs.at(-1) as { rows: Array<{ kind: string }>; events: unknown[] };
        expect(summary.rows.some((x) => x.kind === 'memcg')).toBe(true);
        expect(summary.events.length).toBeGreaterThan(0);
        const capture = JSON.parse(readFileSync(cap, 'utf8'));
        await expectValid('capture.schema.json', capture);
        const again = await ok(['report', cap, '--json']);
        expect(lines(again.stdout)[0]).toEqual(capture.data.summary);
        expect((await ok(['report', cap])).stdout).toMatch(/memreclaim summary over/);
      } finally {
        await mem.cleanup();
      }
    });
  }

  it('profile: the capture, report --json on it, and profile --json', async () => {
    const cap = join(dir, 'profile.json');
    const r = await ok(['profile', '-p', String(hog.pid), '-d', '2', '--json', '-o', cap]);
    const recs = lines(r.stdout);
    expect(recs.at(-1)!.type).toBe('summary');
    for (const rec of recs) await expectValid('profile-record.schema.json', rec);
    const capture = JSON.parse(readFileSync(cap, 'utf8'));
    expect(capture.version).toBe(2);
    await expectValid('capture.schema.json', capture);
    for (const k of keys(capture)) expect(k).toMatch(SNAKE_CASE);
    const rep = await ok(['report', cap, '--json', '--top', '3']);
    const summary = lines(rep.stdout);
    expect(summary).toHaveLength(1);
    await expectValid('profile-record.schema.json', summary[0]);
    expect(summary[0].samples).toBe((capture.data.samples as Array<{ count: number }>).reduce((n, s) => n + s.count, 0));
  });
});

describeContainerd('pod labels of a real containerd match docs/schemas', () => {
  let h: ContainerdHarness | undefined;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    h = await ContainerdHarness.start();
    const p = await h.runPod({ pod: 'schema-a', namespace: 'shop', uid: randomUUID(), container: 'main', cmd: busyWorkload(), cpus: CPU });
    await h.waitForComms(p.id, [HOG_COMM, SLEEPER_COMM]);
    env = { ...process.env, HUATUO_CONTAINERD_STATE: h.stateDir };
  });
  afterAll(async () => {
    await killAll();
    await h?.stop();
    cleanupBusyboxRootfs();
  });

  it('containers --json', async () => {
    const r = await ok(['containers', '--json', '--all'], env);
    const recs = lines(r.stdout);
    expect(recs.some((c) => c.pod === 'schema-a' && c.namespace === 'shop' && c.container === 'main')).toBe(true);
    for (const c of recs) await expectValid('containers-record.schema.json', c);
  });

  it('schedlat --by container: pod rows named, host row null', async () => {
    const r = await ok(['schedlat', '--by', 'container', '--json', '-d', '2'], env);
    const recs = lines(r.stdout);
    for (const rec of recs) await expectValid('schedlat-record.schema.json', rec);
    const rows = (recs.at(-1) as { rows: Array<Record<string, unknown>> }).rows;
    expect(rows.find((x) => x.pod === 'schema-a')).toMatchObject({ namespace: 'shop', container: 'main' });
  });
});
