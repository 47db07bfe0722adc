import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './support/browser.js';
import { visit, withPage } from './support/page.js';
import { startServer, type E2eServer } from './support/server.js';

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a new install', () => {
  it('shows the empty state on the Overview of an empty data folder', async () => {
    for (const [locale, name] of [
      ['en-US', 'overview-empty-en-light'],
      ['zh-CN', 'overview-empty-zh-light'],
    ] as const) {
      await withPage(browser, { locale }, async (page) => {
        await page.goto(server.dashboard);
        await expect.poll(() => page.getByTestId('overview-fresh').isVisible()).toBe(true);
        await expect.poll(() => page.getByTestId('fresh-api-url').textContent()).toContain(`${server.url}/api/v1`);
        // No cards of zeros pretending to be figures.
        expect(await page.getByTestId('card-requests').count()).toBe(0);
        await screenshot(page, name);
      });
    }
  });

  it('keeps every other view understandable with no data', async () => {
    await withPage(browser, {}, async (page) => {
      for (const view of ['models', 'channels', 'pricing', 'data']) {
        await visit(page, server, `/${view}`);
        await expect.poll(() => page.getByRole('heading', { level: 1 }).isVisible()).toBe(true);
        await expect.poll(() => page.getByRole('main').textContent()).toMatch(/\w{3}/);
        await screenshot(page, `${view}-empty-en-light`);
      }
    });
  });

  it('asks for the token when the link has none, and accepts a pasted one', async () => {
    await withPage(browser, {}, async (page) => {
      await page.goto(`${server.url}/`);
      const input = page.getByLabel(/token/i);
      await expect.poll(() => input.isVisible()).toBe(true);
      const connect = page.getByRole('button');
      expect(await connect.isDisabled()).toBe(true);
      await screenshot(page, 'token-gate-en-light');
      await input.fill(server.token);
      await connect.click();
      await expect.poll(() => page.getByTestId('overview').isVisible()).toBe(true);
      await expect.poll(() => page.getByTestId('connection').getAttribute('class')).toContain('live');
      // Kept for this tab: a reload needs no token again.
      await page.reload();
      await expect.poll(() => page.getByTestId('overview').isVisible()).toBe(true);
    });
  });
});
