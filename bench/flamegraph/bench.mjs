#!/usr/bin/env node
// bench/flamegraph/bench.mjs: what rendering a big profile costs. Generates 100k unique
// collapsed stacks (stacks.mjs: depth 5–40, shared prefixes, Zipf-ish counts), renders the
// SVG flame graph and reports time, peak RSS, SVG size and frames drawn against the targets
// (< 1.5 s, < 300 MB, < 60k frames), then the other outputs' times. Each round runs in a
// fresh node process, so peak RSS is that of one render (input included, as in
// `huatuo report`). The 1-minute load average is printed: other work on the machine shows
// up in the times. It never fails on a target; exit 1 if a round fails, 2 on bad usage.
//
// By default it bundles src/flamegraph/ with esbuild into a temp dir (no build needed);
// --dist uses dist/flamegraph/index.js after `npx tsc -p tsconfig.json`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const USAGE = `usage: bench/flamegraph/bench.mjs [options]
  --stacks N     unique stacks (default 100000)
  --seed N       generator seed (default 1)
  --rounds N     fresh processes; the median is reported (default 3)
  --min-width PX SVG minimum frame width (default 0.1)
  --dist         use dist/flamegraph/index.js instead of bundling src/
  --out FILE     also write the last round's SVG to FILE
  --json FILE    write the figures as JSON
  -h, --help`;

let opts;
try {
  opts = parseArgs({
    options: {
      stacks: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      'min-width': { type: 'string', default: '0.1' },
      dist: { type: 'boolean', default: false },
      out: { type: 'string' },
      json: { type: 'string' },
      child: { type: 'string' }, // internal: module path of a round
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (name) => {
  const v = Number(opts[name]);
  if (!Number.isFinite(v) || v < 0) {
    console.error(`--${name} must be a number ≥ 0\n${USAGE}`);
    process.exit(2);
  }
  return v;
};
const N = num('stacks');
const SEED = num('seed');
const ROUNDS = Math.max(1, num('rounds'));
const MIN_WIDTH = num('min-width');

// ---------------------------------------------------------------- one round (child)
async function round(modulePath) {
  const fg = await import(pathToFileURL(modulePath).href);
  const { generateStacks } = await import('./stacks.mjs');
  const mb = (b) => b / 2 ** 20;
  let t = performance.now();
  const stacks = generateStacks(N, SEED);
  const genMs = performance.now() - t;
  globalThis.gc?.();
  const input = { rssMB: mb(process.memoryUsage().rss), heapMB: mb(process.memoryUsage().heapUsed) };

  t = performance.now();
  const svg = fg.renderSvg(stacks, {
    title: 'bench/flamegraph',
    meta: { tool: 'profile', host: 'bench', durationS: 60, samples: stacks.reduce((n, s) => n + s.count, 0) },
    minWidth: MIN_WIDTH,
  });
  const svgMs = performance.now() - t;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const frames = svg.split(' hf:w="').length - 1;
  if (opts.out) writeFileSync(opts.out, svg);
  const subtitle = /<text id="subtitle"[^>]*>([^<]*)</.exec(svg)?.[1] ?? '';

  const timed = (fn) => {
    const t0 = performance.now();
    const r = fn();
    return [performance.now() - t0, r];
  };
  const [foldedMs, folded] = timed(() => fg.toFolded(stacks));
  const [parseMs] = timed(() => fg.parseFolded(folded));
  const [speedscopeMs, ss] = timed(() => JSON.stringify(fg.toSpeedscope(stacks)));
  const [pprofMs, pp] = timed(() => fg.toPprof(stacks, { periodNs: 1e9 / 99 }));
  const half = stacks.map((s) => ({ frames: s.frames, count: Math.max(1, Math.round(s.count * (s.frames.length % 3 === 0 ? 1.5 : 0.8))) }));
  const [diffMs] = timed(() => fg.renderDiffSvg(stacks, half, { minWidth: MIN_WIDTH }));
  return {
    stacks: N, totalSamples: stacks.reduce((n, s) => n + s.count, 0), frames: stacks.reduce((n, s) => n + s.frames.length, 0),
    genMs, input, svgMs, peakRssMB, svgBytes: Buffer.byteLength(svg), framesDrawn: frames, subtitle,
    foldedMs, foldedBytes: folded.length, parseMs, speedscopeMs, speedscopeBytes: ss.length, pprofMs, pprofBytes: pp.length, diffMs,
  };
}

if (opts.child) {
  const r = await round(opts.child);
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

// ---------------------------------------------------------------- driver
async function modulePath(dir) {
  if (opts.dist) return join(ROOT, 'dist/flamegraph/index.js');
  const { build } = await import('esbuild');
  const out = join(dir, 'flamegraph.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/flamegraph/index.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'warning',
  });
  return out;
}

const LOAD0 = loadavg()[0].toFixed(2);
const dir = mkdtempSync(join(tmpdir(), 'huatuo-bench-flamegraph-'));
let failed = false;
const results = [];
try {
  const mod = await modulePath(dir);
  for (let r = 0; r < ROUNDS; r++) {
    const args = ['--expose-gc', fileURLToPath(import.meta.url), '--child', mod, '--stacks', String(N), '--seed', String(SEED), '--min-width', String(MIN_WIDTH)];
    if (opts.out && r === ROUNDS - 1) args.push('--out', opts.out);
    const p = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (p.status !== 0) {
      console.error(`round ${r + 1} failed (${p.status ?? p.signal}):\n${p.stderr}`);
      failed = true;
      continue;
    }
    results.push(JSON.parse(p.stdout));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (!results.length) process.exit(1);

const sorted = (k) => results.map((r) => r[k]).sort((a, b) => a - b);
const median = (k) => sorted(k)[Math.floor(results.length / 2)];
const spread = (k, unit) => {
  const v = sorted(k);
  return v.length > 1 ? `${f(median(k))} ${unit} (min ${f(v[0])}, max ${f(v.at(-1))})` : `${f(v[0])} ${unit}`;
};
const r0 = results[0];
const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows = [
  ['input', `${f(r0.stacks)} unique stacks, ${f(r0.frames)} frames, ${f(r0.totalSamples)} samples`, ''],
  ['SVG render time, median', spread('svgMs', 'ms'), '< 1,500 ms'],
  ['peak RSS, median (input alone: ' + f(r0.input.rssMB) + ' MB)', spread('peakRssMB', 'MB'), '< 300 MB'],
  ['SVG size', `${f(r0.svgBytes / 2 ** 20, 1)} MiB`, ''],
  ['frames drawn', f(r0.framesDrawn), '< 60,000'],
  ['subtitle', r0.subtitle, ''],
  ['toFolded / parseFolded', `${f(median('foldedMs'))} / ${f(median('parseMs'))} ms (${f(r0.foldedBytes / 2 ** 20, 1)} MiB)`, ''],
  ['speedscope JSON', `${f(median('speedscopeMs'))} ms (${f(r0.speedscopeBytes / 2 ** 20, 1)} MiB)`, ''],
  ['pprof (gzipped)', `${f(median('pprofMs'))} ms (${f(r0.pprofBytes / 2 ** 20, 1)} MiB)`, ''],
  ['differential SVG (same size input twice)', `${f(median('diffMs'))} ms`, ''],
];
console.log(`bench/flamegraph: ${results.length} round(s), ${opts.dist ? 'dist/' : 'src/ (esbuild bundle)'}, node ${process.version}, load average ${LOAD0} → ${loadavg()[0].toFixed(2)}`);
for (const [k, v, t] of rows) console.log(`  ${k.padEnd(44)} ${v}${t ? `   (target ${t})` : ''}`);
if (opts.json) writeFileSync(opts.json, JSON.stringify({ rounds: results }, null, 2));
process.exit(failed ? 1 : 0);
