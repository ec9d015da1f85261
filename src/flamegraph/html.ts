// `profile --html`: one standalone page with d3-flame-graph, its CSS and the profile inlined,
// so it opens over file:// with no network (a CSP forbids any fetch). The d3 bundle is built
// once by scripts/build-flamegraph-bundle.mjs (run by scripts/setup) into build/flamegraph/.
import { existsSync, readFileSync } from 'node:fs';
import { HuatuoError, usageError } from '../errors.js';
import { packagePath } from '../paths.js';
import { JIT_SUFFIX, KERNEL_SUFFIX, type FoldedStack } from '../model/stack.js';

export interface HtmlOptions {
  title: string;
  subtitle?: string;
  /** Frames narrower than this many pixels are not drawn (≥ 1; default 1). */
  minFrameSize?: number;
  /** Values are nanoseconds (shown as times), else counts of countName (default "samples"). */
  time?: boolean;
  countName?: string;
}

/** A d3-hierarchy node as the page gets it: the name without its `_[k]`/`_[j]` suffix. */
export interface FlameNode {
  name: string;
  value: number;
  /** Absent on the root. */
  kind?: FrameKindName;
  children?: FlameNode[];
}

type FrameKindName = 'user' | 'kernel' | 'jit' | 'inline';

// The collapsed format's annotations; `_[i]` (inlined) is inferno's, found in imported files.
const SUFFIXES: Array<[string, FrameKindName]> = [[KERNEL_SUFFIX, 'kernel'], [JIT_SUFFIX, 'jit'], ['_[i]', 'inline']];

function splitLabel(label: string): { name: string; kind: FrameKindName } {
  for (const [suffix, kind] of SUFFIXES) {
    if (label.endsWith(suffix)) return { name: label.slice(0, -suffix.length), kind };
  }
  return { name: label, kind: 'user' };
}

interface Building {
  node: FlameNode;
  kids: Map<string, Building>;
}

/** Folded stacks → {name, value, children}; a node's value includes its children's. */
export function flameTree(stacks: FoldedStack[], rootName = 'all'): FlameNode {
  const root: Building = { node: { name: rootName, value: 0 }, kids: new Map() };
  for (const s of stacks) {
    if (!(s.count > 0)) continue;
    root.node.value += s.count;
    let at = root;
    for (const label of s.frames) {
      let next = at.kids.get(label); // keyed by label: kernel `foo` and user `foo` stay apart
      if (!next) {
        next = { node: { ...splitLabel(label), value: 0 }, kids: new Map() };
        at.kids.set(label, next);
      }
      next.node.value += s.count;
      at = next;
    }
  }
  const finish = (b: Building): FlameNode => {
    if (b.kids.size === 0) return b.node;
    const labels = [...b.kids.keys()].sort();
    return { ...b.node, children: labels.map((l) => finish(b.kids.get(l)!)) };
  };
  return finish(root);
}

