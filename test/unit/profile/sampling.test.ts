// Sampling limits: what -F and --period may ask for, refused as usage errors (exit 2) with
// the limit in the message, before anything is opened.
import { describe, it, expect } from 'vitest';
import { checkSampling, sampleRateLimit, kernelMaxSampleRate, MAX_SAMPLE_HZ, MIN_CYCLES_PERIOD } from '../../../src/tools/profile.js';
import { HuatuoError, ExitCode } from '../../../src/errors.js';

const base = { event: 'cpu-clock' as const, userOnly: false, kernelOnly: false };

function refusal(o: Partial<Parameters<typeof checkSampling>[0]>, kernelMax?: number): string {
  try {
    checkSampling({ ...base, ...o }, kernelMax);
  } catch (e) {
    expect(e).toBeInstanceOf(HuatuoError);
    expect((e as HuatuoError).exitCode).toBe(ExitCode.Usage);
    return (e as Error).message;
  }
  return '';
}

describe('sampling limits', () => {
  it('takes up to the cap, from -F or from a cpu-clock --period', () => {
    expect(refusal({ frequencyHz: MAX_SAMPLE_HZ }, 100000)).toBe('');
    expect(refusal({ period: 1e9 / MAX_SAMPLE_HZ }, 100000)).toBe('');
    expect(refusal({ frequencyHz: MAX_SAMPLE_HZ + 1 }, 100000)).toMatch(new RegExp(`-F ${MAX_SAMPLE_HZ + 1}: the highest frequency is ${MAX_SAMPLE_HZ} Hz.*perf_event_max_sample_rate is 100000`));
    expect(refusal({ period: 20000 }, 100000)).toMatch(new RegExp(`--period 20000: the shortest cpu-clock period is ${1e9 / MAX_SAMPLE_HZ} ns \\(${MAX_SAMPLE_HZ} samples/s`));
    expect(refusal({ period: 1 }, 100000)).toMatch(/--period 1:/);
  });

  it('the kernel limit wins when it is lower', () => {
    expect(sampleRateLimit(250)).toEqual({ hz: 250, why: 'kernel.perf_event_max_sample_rate' });
    expect(refusal({ frequencyHz: 251 }, 250)).toMatch(/the highest frequency is 250 Hz per CPU \(kernel.perf_event_max_sample_rate\)/);
    expect(refusal({ period: 3_999_999 }, 250)).toMatch(/shortest cpu-clock period is 4000000 ns/);
    expect(refusal({ period: 4_000_000 }, 250)).toBe('');
    // This machine's limit, read.
    const k = kernelMaxSampleRate();
    expect(sampleRateLimit(k).hz).toBe(Math.min(k ?? Infinity, MAX_SAMPLE_HZ));
  });

  it('--event cycles: a floor on the period, the same cap on -F', () => {
    expect(refusal({ event: 'cycles', period: MIN_CYCLES_PERIOD - 1 })).toMatch(new RegExp(`shortest --event cycles period is ${MIN_CYCLES_PERIOD} cycles`));
    expect(refusal({ event: 'cycles', period: MIN_CYCLES_PERIOD })).toBe('');
    expect(refusal({ event: 'cycles', frequencyHz: MAX_SAMPLE_HZ + 1 }, 100000)).toMatch(/the highest frequency/);
  });

  it('refuses malformed combinations', () => {
    expect(refusal({ userOnly: true, kernelOnly: true })).toMatch(/exclude each other/);
    expect(refusal({ frequencyHz: 99, period: 1e7 })).toMatch(/exclude each other/);
    expect(refusal({ frequencyHz: 0 })).toMatch(/positive integer/);
  });
});
