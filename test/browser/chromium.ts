// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (no downloaded browsers). Without Chromium the tests skip with the reason
// printed, except under CI=true, where a skip is a failure (the describeBpf rule).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
 * Where a screenshot goes: docs/img/<name> when HUATUO_UPDATE_SCREENSHOTS=1 (to refresh the
 * pictures in the docs), else a temporary directory, so a test run leaves the tree as it was.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.HUATUO_UPDATE_SCREENSHOTS === '1' ? packagePath('docs', 'img') : mkdtempSync(join(tmpdir(), 'huatuo-shot-'));
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
