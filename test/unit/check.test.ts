import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { packagePath } from '../../src/paths.js';
import { toolVerdicts, allFeatures, type FeatureResult } from '../../src/tools/features.js';
import { TOOLS } from '../../src/registry.js';
import { describeUnless } from '../helpers/env.js';

type Feature = string;

function allOk(): Record<Feature, FeatureResult> {
  return Object.fromEntries(allFeatures(TOOLS).map((f) => [f, { ok: true, detail: 'fine' }]));
}

describe('check verdicts', () => {
  it('every tool with a BPF object has its needs declared', () => {
    for (const t of TOOLS.filter((x) => x.bpf)) expect(t.needs?.length, t.name).toBeGreaterThan(0);
  });

  it('a tool can run when each group has one working feature', () => {
    const f = allOk();
    f.tp_btf = { ok: false, detail: 'no' };
    expect(toolVerdicts(f, TOOLS).schedlat).toEqual({ ok: true, missing: [] });
  });

  // Each tool's needs, one at a time: taking away any one of them (and its alternatives)
  // must stop that tool and no other. A tool whose needs were emptied fails here.
  const needs: Record<string, Feature[][]> = {
    schedlat: [['privileges'], ['btf'], ['ringbuf'], ['tp_btf', 'raw_tp'], ['tp:sched_switch']],
    profile: [['privileges'], ['btf'], ['perf_event_cpu_clock']],
  };
  for (const [tool, groups] of Object.entries(needs)) {
    for (const group of groups) {
      it(`${tool} cannot run without ${group.join(' or ')}`, () => {
        const f = allOk();
        for (const x of group) f[x] = { ok: false, detail: `no ${x}` };
        const v = toolVerdicts(f, TOOLS);
        expect(v[tool].ok).toBe(false);
        expect(v[tool].missing).toEqual([group.map((x) => `${x} (no ${x})`).join(' or ')]);
        for (const [other, g] of Object.entries(needs)) {
          if (!g.some((og) => og.every((x) => group.includes(x)))) expect(v[other].ok, other).toBe(true);
        }
      });
    }
  }

  it('names what is missing and why', () => {
    const f = allOk();
    f.tp_btf = { ok: false, detail: 'no tp_btf' };
    f.raw_tp = { ok: false, detail: 'no raw_tp' };
    const v = toolVerdicts(f, TOOLS).schedlat;
    expect(v.ok).toBe(false);
    expect(v.missing).toEqual(['tp_btf (no tp_btf) or raw_tp (no raw_tp)']);
  });
});

// The facts DEVELOPERS.md verified for this project's machines (root, Linux 6.18, BTF, no
// fentry or kprobes): a probe that breaks, or a check that no longer probes, shows here.
// It needs root to probe at all: elsewhere it is skipped, and under CI that fails.
describeUnless(process.getuid?.() === 0 ? null : 'check probes need root', 'huatuo check --json on this machine', () => {
  it('reports every feature and every tool, with this machine\'s facts, and exits 0', () => {
    const r = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), 'check', '--json'], { encoding: 'utf8', timeout: 30_000 });
    const out = JSON.parse(r.stdout) as { kernel: string; features: Record<string, FeatureResult>; tools: Record<string, { ok: boolean; missing: string[] }> };
    expect(typeof out.kernel).toBe('string');
    expect(Object.keys(out.features).sort()).toEqual(allFeatures(TOOLS).sort());
    for (const v of Object.values(out.features)) expect(v.detail.length).toBeGreaterThan(0);
    const ok = (f: string) => [f, out.features[f].ok, out.features[f].detail];
    for (const f of ['privileges', 'btf', 'tracefs', 'tp_btf', 'raw_tp', 'tracepoint', 'perf_event_cpu_clock', 'ringbuf', 'bpf_stats', 'tp:sched_switch', 'tp:sched_wakeup', 'tp:sched_wakeup_new', 'sched_info']) {
      expect(ok(f)).toEqual([f, true, expect.any(String)]);
    }
    for (const f of ['fentry', 'kprobe']) expect(ok(f)).toEqual([f, false, expect.not.stringMatching(/not probed/)]);
    expect(Object.keys(out.tools).sort()).toEqual(TOOLS.filter((t) => t.needs).map((t) => t.name).sort());
    for (const [tool, v] of Object.entries(out.tools)) expect([tool, v]).toEqual([tool, { ok: true, missing: [] }]);
    expect(r.status).toBe(0);
  });
});
