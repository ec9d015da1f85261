// The interactive SVG flame graph in a real browser, through the ids documented at the top
// of src/flamegraph/svg.ts: hover details, click to zoom, Reset Zoom, regex search with the
// matched share counted once per sample.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PAD, renderSvg } from '../../src/flamegraph/svg.js';
import { describeBrowser, launchChromium, keepScreenshot, frameColor, rgb, type Chromium, type WatchedPage } from './chromium.js';
import { STACKS, TOTAL, matchedPercent } from './stacks.js';

const WIDTH = 1200;
const HIGHLIGHT = 'rgb(230,0,230)'; // documented in svg.ts

describeBrowser('flame graph SVG', () => {
  let browser: Chromium | undefined;
  let dir: string;
  let w: WatchedPage;
  /** Frame name → index among #frames > g. */
  let index: Map<string, number>;
  let original: number[];

  const g = (name: string) => {
    const i = index.get(name);
    if (i === undefined) throw new Error(`no frame ${name}`);
    return w.page.locator('#frames > g').nth(i);
  };
  const widths = () => w.page.$$eval('#frames > g > rect', (rs) => rs.map((r) => Number(r.getAttribute('width'))));
  const widthOf = async (name: string) => Number(await g(name).locator('rect').getAttribute('width'));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'huatuo-svg-'));
    const file = join(dir, 'profile.svg');
    writeFileSync(file, renderSvg(STACKS, { title: 'huatuo profile', subtitle: 'test node, 400 samples at 99 Hz', width: WIDTH }));
    browser = await launchChromium();
    w = await browser.newPage();
    await w.page.goto(pathToFileURL(file).href);
    // Names from the tooltips ("NAME (N samples, P%)"); each is unique in STACKS but for the
    // kernel entry frames, which the tests do not address by name.
    const titles = await w.page.$$eval('#frames > g > title', (ts) => ts.map((t) => t.textContent ?? ''));
    index = new Map(titles.map((t, i) => [t.slice(0, t.lastIndexOf(' (')), i]));
    original = await widths();
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens from file:// with no other request and no errors', async () => {
    expect(w.requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(w.errors).toEqual([]);
    expect(await w.page.textContent('#title')).toBe('huatuo profile');
    expect(index.get('all')).toBe(0);
    expect(original[0]).toBeCloseTo(WIDTH - 2 * PAD, 1);
  });

  it('shows the function under the pointer in the details line', async () => {
    await g('heap_getnext').hover();
    await expect.poll(() => w.page.textContent('#details')).toBe(`Function: heap_getnext (120 samples, ${((100 * 120) / TOTAL).toFixed(2)}%)`);
    await g('tcp_sendmsg').hover();
    await expect.poll(() => w.page.textContent('#details')).toMatch(/^Function: tcp_sendmsg \(35 samples/);
    await w.page.mouse.move(1, 1);
    await expect.poll(() => w.page.textContent('#details')).toBe(' ');
  });

  it('zooms a clicked frame to full width and restores it with Reset Zoom', async () => {
    expect(await w.page.isVisible('#unzoom')).toBe(false);
    await g('ExecSeqScan').click();
    await expect.poll(() => widthOf('ExecSeqScan')).toBeCloseTo(WIDTH - 2 * PAD, 1);
    // Its children share the width; its ancestors span it, faded; the rest is hidden.
    expect(await widthOf('heap_getnext')).toBeCloseTo(((WIDTH - 2 * PAD) * 120) / 180, 1);
    expect(await g('PortalRun').getAttribute('class')).toBe('parent');
    expect(await widthOf('PortalRun')).toBeCloseTo(WIDTH - 2 * PAD, 1);
    expect(await g('node').isVisible()).toBe(false);
    expect(await w.page.isVisible('#unzoom')).toBe(true);
    expect(await w.page.textContent('#unzoom')).toBe('Reset Zoom');

    await w.page.click('#unzoom');
    await expect.poll(widths).toEqual(original);
    expect(await w.page.isVisible('#unzoom')).toBe(false);
    expect(await g('node').isVisible()).toBe(true);
    expect(w.errors).toEqual([]);
  });

  it('searches with Ctrl-F and the Search button, counting nested matches once', async () => {
    const answer = (term: string) => w.page.once('dialog', (d) => void d.accept(term));
    const highlighted = () =>
      w.page.$$eval('#frames > g', (gs, hl) => gs.filter((e) => e.querySelector('rect')!.getAttribute('fill') === hl).map((e) => e.querySelector('title')!.textContent!.replace(/ \(.*$/, '')), HIGHLIGHT);

    answer('^tcp_');
    await w.page.keyboard.press('Control+f');
    await expect.poll(() => w.page.textContent('#matched')).toBe(`Matched: ${matchedPercent(/^tcp_/).toFixed(2)}%`);
    // tcp_write_xmit is inside tcp_sendmsg: 30 + 35 samples, not 30 + 35 + 35.
    expect(matchedPercent(/^tcp_/)).toBe((100 * 65) / TOTAL);
    expect((await highlighted()).sort()).toEqual(['tcp_recvmsg', 'tcp_sendmsg', 'tcp_write_xmit']);
    expect(await w.page.textContent('#search')).toBe('Reset Search');

    await w.page.click('#search'); // Reset Search
    await expect.poll(() => w.page.textContent('#matched')).toBe(' ');
    expect(await highlighted()).toEqual([]);

    answer('Exec|do_syscall');
    await w.page.click('#search');
    await expect.poll(() => w.page.textContent('#matched')).toBe(`Matched: ${matchedPercent(/Exec|do_syscall/).toFixed(2)}%`);
    expect(matchedPercent(/Exec|do_syscall/)).toBe((100 * (180 + 30 + 35 + 15)) / TOTAL);
    expect(new Set(await highlighted())).toEqual(new Set(['ExecutorRun', 'ExecSeqScan', 'ExecQual', 'do_syscall_64']));
    expect(w.errors).toEqual([]);
  });

  it('is pictured as the DOM says: searched frames highlighted, others in their own colour (docs/img with HUATUO_UPDATE_SCREENSHOTS=1)', async () => {
    await w.page.click('#search'); // Reset Search
    w.page.once('dialog', (d) => void d.accept('^tcp_'));
    await w.page.click('#search');
    await expect.poll(() => w.page.textContent('#matched')).toBe(`Matched: ${matchedPercent(/^tcp_/).toFixed(2)}%`);
    await g('heap_getnext').hover();
    const box = (await w.page.locator('svg').first().boundingBox())!;
    const matched = [...index.keys()].filter((n) => /^tcp_/.test(n));
    expect(matched.length).toBeGreaterThan(0);
    const fill = rgb((await g('heap_getnext').locator('rect').getAttribute('fill'))!);
    expect(fill).not.toBe(HIGHLIGHT);
    // What the picture shows where the matched frames and one unmatched frame are drawn
    // (polled: the compositor may hand out a frame from before the last fill change).
    let png = Buffer.alloc(0);
    const shown = async () => {
      png = await w.page.screenshot({ clip: box });
      const at = async (name: string) => frameColor(browser!, png, (await g(name).locator('rect').boundingBox())!, box);
      return [...(await Promise.all(matched.map(at))), await at('heap_getnext')];
    };
    await expect.poll(shown, { timeout: 10_000 }).toEqual([...matched.map(() => HIGHLIGHT), fill]);
    keepScreenshot('flamegraph-svg.png', png);
    expect(w.requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(w.errors).toEqual([]);
  });
});
