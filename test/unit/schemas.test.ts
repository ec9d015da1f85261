// Real output checked against docs/schemas/ (the schemas the docs promise and report
// enforces): report's --json records, captures from the writer, check --json and
// containers --json. The BPF tools' own records are checked in test/integration/schemas.test.ts.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { packagePath } from '../../src/paths.js';
import { SCHEMA_DIR, schemaValidator } from '../../src/capture/schemas.js';
import { makeCapture } from '../../src/capture/capture.js';
import { profileCaptureData } from '../../src/profile/capture.js';
import type { ProfileSample } from '../../src/model/stack.js';
import { FakeHost, cid, systemdPodPath } from './containers/fake-host.js';
import { SNAKE_CASE } from '../helpers/naming.js';

function huatuo(...args: string[]) {
  const r = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const records = (stdout: string): unknown[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const fixture = (name: string) => packagePath('test', 'fixtures', 'captures', name);

async function expectValid(schema: string, value: unknown): Promise<void> {
  expect((await schemaValidator(schema))(value), JSON.stringify(value).slice(0, 300)).toBeNull();
}

/** Keys of every object in a record, but for maps keyed by data (program, feature, tool names). */
function fieldNames(v: unknown, mapKeyed: Set<string>, out: string[] = [], parent = ''): string[] {
  if (v === null || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v)) {
    if (!Array.isArray(v) && !mapKeyed.has(parent)) out.push(k);
    fieldNames(x, mapKeyed, out, Array.isArray(v) ? parent : k);
  }
  return out;
}

describe('docs/schemas', () => {
  it('every schema file is found from the package root and compiles in strict mode', async () => {
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) {
      const s = JSON.parse(readFileSync(`${SCHEMA_DIR}/${f}`, 'utf8')) as { $id: string; $schema: string };
      expect(s.$id).toBe(f);
      expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      await schemaValidator(f);
    }
  });

  it('schemas reject what they should (a validator that accepts anything would pass the rest)', async () => {
    const check = await schemaValidator('check-record.schema.json');
    expect(check({ kernel: '6.1', features: { btf: { ok: 'yes', detail: '' } }, tools: {} })).toBe('features.btf.ok: must be true or false (got a string)');
    const rec = await schemaValidator('profile-record.schema.json');
    expect(rec({ type: 'interval', tool: 'profile', time: '2024-01-01T00:00:00.000Z', elapsed_s: 1, window_s: 1, samples: 1.5, top: [] })).toBe('samples: must be an integer (got 1.5)');
    expect(rec({ type: 'summary', tool: 'profile' })).toBe('kind: is missing');
    expect(rec({ type: 'total', tool: 'profile' })).toMatch(/^type: must be one of "interval", "summary"/);
  });
});

describe('captures against capture.schema.json', () => {
  it('the fixtures written by real runs (versions 1 and 2, schedlat and profile)', async () => {
    for (const name of ['profile-v1.json', 'profile-v2.json', 'schedlat-v1.json', 'schedlat-v2.json']) {
      await expectValid('capture.schema.json', JSON.parse(readFileSync(fixture(name), 'utf8')));
    }
  });

  it("a profile capture as the writer makes it, and its keys are snake_case", async () => {
    const samples: ProfileSample[] = [
      { tgid: 1, pid: 2, comm: 'a', cgroupId: 3, pod: 'p', namespace: 'n', container: 'c', count: 2, frames: [{ name: 'f', kind: 'user', module: 'a' }] },
      { tgid: 4, pid: 4, comm: 'b', cgroupId: 1, count: 1, frames: [{ name: 'g', kind: 'kernel' }, { name: 'h', kind: 'jit' }] },
    ];
    const errors = { kernel: { collision: 0, missing: 0, map_full: 0, other: 0 }, user: { collision: 1, missing: 0, map_full: 0, other: 0 }, counts_full: 0, pids_full: 0 };
    const meta = { event: 'cycles', frequency_hz: null, period: 100000, group_by: 'pod', per_pid: false, duration_s: 3 };
    const c = JSON.parse(JSON.stringify(makeCapture('profile', new Date(), null, profileCaptureData(meta, { samples, totalSamples: 3, errors, broken: [] }))));
    await expectValid('capture.schema.json', c);
    for (const k of fieldNames(c, new Set())) expect(k).toMatch(SNAKE_CASE);
  });

  it('a version-2 capture with version-1 samples is refused', async () => {
    const c = JSON.parse(readFileSync(fixture('profile-v1.json'), 'utf8'));
    c.version = 2;
    expect((await schemaValidator('capture.schema.json'))(c)).toBe('data.samples[0].cgroup_id: is missing');
  });
});

