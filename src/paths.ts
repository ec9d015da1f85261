import { fileURLToPath } from 'node:url';
import { dirname, join, basename } from 'node:path';

// This file is src/paths.ts (tests) or dist/paths.js (built): the package root is one up.
const here = dirname(fileURLToPath(import.meta.url));
const root = basename(here) === 'src' || basename(here) === 'dist' ? dirname(here) : here;

/** A path inside the installed package, wherever it was run from. */
export function packagePath(...parts: string[]): string {
  return join(root, ...parts);
}

/**
 * Where scripts/build-bpf.mjs puts the compiled BPF objects; $HUATUO_BPF_DIR points
 * elsewhere (packages that install objects apart, and tests of a broken object).
 */
export function bpfObjectPath(tool: string): string {
  const dir = process.env.HUATUO_BPF_DIR;
  return dir ? join(dir, `${tool}.bpf.o`) : packagePath('build', 'bpf', `${tool}.bpf.o`);
}
