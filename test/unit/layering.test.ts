// The folders of src/ and who may import whom (README "Layout", design.md): shared logic
// imports neither the loader nor the views, sinks never load Ink, views see plain model
// types only, and no two folders import each other. Static and dynamic imports, type
// imports included: a type import still ties a folder to another's contract.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { packagePath } from '../../src/paths.js';

const SRC = packagePath('src');

interface Edge { from: string; to: string; file: string; spec: string }

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []);
}

/**
 * The folder under src/ of a file. Files of src/ itself: the entry (cli.ts and the tool
 * list, which see everything) and the base (errors, log, paths, which see nothing).
 */
const ENTRY = ['cli.ts', 'registry.ts'];
const folderOf = (file: string) => {
  const rel = relative(SRC, file);
  if (rel.includes('/')) return rel.split('/')[0];
  return ENTRY.includes(rel.replace(/\.js$/, '.ts')) ? 'entry' : 'base';
};

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      const from = folderOf(file);
      if (spec.startsWith('.')) {
        const to = folderOf(resolve(dirname(file), spec));
        if (to !== from) out.push({ from, to, file: relative(SRC, file), spec });
      } else {
        out.push({ from, to: `pkg:${spec.split('/')[0]}`, file: relative(SRC, file), spec });
      }
    }
  }
  return out;
}

const all = edges();
const from = (folders: string[]) => all.filter((e) => folders.includes(e.from));
const show = (es: Edge[]) => es.map((e) => `${e.file} imports ${e.spec}`);

describe('layering of src/', () => {
  it('shared logic (model, histogram, containers, capture, flamegraph, symbolize, output) imports neither the loader nor the views', () => {
    const shared = ['model', 'histogram', 'containers', 'capture', 'flamegraph', 'symbolize', 'output'];
    expect(show(from(shared).filter((e) => ['bpf-loader', 'views', 'collector', 'tools', 'commands'].includes(e.to)))).toEqual([]);
  });

  it('sinks (output, capture) never load Ink or React', () => {
    expect(show(from(['output', 'capture']).filter((e) => ['views', 'pkg:ink', 'pkg:react'].includes(e.to)))).toEqual([]);
  });

  it('views import plain model types only (and Ink, React)', () => {
    const allowed = ['model', 'histogram', 'pkg:ink', 'pkg:react', 'pkg:node:'];
    expect(show(from(['views']).filter((e) => !allowed.includes(e.to) && !e.to.startsWith('pkg:node')))).toEqual([]);
  });

  it('the model is plain data: it imports only itself, histograms and containers\' types', () => {
    expect(show(from(['model']).filter((e) => !['histogram', 'containers'].includes(e.to)))).toEqual([]);
  });

  it('the base (errors, log, paths) imports no other part of src/; nothing but the entry imports the entry', () => {
    expect(show(from(['base']).filter((e) => !e.to.startsWith('pkg:')))).toEqual([]);
    expect(show(all.filter((e) => e.to === 'entry' && e.from !== 'entry' && e.from !== 'commands'))).toEqual([]);
  });

  it('no two folders import each other', () => {
    const pairs = new Set(all.filter((e) => !e.to.startsWith('pkg:')).map((e) => `${e.from}>${e.to}`));
    const both = [...pairs].filter((p) => {
      const [a, b] = p.split('>');
      return a < b && pairs.has(`${b}>${a}`);
    });
    const why = both.flatMap((p) => {
      const [a, b] = p.split('>');
      return show(all.filter((e) => (e.from === a && e.to === b) || (e.from === b && e.to === a)));
    });
    expect(why).toEqual([]);
  });
});
