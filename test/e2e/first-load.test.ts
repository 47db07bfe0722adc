import type { Browser, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.js';
import { visit, withPage } from './support/page.js';
import { seedDemoWeek } from './support/seed.js';
import { startServer, type E2eServer } from './support/server.js';

// The first cards should not wait for more script than this (compressed bytes on the wire).
const FIRST_VIEW_SCRIPT_BUDGET = 200 * 1024;

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  await seedDemoWeek(server, { scale: 0.05 });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface Sent {
  url: string;
  encoding: string | undefined;
  bytes: number;
}

async function sent(response: Response): Promise<Sent> {
  const sizes = await response.request().sizes();
  return { url: response.url(), encoding: (await response.allHeaders())['content-encoding'], bytes: sizes.responseBodySize };
}

describe('the first load', () => {
  it('sends the first view compressed and small, and the other views only when opened', async () => {
    await withPage(browser, {}, async (page) => {
      const scripts: Promise<Sent>[] = [];
      page.on('response', (response) => {
        if (response.request().resourceType() === 'script') scripts.push(sent(response));
      });
      await visit(page, server, '/overview');
      await expect.poll(() => page.getByTestId('card-requests').isVisible()).toBe(true);
      const first = await Promise.all(scripts);
      expect(first.length).toBeGreaterThan(0);
      for (const script of first) expect(script.encoding, script.url).toMatch(/^(br|gzip)$/);
      expect(first.reduce((sum, script) => sum + script.bytes, 0)).toBeLessThan(FIRST_VIEW_SCRIPT_BUDGET);
      expect(first.some((script) => /\/Settings-[\w-]+\.js$/.test(script.url))).toBe(false);

      await page.getByRole('link', { name: 'Settings' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Settings');
      const all = await Promise.all(scripts);
      expect(all.some((script) => /\/Settings-[\w-]+\.js$/.test(script.url))).toBe(true);
    });
  });
});
