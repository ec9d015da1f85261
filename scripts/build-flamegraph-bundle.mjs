#!/usr/bin/env node
// Bundles d3-flame-graph 5 (browser-only, its d3 modules left as bare imports) with those d3
// modules into one minified IIFE, for src/flamegraph/html.ts to inline into `profile --html`
// pages. Writes build/flamegraph/d3-flamegraph.js (global `huatuoFlamegraph`) and
// build/flamegraph/d3-flamegraph.css (the package's dist/d3-flamegraph.css, pulled in by its
// `import './d3-flamegraph.css'`). Run by scripts/setup when the output is missing or older
// than this script or the installed dependencies.
import { build } from 'esbuild';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'build', 'flamegraph');
mkdirSync(out, { recursive: true });

// Only what the page uses: the chart factory and d3-selection's select to mount it.
const entry = `
import flamegraph from 'd3-flame-graph';
import { select } from 'd3-selection';
export { flamegraph, select };
`;

const result = await build({
  stdin: { contents: entry, resolveDir: root, sourcefile: 'huatuo-flamegraph-entry.js', loader: 'js' },
  bundle: true,
  format: 'iife',
  globalName: 'huatuoFlamegraph',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'eof',
  outfile: join(out, 'd3-flamegraph.js'),
  write: false,
  logLevel: 'warning',
});

const names = [];
for (const file of result.outputFiles) {
  // Write then rename, so a reader never sees half a bundle.
  const tmp = file.path + '.tmp';
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
  names.push(`${file.path.slice(root.length + 1)} (${(statSync(file.path).size / 1024).toFixed(0)} KiB)`);
}
for (const want of ['d3-flamegraph.js', 'd3-flamegraph.css']) {
  if (!existsSync(join(out, want))) {
    console.error(`build-flamegraph-bundle: esbuild did not produce ${want}`);
    process.exit(1);
  }
}
console.error(`build-flamegraph-bundle: wrote ${names.join(', ')}`);
