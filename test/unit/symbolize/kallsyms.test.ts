// /proc/kallsyms parsing on a fixture: aliases, text-only names, regions, unknowns.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseKallsyms, loadKallsyms } from '../../../src/symbolize/kallsyms.js';
import { fixture } from '../../fixtures/symbolize/build.js';

const k = parseKallsyms(readFileSync(fixture('kallsyms.txt'), 'latin1'));
const name = (a: bigint) => k.frame(a).name;

describe('kallsyms', () => {
  it('names text symbols, preferring the public alias', () => {
    expect(k.frame(0xffffffff81000000n)).toEqual({ name: 'startup_64', kind: 'kernel', module: '[kernel.kallsyms]' });
    expect(name(0xffffffff81000150n)).toBe('early_helper');
    expect(name(0xffffffff810002ffn)).toBe('weak_thing');
    expect(name(0xffffffff81000300n)).toBe('do_sys_poll');
    expect(name(0xffffffff810003ffn)).toBe('do_sys_poll');
  });

  it('gives no names past the end of text or in data', () => {
    expect(k.frame(0xffffffff81000500n)).toEqual({ name: '[unknown] ([kernel.kallsyms]+0x500)', kind: 'unknown', module: '[kernel.kallsyms]' });
    expect(name(0xffffffff81200010n)).toBe('[unknown] ([kernel.kallsyms]+0x200010)');
  });

  it('names module functions with their module; past a region\'s last symbol is unknown', () => {
    expect(k.frame(0xffffffffc0001010n)).toEqual({ name: 'ext_fn_one', kind: 'kernel', module: 'demo_mod' });
    expect(name(0xffffffffc0001080n)).toBe('ext_fn_two');
    expect(name(0xffffffffc0001090n)).toBe('[unknown] ([demo_mod]+0x90)');
    expect(k.frame(0xffffffffc0002000n).module).toBe('bpf');
  });

  it('names a return address (a drop location) as function+offset of the function holding the call', () => {
    expect(k.functionOffset(0xffffffff81000310n)).toBe('do_sys_poll+0x10');
    // A call that is the last instruction of early_helper returns to the first byte of weak_thing: still early_helper's.
    expect(k.functionOffset(0xffffffff81000200n)).toBe('early_helper+0x100');
    expect(k.functionOffset(0xffffffff81000501n)).toBeNull();
  });

  it('addresses below every symbol or outside kernel space are unknown', () => {
    expect(name(0xffffffff80000000n)).toBe('[unknown] ([kernel]+0xffffffff80000000)');
    expect(k.frame(0x1234n).kind).toBe('unknown');
  });

  it('has nothing when addresses are hidden (kptr_restrict), and caches per path', () => {
    expect(parseKallsyms('0000000000000000 T _stext\n0000000000000000 t foo\n').size).toBe(0);
    expect(loadKallsyms(fixture('kallsyms.txt'))).toBe(loadKallsyms(fixture('kallsyms.txt')));
    expect(loadKallsyms('/nonexistent/kallsyms').size).toBe(0);
  });
});
