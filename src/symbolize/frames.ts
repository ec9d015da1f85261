// How frames that cannot be named look: `[unknown] (module+0xoff)`, never dropped.
import { basename } from 'node:path';
import type { Frame } from '../profile/model.js';

export const UNKNOWN = '[unknown]';
export const ANON_MODULE = '[anon]';
export const KERNEL_MODULE = '[kernel.kallsyms]';

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
