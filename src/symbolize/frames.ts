// How frames that cannot be named look: `[unknown] (module+0xoff)`, never dropped.
import { basename } from 'node:path';
import type { Frame } from '../model/stack.js';

export const UNKNOWN = '[unknown]';
export const ANON_MODULE = '[anon]';
export const KERNEL_MODULE = '[kernel.kallsyms]';
export const UNMAPPED_MODULE = '[unmapped]';
export const VDSO_MODULE = '[vdso]';
/** How JIT code no perf map names is labelled: `[JIT] node`, or `[JIT]` for a runtime not told apart. */
export const JIT_LABEL = '[JIT]';

/** A frame in JIT code (anonymous executable memory) that no perf map names. */
export function jitFrame(runtime: string | undefined): Frame {
  return { name: runtime ? `${JIT_LABEL} ${runtime}` : JIT_LABEL, kind: 'jit', module: ANON_MODULE };
}

/** The runtime of an unnamed JIT frame ('' when not told apart), or null for any other frame. */
export function unnamedJitRuntime(f: Frame): string | null {
  if (f.kind !== 'jit' || !f.name.startsWith(JIT_LABEL)) return null;
  return f.name.slice(JIT_LABEL.length + 1);
}

export function unknownFrame(module: string, offset: number | bigint): Frame {
  const off = typeof offset === 'bigint' ? offset : BigInt(Math.max(0, Math.floor(offset)));
  return { name: `${UNKNOWN} (${module}+0x${off.toString(16)})`, kind: 'unknown', module };
}

export function isUnknown(f: Frame): boolean {
  return f.kind === 'unknown';
}

/** The module name of a mapping: the file's basename, `[anon]` for anonymous memory, `[vdso]` etc. as is. */
export function moduleName(path: string): string {
  if (!path) return ANON_MODULE;
  if (path.startsWith('[')) return path.startsWith('[anon') ? ANON_MODULE : path;
  return basename(path);
}