describe("report --json records", () => {
  it('of profile captures and collapsed stacks: profile-record.schema.json', async () => {
    for (const name of ['profile-v1.json', 'profile-v2.json']) {
      const r = huatuo('report', fixture(name), '--json', '--top', '5');
      expect(r.code, r.stderr).toBe(0);
      const recs = records(r.stdout);
      expect(recs).toHaveLength(1);
      await expectValid('profile-record.schema.json', recs[0]);
      expect((recs[0] as { stack_errors: unknown }).stack_errors).not.toBeNull();
    }
    const folded = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), 'report', '-', '--json'], { input: 'a;b 1.5\na;c 2\n', encoding: 'utf8' });
    expect(folded.status, folded.stderr).toBe(0);
    const rec = JSON.parse(folded.stdout) as { stack_errors: unknown; duration_s: unknown };
    await expectValid('profile-record.schema.json', rec);
    expect(rec.stack_errors).toBeNull();
    expect(rec.duration_s).toBeNull();
  });

  it('of schedlat captures: schedlat-record.schema.json', async () => {
    for (const name of ['schedlat-v1.json', 'schedlat-v2.json']) {
      const r = huatuo('report', fixture(name), '--json');
      expect(r.code, r.stderr).toBe(0);
      const recs = records(r.stdout);
      expect(recs).toHaveLength(1);
      await expectValid('schedlat-record.schema.json', recs[0]);
      for (const k of fieldNames(recs[0], new Set(['programs']))) expect(k).toMatch(SNAKE_CASE);
    }
  });
});

describe('huatuo check --json', () => {
  it('check-record.schema.json', async () => {
    const r = huatuo('check', '--json');
    const recs = records(r.stdout);
    expect(recs, r.stderr).toHaveLength(1);
    await expectValid('check-record.schema.json', recs[0]);
    for (const k of fieldNames(recs[0], new Set(['features', 'tools']))) expect(k).toMatch(SNAKE_CASE);
  });
});

describe('huatuo containers --json', () => {
  const host = new FakeHost('hybrid');
  afterAll(() => host.cleanup());
  const uid = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
  const pod = systemdPodPath('burstable', uid);
  host.cgroup(`${pod}/cri-containerd-${cid('a1')}.scope`, [101, 102]);
  host.containerd(cid('a1'), { k8s: { pod: 'checkout-1', namespace: 'shop', uid, container: 'app' } });
  host.cgroup(`${pod}/cri-containerd-${cid('a0')}.scope`, [100]);
  host.containerd(cid('a0'), { k8s: { pod: 'checkout-1', namespace: 'shop', uid, type: 'sandbox' } });
  host.cgroup(`/system.slice/docker-${cid('d1')}.scope`, [300]);
  host.docker(cid('d1'), { name: 'redis' });

  it('containers-record.schema.json, unknown values null', async () => {
    const r = huatuo('containers', '--host-root', host.root, '--json', '--all');
    expect(r.code, r.stderr).toBe(0);
    const recs = records(r.stdout) as Array<Record<string, unknown>>;
    expect(recs.map((c) => c.id).sort()).toEqual([cid('a0'), cid('a1'), cid('d1')].sort());
    for (const c of recs) await expectValid('containers-record.schema.json', c);
    const redis = recs.find((c) => c.id === cid('d1'))!;
    expect(redis).toMatchObject({ pod: null, namespace: null, pod_uid: null, qos: null, container: 'redis' });
    for (const k of fieldNames(recs, new Set())) expect(k).toMatch(SNAKE_CASE);
  });
});
