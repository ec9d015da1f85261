// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (no downloaded browsers). Without Chromium the tests skip with the reason
// printed, except under CI=true, where a skip is a failure (the describeBpf rule).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describeUnless } from '../helpers/env.js';
import { packagePath } from '../../src/paths.js';

export const CHROMIUM = '/usr/bin/chromium';

// This machine refuses Chromium's own connections; these keep it from retrying them forever.
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** describe() for browser tests: skip with a reason, or fail under CI=true. */
export function describeBrowser(name: string, fn: () => void, needs: Array<[path: string, reason: string]> = []): void {
  const missing = [[CHROMIUM, `${CHROMIUM} not installed (run ./scripts/setup)`], ...needs].find(([p]) => !existsSync(p));
  describeUnless(missing ? missing[1] : null, name, fn);
}

export interface Chromium {
  context: BrowserContext;
  /** A page that records every request, aborts all but file://, and collects page errors. */
  newPage(): Promise<WatchedPage>;
  /** Closes the browser and removes its profile; safe to call twice. */
  close(): Promise<void>;
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Uncaught exceptions and console errors (CSP violations show up as the latter). */
  errors: string[];
}

export async function launchChromium(): Promise<Chromium> {
  // A fresh profile each run. Playwright rejects --user-data-dir in args and passes the
  // directory given to launchPersistentContext as that flag itself.
  const profile = mkdtempSync(join(tmpdir(), 'huatuo-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 720 },
      deviceScaleFactor: 1,
      offline: true,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  let closed = false;
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await page.route('**/*', (route) => (route.request().url().startsWith('file://') ? route.continue() : route.abort()));
      return { page, requests, errors };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Keep a screenshot: in docs/img/<name> when HUATUO_UPDATE_SCREENSHOTS=1 (to refresh the
 * pictures in the docs); otherwise it is only checked, never written, so a test run leaves
 * the tree and /tmp as they were.
 */
export function keepScreenshot(name: string, png: Buffer): void {
  if (process.env.HUATUO_UPDATE_SCREENSHOTS !== '1') return;
  const dir = packagePath('docs', 'img');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), png);
}

/**
 * The colours of a PNG at the given points, decoded by the browser itself (a blank page
 * draws it on a canvas): what a screenshot really shows, to compare with what the DOM says.
 */
export async function pixelColors(browser: Chromium, png: Buffer, points: Array<{ x: number; y: number }>): Promise<string[]> {
  const page = await browser.context.newPage();
  try {
    return await page.evaluate(async ({ src, points }) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      return points.map(({ x, y }) => {
        const [r, gr, b] = g.getImageData(Math.round(x), Math.round(y), 1, 1).data;
        return `rgb(${r},${gr},${b})`;
      });
    }, { src: `data:image/png;base64,${png.toString('base64')}`, points });
  } finally {
    await page.close();
  }
}

/**
 * The colour most of a frame's box shows in a screenshot (its label covers a few pixels):
 * the mode over a row of points across the middle of `box`, in the screenshot's frame `clip`.
 */
export async function frameColor(browser: Chromium, png: Buffer, box: { x: number; y: number; width: number; height: number }, clip: { x: number; y: number }): Promise<string> {
  const points = Array.from({ length: 15 }, (_, i) => ({ x: box.x - clip.x + box.width * (0.1 + (0.8 * i) / 14), y: box.y - clip.y + box.height / 2 }));
  const colors = await pixelColors(browser, png, points);
  const count = new Map<string, number>();
  for (const c of colors) count.set(c, (count.get(c) ?? 0) + 1);
  return [...count.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

/** `rgb(r,g,b)` drawn with this opacity over a white page, as the browser composites it. */
export function overWhite(color: string, alpha: number): string {
  const c = /rgb\((\d+),(\d+),(\d+)\)/.exec(color);
  if (!c) throw new Error(`not rgb(): ${color}`);
  return `rgb(${c.slice(1).map((v) => Math.round(alpha * Number(v) + (1 - alpha) * 255)).join(',')})`;
}

/** A CSS colour as `rgb(r,g,b)`, the form pixelColors gives ("rgb(1, 2, 3)", "#010203"). */
export function rgb(css: string): string {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css.trim());
  if (hex) return `rgb(${hex.slice(1).map((h) => parseInt(h, 16)).join(',')})`;
  return css.replace(/\s+/g, '');
}
