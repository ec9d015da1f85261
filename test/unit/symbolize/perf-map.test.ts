// JIT perf maps: parsing, lazy reading, reading again when the JIT appended.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parsePerfMap, PerfMap } from '../../../src/symbolize/perf-map.js';
import { tempDir } from '../../fixtures/symbolize/build.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('perf maps', () => {
  it('parses START SIZE name lines, names with spaces, 0x prefixes; skips junk', () => {
    expect(parsePerfMap('7fd2d8005900 29c JS:*hotLoop [eval]:1:17\n0x1000 0x10 stub\nnot a line\n2000 0 empty\n')).toEqual([
      { start: 0x7fd2d8005900, size: 0x29c, name: 'JS:*hotLoop [eval]:1:17' },
      { start: 0x1000, size: 0x10, name: 'stub' },
    ]);
  });

  it('reads lazily, again when the file grew, and the last line for an address wins', () => {
    dir = tempDir();
    const path = join(dir, 'perf-1.map');
    const m = new PerfMap([join(dir, 'missing.map'), path]);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(m.lookup(0x1000)).toBeNull(); // no file yet
      writeFileSync(path, '1000 100 first\n2000 10 second\n3000 10 partial');
      expect(m.lookup(0x1050)).toBeNull(); // looked for a moment ago: not again yet
      vi.advanceTimersByTime(1000);
      expect(m.lookup(0x1050)).toBe('first');
    } finally {
      vi.useRealTimers();
    }
    expect(m.lookup(0x2010)).toBeNull(); // just past its end
    expect(m.lookup(0x3000)).toBeNull(); // the incomplete line is not read yet
    appendFileSync(path, '\n1040 20 replaced\n');
    expect(m.lookup(0x3005)).toBe('partial');
    expect(m.lookup(0x1050)).toBe('replaced');
    expect(m.lookup(0x1070)).toBe('first');
    expect(m.reads).toBe(2);
    m.close();
  });
});
