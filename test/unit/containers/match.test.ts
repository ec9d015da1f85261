import { describe, it, expect } from 'vitest';
import { closeMatches, editDistance, globMatcher } from '../../../src/containers/match.js';

describe('globMatcher', () => {
  it('exact names, * and ?, anchored, regex characters literal', () => {
    expect(globMatcher('checkout-7d9f')('checkout-7d9f')).toBe(true);
    expect(globMatcher('checkout-7d9f')('checkout-7d9f-x')).toBe(false);
    expect(globMatcher('checkout-*')('checkout-7d9f-x2x9z')).toBe(true);
    expect(globMatcher('checkout-*')('my-checkout-1')).toBe(false);
    expect(globMatcher('web-?')('web-1')).toBe(true);
    expect(globMatcher('web-?')('web-12')).toBe(false);
    expect(globMatcher('a.b*')('axb')).toBe(false);
    expect(globMatcher('*')(undefined)).toBe(false);
  });
});

describe('close matches', () => {
  it('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
  it('typos and substrings, closest first', () => {
    const names = ['checkout-7d9f-x2x9z', 'chekout-7d9f', 'cart-5c4b', 'checkout-7d9f', 'db'];
    expect(closeMatches('checkout-7d9f', names, (n) => n)).toEqual(['checkout-7d9f', 'chekout-7d9f', 'checkout-7d9f-x2x9z']);
    expect(closeMatches('checkout-*', names, (n) => n)).toEqual(['checkout-7d9f', 'checkout-7d9f-x2x9z']);
    expect(closeMatches('zzz', names, (n) => n)).toEqual([]);
  });
});
