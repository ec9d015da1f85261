import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { packagePath } from '../../src/paths.js';
import { toolVerdicts, FEATURES, TOOL_NEEDS, type Feature, type FeatureResult } from '../../src/tools/features.js';
import { TOOLS } from '../../src/tools/registry.js';

function allOk(): Record<Feature, FeatureResult> {
  return Object.fromEntries(FEATURES.map((f) => [f, { ok: true, detail: 'fine' }])) as Record<Feature, FeatureResult>;
}

describe('check verdicts', () => {
  it('every tool with a BPF object has its needs declared', () => {
    for (const t of TOOLS.filter((x) => x.bpf)) expect(TOOL_NEEDS[t.name], t.name).toBeDefined();
  });

  it('a tool can run when each group has one working feature', () => {
    const f = allOk();
    f.tp_btf = { ok: false, detail: 'no' };
    expect(toolVerdicts(f).schedlat).toEqual({ ok: true, missing: [] });
  });

  it('names what is missing and why', () => {
    const f = allOk();
    f.tp_btf = { ok: false, detail: 'no tp_btf' };
    f.raw_tp = { ok: false, detail: 'no raw_tp' };
    const v = toolVerdicts(f).schedlat;
    expect(v.ok).toBe(false);
    expect(v.missing).toEqual(['tp_btf (no tp_btf) or raw_tp (no raw_tp)']);
  });
});

describe('huatuo check --json', () => {
  it('reports every feature and every tool, and exits 0 only if all tools can run', () => {
    const r = spawnSync(process.execPath, [packagePath('bin', 'huatuo'), 'check', '--json'], { encoding: 'utf8', timeout: 30_000 });
    const out = JSON.parse(r.stdout) as { kernel: string; features: Record<string, FeatureResult>; tools: Record<string, { ok: boolean; missing: string[] }> };
    expect(typeof out.kernel).toBe('string');
    expect(Object.keys(out.features).sort()).toEqual([...FEATURES].sort());
    for (const v of Object.values(out.features)) {
      expect(typeof v.ok).toBe('boolean');
      expect(v.detail.length).toBeGreaterThan(0);
    }
    expect(Object.keys(out.tools).sort()).toEqual(Object.keys(TOOL_NEEDS).sort());
    const allRun = Object.values(out.tools).every((t) => t.ok);
    expect(r.status).toBe(allRun ? 0 : 1);
    if (process.getuid?.() === 0) {
      // On this project's machines (root, BTF): the facts DEVELOPERS.md verified.
      expect(out.features.btf.ok).toBe(true);
      expect(out.features.raw_tp.ok).toBe(true);
      expect(out.features.ringbuf.ok).toBe(true);
    }
  });
});
