// `profile --html` in a real browser: the page works from file:// with no network, draws the
// frames it was given, colours kernel frames apart, and its search, zoom and reset work.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeUnless } from '../helpers/env.js';
import { HuatuoError } from '../../src/errors.js';
import { flameTree, renderHtml } from '../../src/flamegraph/html.js';
import { packagePath } from '../../src/paths.js';
import { describeBrowser, launchChromium, keepScreenshot, frameColor, overWhite, rgb, type Chromium, type WatchedPage } from './chromium.js';
import { EVIL, STACKS, TOTAL, bare, matchedPercent } from './stacks.js';

const BUNDLE = packagePath('build', 'flamegraph', 'd3-flamegraph.js');
// Transitions take 400 ms; allow for a loaded machine.
const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 10_000 });
const frame = (name: string) => `#chart g.frame[name="${name.replace(/["\\]/g, '\\$&')}"]`;

describeBrowser(
  'flame graph HTML page',
  () => {
    let browser: Chromium | undefined;
    let dir: string;
    let w: WatchedPage;
    let url: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'huatuo-html-'));
      const file = join(dir, 'profile.html');
      writeFileSync(file, renderHtml(STACKS, { title: 'huatuo profile', subtitle: 'test node, 400 samples at 99 Hz' }));
      url = pathToFileURL(file).href;
      browser = await launchChromium();
      w = await browser.newPage();
      await w.page.goto(url);
      // Labels are written when the first transition ends.
      await w.page.waitForFunction(() => document.querySelector('#chart g.frame[name="heap_getnext"] div')?.textContent === 'heap_getnext');
    });

    afterAll(async () => {
      await browser?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loads from file:// with no other request and no errors', () => {
      expect(w.requests.length).toBeGreaterThan(0);
      expect(w.requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      expect(w.errors).toEqual([]);
    });

    it('draws every frame once per distinct path, labelled without its suffix', async () => {
      const names = await w.page.$$eval('#chart g.frame', (gs) => gs.map((g) => g.getAttribute('name')));
      const want = new Set(['all', ...STACKS.flatMap((s) => s.frames.map(bare))]);
      expect(new Set(names)).toEqual(want);
      // Shared prefixes are merged: one `main`, one `postgres`; kernel frames under two parents twice.
      expect(names.filter((n) => n === 'main')).toHaveLength(1);
      expect(names.filter((n) => n === 'do_syscall_64')).toHaveLength(3);
      for (const n of ['postgres', 'ExecSeqScan', 'tcp_sendmsg', 'JSON.parse', 'swapper/0']) {
        expect(await w.page.textContent(`${frame(n)} div`)).toBe(n);
      }
      // The root spans the chart; a frame's width is its share of the samples.
      const width = Number(await w.page.getAttribute('#chart svg', 'width'));
      expect(await rectWidth(w, 'all')).toBeCloseTo(width, 0);
      expect(await rectWidth(w, 'heap_getnext')).toBeCloseTo((width * 120) / TOTAL, 0);
    });

    it('cannot be broken out of by a frame name', async () => {
      expect(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await w.page.locator(frame(EVIL)).count()).toBe(1);
    });

    it('colours kernel and JIT frames apart from user frames', async () => {
      const rgb = async (n: string) => (await w.page.getAttribute(`${frame(n)} rect`, 'fill'))!.match(/\d+/g)!.map(Number);
      const [kr, , kb] = await rgb('tcp_sendmsg'); // orange
      expect(kb).toBe(0);
      expect(kr).toBeGreaterThan(180);
      const [jr, jg, jb] = await rgb('JSON.parse'); // green
      expect(jg).toBeGreaterThan(190);
      expect(jr).toBe(jb);
      const [ur, ug, ub] = await rgb('heap_getnext'); // red
      expect(ur).toBeGreaterThan(190);
      expect(ug).toBe(ub);
    });

    it('shows a frame under the pointer in the details line', async () => {
      await w.page.hover(frame('heap_getnext'));
      await poll(() => w.page.textContent('#details')).toBe(`heap_getnext (120 samples, ${((100 * 120) / TOTAL).toFixed(2)}%)`);
      await w.page.hover(frame('tcp_recvmsg'));
      await poll(() => w.page.textContent('#details')).toMatch(/^tcp_recvmsg \[kernel\] \(30 samples/);
      await w.page.mouse.move(5, 5);
    });

    it('highlights search matches and reports their share once per sample', async () => {
      await w.page.fill('#search', '^tcp_');
      const fills = await w.page.$$eval('#chart g.frame', (gs) =>
        Object.fromEntries(gs.map((g) => [g.getAttribute('name'), g.querySelector('rect')!.getAttribute('fill')])),
      );
      const highlighted = Object.keys(fills).filter((n) => fills[n] === '#E600E6').sort();
      expect(highlighted).toEqual(['tcp_recvmsg', 'tcp_sendmsg', 'tcp_write_xmit']);
      // tcp_write_xmit sits inside tcp_sendmsg: 30 + 35 samples, not 30 + 35 + 35.
      expect(matchedPercent(/^tcp_/)).toBe((100 * 65) / TOTAL);
      await poll(() => w.page.textContent('#details')).toBe(`Matched: ${matchedPercent(/^tcp_/).toFixed(2)}% (65 of ${TOTAL} samples)`);

      await w.page.fill('#search', 'Exec');
      await poll(() => w.page.textContent('#details')).toBe(`Matched: ${matchedPercent(/Exec/).toFixed(2)}% (180 of ${TOTAL} samples)`);
      // An invalid regex searches for the text instead of throwing.
      await w.page.fill('#search', '*processTimers');
      await poll(() => w.page.textContent('#details')).toBe(`Matched: ${((100 * 60) / TOTAL).toFixed(2)}% (60 of ${TOTAL} samples)`);

      await w.page.click('#clear');
      expect(await w.page.$$eval('#chart rect[fill="#E600E6"]', (rs) => rs.length)).toBe(0);
      expect(await w.page.textContent('#details')).toBe('');
      expect(w.errors).toEqual([]);
    });

    it('zooms into a clicked frame and back with Reset zoom', async () => {
      const width = Number(await w.page.getAttribute('#chart svg', 'width'));
      await w.page.click(frame('ExecutorRun'));
      await poll(() => rectWidth(w, 'ExecutorRun')).toBeCloseTo(width, 0);
      await poll(() => rectWidth(w, 'ExecSeqScan')).toBeCloseTo(width, 0);
      await poll(() => rectWidth(w, 'ExecQual')).toBeCloseTo((width * 60) / 180, 0);
      // Ancestors stay, faded; everything beside the path is gone.
      expect(await w.page.getAttribute(frame('PostgresMain'), 'class')).toBe('frame fade');
      await poll(() => w.page.locator(frame('node')).count()).toBe(0);
      await poll(() => w.page.locator(frame('raw_parser')).count()).toBe(0);

      await w.page.click('#reset-zoom');
      await poll(() => rectWidth(w, 'ExecutorRun')).toBeCloseTo((width * 180) / TOTAL, 0);
      await poll(() => w.page.locator(frame('node')).count()).toBe(1);
      expect(await w.page.getAttribute(frame('PostgresMain'), 'class')).toBe('frame');
      expect(w.errors).toEqual([]);
    });

    it('is pictured as the DOM says: searched frames highlighted, others in their own colour (docs/img with HUATUO_UPDATE_SCREENSHOTS=1)', async () => {
      await w.page.fill('#search', '^tcp_');
      await poll(() => w.page.$$eval('#chart rect[fill="#E600E6"]', (rs) => rs.length)).toBeGreaterThan(0);
      const bottom = await w.page.evaluate(() => document.getElementById('details')!.getBoundingClientRect().bottom);
      const clip = { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) + 16 };
      const rectOf = (name: string) => w.page.locator(`${frame(name)} rect`);
      const tcp = await w.page.$$eval('#chart g.frame', (gs) => gs.map((g) => g.getAttribute('name') ?? '').filter((n) => n.startsWith('tcp_')));
      expect(tcp.length).toBeGreaterThan(0);
      // d3-flame-graph's stylesheet draws frames at a fill-opacity below 1: expect the blend.
      const alpha = Number(await rectOf('heap_getnext').evaluate((r) => getComputedStyle(r).fillOpacity));
      const own = overWhite(rgb((await rectOf('heap_getnext').getAttribute('fill'))!), alpha);
      const highlight = overWhite(rgb('#E600E6'), alpha);
      expect(own).not.toBe(highlight);
      // Polled: transitions run 400 ms, and a screenshot may show a frame from before them.
      let png = Buffer.alloc(0);
      const shown = async () => {
        png = await w.page.screenshot({ clip });
        const at = async (name: string) => frameColor(browser!, png, (await rectOf(name).boundingBox())!, clip);
        return [...(await Promise.all(tcp.map(at))), await at('heap_getnext')];
      };
      await poll(shown).toEqual([...tcp.map(() => highlight), own]);
      keepScreenshot('flamegraph-html.png', png);
      await w.page.click('#clear');
      expect(w.requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      expect(w.errors).toEqual([]);
    });
  },
  [[BUNDLE, 'the flame-graph bundle is not built (run ./scripts/setup)']],
);

