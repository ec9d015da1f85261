// Quoting untrusted input in an error line: short, and nothing a terminal would act on.
import { describe, it, expect } from 'vitest';
import { excerpt } from '../../src/model/excerpt.js';

describe('excerpt', () => {
  it('keeps printable ASCII, escapes the rest byte by byte and backslashes', () => {
    expect(excerpt('main;foo 12')).toBe('main;foo 12');
    expect(excerpt('a\u001b[2Jb\u0000\t\\')).toBe('a\\x1b[2Jb\\x00\\x09\\\\');
    expect(excerpt('é')).toBe('\\xc3\\xa9');
    expect(excerpt(Uint8Array.from([0xff, 0x0a, 0x41]))).toBe('\\xff\\x0aA');
  });

  it('is at most max characters, "..." when cut, never half an escape', () => {
    expect(excerpt('x'.repeat(40))).toBe('x'.repeat(40));
    expect(excerpt('x'.repeat(41))).toBe(`${'x'.repeat(37)}...`);
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff);
    for (const max of [10, 20, 40]) {
      const e = excerpt(bytes, max);
      expect(e.length).toBeLessThanOrEqual(max);
      expect(e.endsWith('...')).toBe(true);
      expect(e.slice(0, -3)).toMatch(/^([\x20-\x5b\x5d-\x7e]|\\\\|\\x[0-9a-f]{2})*$/);
    }
  });
});
