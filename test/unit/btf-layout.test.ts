// Every boundary struct of every tool's BPF object, read from the compiled object's BTF
// (no root needed: opening an object loads nothing into the kernel), against what the
// TypeScript reads: the same fields with the same types, padding written out, and no
// struct of a tool's own header that the TypeScript does not declare.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { StructLayout } from '../../src/bpf-loader/layout.js';
import type { NativeAddon } from '../../src/bpf-loader/native.js';
import { packagePath, bpfObjectPath } from '../../src/paths.js';
import { TOOLS } from '../../src/registry.js';
import { describeUnless } from '../helpers/env.js';

const ADDON = packagePath('native', 'build', 'Release', 'huatuo_native.node');

/** Struct names defined in a C header (`struct name {`). */
function headerStructs(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^struct (\w+) \{/gm)].map((m) => m[1]);
}

const built = TOOLS.every((t) => !t.bpf || existsSync(bpfObjectPath(t.bpf)));
describeUnless(existsSync(ADDON) && built ? null : 'native addon or BPF objects not built (run ./scripts/setup)', 'BTF layout of every boundary struct', () => {
  const addon = createRequire(import.meta.url)(ADDON) as NativeAddon;

  for (const tool of TOOLS.filter((t) => t.bpf)) {
    describe(tool.name, () => {
      it('declares its boundary', () => {
        expect(tool.boundary, `${tool.name} has no boundary() in src/registry.ts`).toBeDefined();
      });

      it('every declared struct is in the object\'s BTF exactly as TypeScript reads it', async () => {
        const boundary = await tool.boundary!();
        const obj = new addon.BpfObject(bpfObjectPath(tool.bpf!));
        try {
          const bad: string[] = [];
          for (const [name, spec] of Object.entries(boundary)) {
            const t = obj.btfStruct(name);
            if (!t) bad.push(`struct ${name}: not in the object's BTF (anchor it: bpf/common.h)`);
            else bad.push(...new StructLayout(t).mismatches(spec));
          }
          expect(bad).toEqual([]);
        } finally {
          obj.close();
        }
      });

      it('every struct of its own C header (bpf/TOOL.h) is declared', async () => {
        const boundary = await tool.boundary!();
        const own = packagePath('bpf', `${tool.bpf}.h`);
        const obj = new addon.BpfObject(bpfObjectPath(tool.bpf!));
        try {
          // Shared structs (task_key, hist) are checked wherever a tool declares them.
          const inObject = (existsSync(own) ? headerStructs(own) : []).filter((n) => obj.btfStruct(n));
          expect(inObject.filter((n) => !(n in boundary))).toEqual([]);
        } finally {
          obj.close();
        }
      });
    });
  }
});
