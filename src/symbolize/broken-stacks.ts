// Stacks that stop short: a frame-pointer unwind through code built without frame pointers
// ends early, so the outermost user frame is not a thread entry. Counted per binary (the
// module of the outermost user frame), to tell which one to rebuild. Stacks that end in
// JIT code (or in the vDSO) are left out: rebuilding a binary cannot help them.
import type { Frame } from '../model/stack.js';
import { ANON_MODULE, UNMAPPED_MODULE, VDSO_MODULE } from './frames.js';

/** Where user stacks begin: process start, thread start, clone, for glibc, musl, Go and Rust. */
export const THREAD_ENTRIES: ReadonlySet<string> = new Set([
  '_start',
  '__libc_start_main',
  '__libc_start_call_main',
  'clone',
  'clone3',
  '__clone',
  '__clone3',
  'start_thread',
  'thread_start',
  // Go runtime's own roots.
  'runtime.goexit',
  'runtime.goexit.abi0',
  'runtime.rt0_go',
  'runtime.rt0_go.abi0',
  'runtime.mstart',
  'runtime.mstart.abi0',
]);

export const BROKEN_STACK_HINT = 'build with -fno-omit-frame-pointer';

/** Whether a root-first stack's outermost user frame is a thread entry. */
export function reachesThreadEntry(frames: Frame[]): boolean {
  const root = frames.find((f) => f.kind !== 'kernel');
  return root !== undefined && THREAD_ENTRIES.has(root.name);
}

export interface BrokenStackReport {
  /** The binary of the outermost user frame. */
  module: string;
  samples: number;
  /** Samples whose user stack does not reach a thread entry. */
  broken: number;
  /** broken / samples. */
  share: number;
  hint: string;
}

/**
 * The frame a stack is charged to: its outermost user frame, past the garbage a broken
 * frame-pointer chain leaves at the root (addresses in no mapping), so the binary whose
 * code the chain broke in is named. Undefined for kernel-only stacks and for stacks that
 * end in JIT code or anonymous memory.
 */
function chargedFrame(frames: Frame[]): Frame | undefined {
  let i = frames.findIndex((f) => f.kind !== 'kernel');
  if (i < 0) return undefined;
  while (i + 1 < frames.length && frames[i].module === UNMAPPED_MODULE && frames[i + 1].kind !== 'kernel') i++;
  const f = frames[i];
  // The vDSO is the kernel's, built without frame pointers: nothing to rebuild there.
  if (f.kind === 'kernel' || f.kind === 'jit' || f.module === ANON_MODULE || f.module === UNMAPPED_MODULE || f.module === VDSO_MODULE) return undefined;
  return f;
}

export class BrokenStacks {
  private readonly byModule = new Map<string, { samples: number; broken: number }>();

  /** One symbolized stack (root first) seen `count` times; kernel-only and JIT-rooted stacks are ignored. */
  add(frames: Frame[], count: number): void {
    const root = chargedFrame(frames);
    if (!root) return;
    const module = root.module ?? '[unknown]';
    let m = this.byModule.get(module);
    if (!m) this.byModule.set(module, (m = { samples: 0, broken: 0 }));
    m.samples += count;
    if (!THREAD_ENTRIES.has(root.name)) m.broken += count;
  }

  /** Per binary, most samples first. */
  report(): BrokenStackReport[] {
    return [...this.byModule.entries()]
      .map(([module, m]) => ({ module, samples: m.samples, broken: m.broken, share: m.samples ? m.broken / m.samples : 0, hint: BROKEN_STACK_HINT }))
      .sort((a, b) => b.samples - a.samples || a.module.localeCompare(b.module));
  }
}
