// The naming rule of every record: snake_case keys, and null for a value that is not
// known — never "-", never a missing key. Tables show such values as "-".
import { describe, it, expect } from 'vitest';
import { containerRowLabels, HOST_LABEL } from '../../src/containers/labels.js';
import type { ContainerInfo, ContainerResolver } from '../../src/containers/resolver.js';
import { CgroupHier } from '../../src/containers/cgroup.js';
import { schedlatFields } from '../../src/output/schedlat-fields.js';
import { cellOf, jsonRow } from '../../src/model/fields.js';
import { emptyHistogram } from '../../src/histogram/loglinear.js';
import type { SchedlatRow } from '../../src/tools/schedlat.js';
import { profileCaptureData, profileDataFromV1, samplesFromCapture } from '../../src/profile/capture.js';
import type { ProfileSample } from '../../src/model/stack.js';
import { SNAKE_CASE } from '../helpers/naming.js';

const ID = 'f00dfeed'.repeat(8);
const containers: Record<number, ContainerInfo> = {
  // A Kubernetes container, a container outside Kubernetes (docker run), and one whose pod
  // has no namespace label.
  11: { id: ID, runtime: 'containerd', name: 'app', pod: 'web-1', namespace: 'shop', type: 'container', cgroups: [], pids: [] },
  12: { id: 'ab'.repeat(32), runtime: 'docker', name: 'redis', cgroups: [], pids: [] },
  13: { id: 'cd'.repeat(32), runtime: 'containerd', name: 'side', pod: 'lonely', cgroups: [], pids: [] },
};
const resolver = { byCgroupId: (_h: CgroupHier, id: number) => containers[id] } as unknown as ContainerResolver;

function row(by: 'pod' | 'container', cgroupId: number): SchedlatRow {
  return { ...containerRowLabels(by, resolver, CgroupHier.V2, cgroupId), hist: emptyHistogram() };
}

describe('rows: unknown labels', () => {
  it('are null in JSON and "-" in tables, for --by pod and --by container', () => {
    for (const by of ['pod', 'container'] as const) {
      const fields = schedlatFields(by);
      const host = row(by, 999);
      const json = jsonRow(fields, host);
      expect(json.pod).toBe(HOST_LABEL);
      expect(json.namespace).toBeNull();
      if (by === 'container') {
        expect(json.container).toBe(HOST_LABEL);
        expect(json.container_id).toBeNull();
      }
      expect(cellOf(fields.find((f) => f.name === 'namespace')!, host, 'us')).toBe('-');
      // Every field is a key: none left out.
      expect(Object.keys(json)).toEqual(fields.map((f) => f.name));
      expect(Object.values(json)).not.toContain('-');
    }
  });

  it('a container outside Kubernetes and a pod without a namespace', () => {
    expect(jsonRow(schedlatFields('pod'), row('pod', 12))).toMatchObject({ pod: 'redis', namespace: null });
    expect(jsonRow(schedlatFields('container'), row('container', 12))).toMatchObject({ pod: null, namespace: null, container: 'redis', container_id: 'ab'.repeat(6) });
    expect(jsonRow(schedlatFields('pod'), row('pod', 13))).toMatchObject({ pod: 'lonely', namespace: null });
    expect(jsonRow(schedlatFields('container'), row('container', 11))).toMatchObject({ pod: 'web-1', namespace: 'shop', container: 'app', container_id: ID.slice(0, 12) });
  });

  it('rows keep distinct keys when labels are unknown', () => {
    const keys = [999, 11, 12, 13].map((id) => row('pod', id).key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('profile capture data', () => {
  const samples: ProfileSample[] = [
    { tgid: 10, pid: 11, comm: 'app', cgroupId: 77, pod: 'web-1', namespace: 'shop', container: 'app', count: 3,
      frames: [{ name: 'main', kind: 'user', module: 'app' }, { name: 'vfs_read', kind: 'kernel' }] },
    { tgid: 20, pid: 20, comm: 'host-daemon', cgroupId: 1, count: 1, frames: [{ name: '[unknown] (x+0x1)', kind: 'unknown' }] },
  ];
  const errors = { kernel: { collision: 0, missing: 1, map_full: 0, other: 0 }, user: { collision: 0, missing: 0, map_full: 0, other: 0 }, counts_full: 0, pids_full: 0 };
  const meta = { event: 'cpu-clock', frequency_hz: 99, period: null, group_by: 'process', per_pid: false, duration_s: 1.5 };
  const data = profileCaptureData(meta, { samples, totalSamples: 4, errors, broken: [] });

  it('has snake_case keys and null for what is not known, never a missing key', () => {
    const keys: string[] = [];
    const nulls: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (v === null) nulls.push(path);
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (!Array.isArray(v)) keys.push(k);
        walk(x, `${path}.${k}`);
      }
    };
    walk(data, 'data');
    for (const k of keys) expect(k).toMatch(SNAKE_CASE);
    expect(data.samples[1]).toEqual({ tgid: 20, pid: 20, comm: 'host-daemon', cgroup_id: 1, pod: null, namespace: null, container: null, count: 1,
      frames: [{ name: '[unknown] (x+0x1)', kind: 'unknown', module: null }] });
    expect(nulls).toContain('data.samples.0.frames.1.module');
    expect(data.samples[0].cgroup_id).toBe(77);
    expect(data.stack_errors).toBe(errors);
    expect(data.total_samples).toBe(4);
  });

  it('reads back to the same samples', () => {
    expect(samplesFromCapture(JSON.parse(JSON.stringify(data)))).toEqual(samples);
  });

  it('reads version 1 data (cgroupId, absent labels and modules)', () => {
    const v1 = JSON.parse(JSON.stringify({ ...data, samples }));
    expect(JSON.stringify(v1)).toContain('"cgroupId"');
    expect(profileDataFromV1(v1)).toEqual(JSON.parse(JSON.stringify(data)));
  });
});
