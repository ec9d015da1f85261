import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvModule from 'ajv';
import { toSpeedscope, SPEEDSCOPE_SCHEMA } from '../../../src/flamegraph/index.js';
import type { FoldedStack } from '../../../src/model/stack.js';
import { pathTotals, randomStacks } from './helpers.js';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('speedscope/dist/release/file-format-schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o: object) => {
  compile(s: object): ((d: unknown) => boolean) & { errors?: unknown };
};
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

describe('toSpeedscope', () => {
  const stacks = randomStacks(3, 400);

  it('validates against speedscope\'s file-format schema', () => {
    for (const file of [toSpeedscope(stacks), toSpeedscope(stacks, { name: 'cpu', periodNs: 10_101_010 })]) {
      const json = JSON.parse(JSON.stringify(file)) as unknown;
      const ok = validate(json);
      expect(validate.errors ?? null, JSON.stringify(validate.errors)).toBeNull();
      expect(ok).toBe(true);
    }
    expect(validate({ $schema: SPEEDSCOPE_SCHEMA, shared: { frames: [{}] }, profiles: [] })).toBe(false); // the schema bites
  });

  it('holds one sampled profile whose stacks (root first) and weights are the input', () => {
    const file = toSpeedscope(stacks, { name: 'cpu' });
    expect(file.$schema).toBe(SPEEDSCOPE_SCHEMA);
    expect(file.profiles).toHaveLength(1);
    const p = file.profiles[0];
    expect(p).toMatchObject({ type: 'sampled', name: 'cpu', unit: 'none', startValue: 0 });
    expect(p.samples).toHaveLength(p.weights.length);
    const back: FoldedStack[] = p.samples.map((s, i) => ({ frames: s.map((f) => file.shared.frames[f].name), count: p.weights[i] }));
    expect(pathTotals(back)).toEqual(pathTotals(stacks));
    expect(p.endValue).toBe(stacks.reduce((n, s) => n + s.count, 0));
    expect(new Set(file.shared.frames.map((f) => f.name)).size).toBe(file.shared.frames.length);
  });

  it('weights in nanoseconds given a sampling period', () => {
    const p = toSpeedscope([{ frames: ['a', 'b_[k]'], count: 3 }], { periodNs: 1000 }).profiles[0];
    expect(p).toMatchObject({ unit: 'nanoseconds', weights: [3000], endValue: 3000 });
  });
});