async function rectWidth(w: WatchedPage, name: string): Promise<number> {
  return Number(await w.page.getAttribute(`${frame(name)} rect`, 'width'));
}

// Without a browser: the page's data and what it may load.
describeUnless(existsSync(BUNDLE) ? null : 'the flame-graph bundle is not built (run ./scripts/setup)', 'flame graph HTML text', () => {
  it('merges stacks into a tree whose values include the children, kinds apart', () => {
    const t = flameTree([
      { frames: ['a', 'b', 'c_[k]'], count: 2 },
      { frames: ['a', 'b'], count: 1 },
      { frames: ['a', 'c'], count: 4 },
      { frames: ['a', 'b', 'c'], count: 3 },
      { frames: ['x'], count: 0 },
    ]);
    expect(t).toEqual({
      name: 'all',
      value: 10,
      children: [
        {
          name: 'a',
          kind: 'user',
          value: 10,
          children: [
            {
              name: 'b',
              kind: 'user',
              value: 6,
              children: [
                { name: 'c', kind: 'user', value: 3 },
                { name: 'c', kind: 'kernel', value: 2 },
              ],
            },
            { name: 'c', kind: 'user', value: 4 },
          ],
        },
      ],
    });
  });

  it('inlines everything and loads nothing', () => {
    const html = renderHtml(STACKS, { title: 'a <b> & "c"' });
    expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b[^>]*\b(src|href|data)\s*=/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(https?:|\/\/)/i);
    expect(html).toContain('<title>a &#60;b&#62; &#38; &#34;c&#34;</title>');
    // The hostile frame name is data, not markup: one <script> open and close per inlined script.
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain('<!--');
  });

  it('wants a minimum frame size of at least one pixel', () => {
    expect(() => renderHtml(STACKS, { title: 't', minFrameSize: 0 })).toThrow(HuatuoError);
    expect(() => renderHtml(STACKS, { title: 't', minFrameSize: Number.NaN })).toThrow(/≥ 1/);
    expect(renderHtml(STACKS, { title: 't', minFrameSize: 3 })).toContain('"minFrameSize":3');
  });
});
