// C++ and Rust names through c++filt: one child for the run, batches, a cache.
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { Demangler, isMangled, tidyDemangled } from '../../../src/symbolize/demangle.js';
import { CxxfiltProcess } from '../../../src/symbolize/cxxfilt-process.js';

/** gone or a zombie waiting to be reaped */
function ended(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''));
  } catch {
    return true;
  }
}

describe('demangling', () => {
  it('demangles C++ and legacy Rust, dropping the Rust hash, with one c++filt for every batch', () => {
    const d = new Demangler();
    try {
      d.demangleAll(['_ZN3foo3barEi', '_ZN3std2rt10lang_start17h0123456789abcdefE', 'plain_c', '_ZN3foo3barEi']);
      expect(d.get('_ZN3foo3barEi')).toBe('foo::bar(int)');
      expect(d.get('_ZN3std2rt10lang_start17h0123456789abcdefE')).toBe('std::rt::lang_start');
      expect(d.get('plain_c')).toBe('plain_c');
      d.demangleAll(['_ZN3foo3barEi', '_ZNSt6vectorIiSaIiEE9push_backERKi']);
      expect(d.get('_ZNSt6vectorIiSaIiEE9push_backERKi')).toBe('std::vector<int, std::allocator<int> >::push_back(int const&)');
      expect(d.runs).toBe(1);
    } finally {
      d.close();
    }
  });

  it('passes batches larger than a pipe through the one child, in order', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `_ZN5bench6workerILi${i}EE3runEv`);
    const p = CxxfiltProcess.start('c++filt')!;
    try {
      const out = p.demangle(names)!;
      expect(out).toHaveLength(names.length);
      expect(out[0]).toBe('bench::worker<0>::run()');
      expect(out[19_999]).toBe('bench::worker<19999>::run()');
    } finally {
      p.close();
    }
  });

  it('close() ends the child', async () => {
    const p = CxxfiltProcess.start('c++filt')!;
    const pid = p.pid!;
    expect(p.demangle(['_Z1fv'])).toEqual(['f()']);
    p.close();
    p.close();
    for (let i = 0; i < 50 && !ended(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(ended(pid)).toBe(true);
    expect(p.demangle(['_Z1fv'])).toBeNull();
  });

  it('falls back to one c++filt run per batch', () => {
    const d = new Demangler({ persistent: false });
    d.demangleAll(['_Z1fv']);
    d.demangleAll(['_Z1gv']);
    expect([d.get('_Z1fv'), d.get('_Z1gv'), d.runs]).toEqual(['f()', 'g()', 2]);
  });

  it('tidies Rust v0 output and leaves C++ alone', () => {
    expect(tidyDemangled('_RNvCs1234_7mycrate3foo', 'mycrate[3c1c0]::foo')).toBe('mycrate::foo');
    expect(tidyDemangled('_ZN1a1hEv', 'a::h()')).toBe('a::h()');
    expect(isMangled('_RNvCs1234_7mycrate3foo')).toBe(true);
    expect(isMangled('_Rabc')).toBe(false);
    expect(isMangled('main')).toBe(false);
  });

  it('keeps names mangled without c++filt', () => {
    const d = new Demangler({ cxxfilt: '/nonexistent/c++filt' });
    d.demangleAll(['_ZN3foo3barEi']);
    expect(d.get('_ZN3foo3barEi')).toBe('_ZN3foo3barEi');
    expect(d.enabled).toBe(false);
    const off = new Demangler({ cxxfilt: false });
    off.demangleAll(['_ZN3foo3barEi']);
    expect([off.get('_ZN3foo3barEi'), off.runs]).toEqual(['_ZN3foo3barEi', 0]);
  });
});
