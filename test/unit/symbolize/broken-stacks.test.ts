// Stacks that stop before a thread entry, per binary.
import { describe, it, expect } from 'vitest';
import type { Frame } from '../../../src/model/stack.js';
import { reachesThreadEntry, BrokenStacks, BROKEN_STACK_HINT } from '../../../src/symbolize/broken-stacks.js';

const u = (name: string, module: string): Frame => ({ name, kind: 'user', module });
const k = (name: string): Frame => ({ name, kind: 'kernel', module: '[kernel.kallsyms]' });

const whole = [u('_start', 'app'), u('__libc_start_main', 'libc.so.6'), u('main', 'app'), u('work', 'app'), k('asm_sysvec_apic_timer_interrupt')];
const thread = [u('clone3', 'libc.so.6'), u('start_thread', 'libc.so.6'), u('worker', 'app')];
const cut = [u('hash_block', 'libcrypto.so.3'), u('work', 'app'), k('do_syscall_64')];

describe('broken stacks', () => {
  it('a stack reaches a thread entry when its outermost user frame is one', () => {
    expect(reachesThreadEntry(whole)).toBe(true);
    expect(reachesThreadEntry(thread)).toBe(true);
    expect(reachesThreadEntry(cut)).toBe(false);
    expect(reachesThreadEntry([k('worker_thread')])).toBe(false);
    expect(reachesThreadEntry([{ name: '[unknown] (app+0x10)', kind: 'unknown', module: 'app' }])).toBe(false);
  });

  it('reports per binary of the outermost user frame, most samples first', () => {
    const b = new BrokenStacks();
    b.add(whole, 6);
    b.add(cut, 3);
    b.add(cut, 1);
    b.add(thread, 2);
    b.add([k('kthread'), k('worker_thread')], 50); // kernel thread: not counted
    expect(b.report()).toEqual([
      { module: 'app', samples: 6, broken: 0, share: 0, hint: BROKEN_STACK_HINT },
      { module: 'libcrypto.so.3', samples: 4, broken: 4, share: 1, hint: BROKEN_STACK_HINT },
      { module: 'libc.so.6', samples: 2, broken: 0, share: 0, hint: BROKEN_STACK_HINT },
    ]);
    expect(BROKEN_STACK_HINT).toBe('build with -fno-omit-frame-pointer');
  });

  it('leaves out stacks that end in JIT code, and looks past garbage at the root', () => {
    const b = new BrokenStacks();
    b.add([{ name: '[JIT] node', kind: 'jit', module: '[anon]' }, u('Builtins_JSEntry', 'node')], 5);
    b.add([{ name: 'JS:*hot', kind: 'jit', module: '[anon]' }], 1);
    b.add([{ name: '[unknown] ([anon]+0x10)', kind: 'unknown', module: '[anon]' }], 1);
    b.add([{ name: '[unknown] ([unmapped]+0x746f6f72)', kind: 'unknown', module: '[unmapped]' }, u('open', 'libc.so.6'), k('do_syscall_64')], 3);
    b.add([{ name: '[unknown] ([unmapped]+0x10)', kind: 'unknown', module: '[unmapped]' }, k('do_syscall_64')], 2);
    b.add([u('clock_gettime', '[vdso]')], 2);
    expect(b.report()).toEqual([{ module: 'libc.so.6', samples: 3, broken: 3, share: 1, hint: BROKEN_STACK_HINT }]);
  });
});