/** JSON that is safe inside <script>: no `</script>`, `<!--` or line separators can appear. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readBundle(): { js: string; css: string } {
  const js = packagePath('build', 'flamegraph', 'd3-flamegraph.js');
  const css = packagePath('build', 'flamegraph', 'd3-flamegraph.css');
  if (!existsSync(js) || !existsSync(css)) {
    throw new HuatuoError(`the flame-graph bundle is missing (${js}): run ./scripts/setup`);
  }
  // A bundle is code we inline verbatim: make sure it cannot close its own <script>/<style>.
  return {
    js: readFileSync(js, 'utf8').replace(/<\/(script)/gi, '<\\/$1'),
    css: readFileSync(css, 'utf8').replace(/<\/(style)/gi, '<\\/$1'),
  };
}

export function renderHtml(stacks: FoldedStack[], opts: HtmlOptions): string {
  const minFrameSize = opts.minFrameSize ?? 1;
  if (!Number.isFinite(minFrameSize) || minFrameSize < 1) throw usageError(`minimum frame size must be ≥ 1 pixel, got ${minFrameSize}`);
  const { js, css } = readBundle();
  const tree = flameTree(stacks);
  const config = { minFrameSize, total: tree.value, time: !!opts.time, countName: opts.countName ?? 'samples' };
  const subtitle = opts.subtitle ? `<p class="sub">${escapeHtml(opts.subtitle)}</p>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<style>${css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(opts.title)}</h1>
${subtitle}
<form id="controls" onsubmit="return false">
<input id="search" type="search" placeholder="search (regex)" aria-label="search frames" autocomplete="off">
<button id="search-button" type="submit">Search</button>
<button id="clear" type="button">Clear</button>
<button id="reset-zoom" type="button">Reset zoom</button>
<span class="legend"><i class="user"></i>user <i class="kernel"></i>kernel <i class="jit"></i>JIT</span>
</form>
</header>
<div id="chart"></div>
<div id="details" aria-live="polite"></div>
<script>${js}</script>
<script>
const HUATUO_DATA = ${scriptJson(tree)};
const HUATUO_CONFIG = ${scriptJson(config)};
${PAGE_JS}
</script>
</body>
</html>
`;
}

const PAGE_CSS = `
body { font-family: system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; }
.sub { margin: 0 0 8px; color: #555; }
#controls { display: flex; gap: 6px; align-items: center; margin-bottom: 8px; flex-wrap: wrap; }
#search { width: 260px; padding: 3px 6px; }
.legend { margin-left: 12px; color: #555; font-size: 13px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin: 0 3px 0 8px; vertical-align: -1px; }
.legend .user { background: rgb(227,90,90); } .legend .kernel { background: rgb(222,122,0); } .legend .jit { background: rgb(80,227,80); }
#details { min-height: 1.4em; font-family: ui-monospace, monospace; font-size: 13px; margin-top: 6px; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
#empty { color: #555; }
.d3-flame-graph-label { font-family: Verdana, 'DejaVu Sans', sans-serif; }
`;

// The page: mount the chart, colour by frame kind (d3-flame-graph's libtype hues: kernel
// orange, JIT green, inlined aqua, native red, C++ yellow), wire search and reset to
// chart.search/resetZoom.
const PAGE_JS = `
(function () {
  const { flamegraph, select } = huatuoFlamegraph;
  const chartEl = document.getElementById('chart');
  const details = document.getElementById('details');
  const input = document.getElementById('search');
  if (!HUATUO_CONFIG.total) { chartEl.innerHTML = '<p id="empty">No samples.</p>'; return; }
  const kindLabel = { kernel: ' [kernel]', jit: ' [jit]', inline: ' [inlined]' };
  const pct = (v) => (100 * v / HUATUO_CONFIG.total).toFixed(2);
  const amount = (v) => {
    if (!HUATUO_CONFIG.time) return v + ' ' + HUATUO_CONFIG.countName;
    if (v >= 1e9) return (v / 1e9).toFixed(2) + ' s';
    if (v >= 1e6) return (v / 1e6).toFixed(1) + ' ms';
    return (v / 1e3).toFixed(1) + ' us';
  };
  let searchText = '';
  let pattern = null;
  const compile = (term) => { try { return new RegExp(term); } catch { return { test: (s) => s.includes(term) }; } };
  const chart = flamegraph()
    .width(Math.max(chartEl.clientWidth, 400))
    .cellHeight(18)
    .minFrameSize(HUATUO_CONFIG.minFrameSize)
    .transitionDuration(400)
    .getLibtype((d) => (d.data.kind === 'inline' ? 'inlined' : d.data.kind))
    .setLabelHandler((d) => d.data.name + (kindLabel[d.data.kind] || '') + ' (' + amount(d.data.value) + ', ' + pct(d.data.value) + '%)')
    .setSearchMatch((d, term) => !!term && pattern !== null && pattern.test(d.data.name))
    .setSearchHandler((results, sum) => {
      searchText = results.length ? 'Matched: ' + pct(sum) + '% (' + (HUATUO_CONFIG.time ? amount(sum) : sum) + ' of ' + amount(HUATUO_CONFIG.total) + ')' : 'No match';
      details.textContent = searchText;
    })
    .setDetailsHandler((text) => { details.textContent = text || searchText; });
  select(chartEl).datum(HUATUO_DATA).call(chart);
  const search = () => {
    const term = input.value;
    if (!term) { clear(); return; }
    pattern = compile(term);
    chart.search(term);
  };
  const clear = () => { input.value = ''; pattern = null; searchText = ''; chart.clear(); details.textContent = ''; };
  document.getElementById('search-button').addEventListener('click', search);
  input.addEventListener('input', search);
  document.getElementById('clear').addEventListener('click', clear);
  document.getElementById('reset-zoom').addEventListener('click', () => chart.resetZoom());
  window.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); input.focus(); input.select(); }
    else if (e.key === 'Escape' && document.activeElement === input) clear();
  });
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => chart.width(Math.max(chartEl.clientWidth, 400)).update(), 150);
  });
  window.huatuoChart = chart;
})();
`;
