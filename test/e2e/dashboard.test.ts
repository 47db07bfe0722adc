import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNPRICED_MODEL } from '../../electron/hosts/demo/catalog.js';
import type { DemoWeek } from '../../electron/hosts/demo/week.js';
import type { Summary } from '../../shared/types.js';
import { compact } from '../../renderer/src/lib/format.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { cardValue, visit as visitOf, withPage as withPageOf } from './support/page.js';
import { seedDemoWeek } from './support/seed.js';
import { startServer, type E2eServer } from './support/server.js';

let server: E2eServer;
let browser: Browser;
let week: DemoWeek;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  week = await seedDemoWeek(server);
  // Whatever the hour, today has traffic: a few requests of this very minute.
  await server.call('ingestRequests', [
    { model: 'gpt-5-mini', inputTokens: 1200, outputTokens: 300, cacheReadTokens: 2048 },
    { model: 'gpt-5-mini', inputTokens: 900, outputTokens: 250 },
    { model: 'gemini-2.5-flash', success: false, failureClass: 'retryable', statusCode: 429 },
  ]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const withPage = (options: BrowserContextOptions, scenario: (page: Page) => Promise<void>) => withPageOf(browser, options, scenario);
const visit = (page: Page, route?: string) => visitOf(page, server, route);

/** The Overview on today, its requests card showing the server's figure, live updates flowing. */
async function liveTodayOverview(page: Page): Promise<Summary> {
  await visit(page);
  await page.getByRole('button', { name: 'Today', exact: true }).click();
  const before = await server.call('getSummary', { range: 'today' });
  await expect.poll(() => cardValue(page, 'card-requests').textContent()).toBe(compact(before.totals.requests));
  await expect.poll(() => page.getByTestId('connection').getAttribute('class')).toContain('live');
  return before;
}

/** Enough requests that the compact figure moves even past 1K; today's summary after them. */
async function postBurst(before: Summary): Promise<Summary> {
  const burst = Math.max(1, Math.ceil(before.totals.requests / 10));
  await server.call('ingestRequests', Array.from({ length: burst }, () => ({ model: 'gpt-5-mini', inputTokens: 500, outputTokens: 120 })));
  const after = await server.call('getSummary', { range: 'today' });
  expect(compact(after.totals.requests)).not.toBe(compact(before.totals.requests));
  return after;
}

describe('the dashboard in a browser', () => {
  it('loads with the token link and shows the Overview cards with figures', async () => {
    await withPage({}, async (page) => {
      await page.goto(server.dashboard);
      // The token leaves the address bar once it is taken.
      await expect.poll(() => page.evaluate('location.hash')).not.toContain('token=');
      const today = await server.call('getSummary', { range: 'today' });
      await expect.poll(() => cardValue(page, 'card-requests').textContent()).toBe(compact(today.totals.requests));
      for (const card of ['card-success', 'card-tokens', 'card-cache', 'card-runtime', 'card-cost']) {
        await expect.poll(() => cardValue(page, card).textContent()).toMatch(/\d/);
      }
      await expect.poll(() => page.getByTestId('connection').getAttribute('class')).toContain('live');
      await screenshot(page, 'overview-en-light');
    });
  });

  it('changes the figures when the range goes from today to 7 days', async () => {
    await withPage({}, async (page) => {
      await visit(page);
      const [today, sevenDays] = await Promise.all([server.call('getSummary', { range: 'today' }), server.call('getSummary', { range: '7d' })]);
      expect(sevenDays.totals.requests).toBeGreaterThan(today.totals.requests);
      await page.getByRole('button', { name: 'Today', exact: true }).click();
      await expect.poll(() => cardValue(page, 'card-requests').textContent()).toBe(compact(today.totals.requests));
      await page.getByRole('button', { name: '7 days', exact: true }).click();
      await expect.poll(() => page.getByRole('button', { name: '7 days', exact: true }).getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => cardValue(page, 'card-requests').textContent()).toBe(compact(sevenDays.totals.requests));
      await expect.poll(() => cardValue(page, 'card-tokens').textContent()).toBe(
        compact(sevenDays.totals.inputTokens + sevenDays.totals.outputTokens + sevenDays.totals.cacheReadTokens + sevenDays.totals.cacheWriteTokens),
      );
      // Every model of the week has a row.
      await expect.poll(() => page.getByTestId('overview-model-row').count()).toBe(sevenDays.models.length);
      await screenshot(page, 'overview-7d-en-light');
    });
  });

  it('switches to Simplified Chinese and back', async () => {
    await withPage({}, async (page) => {
      await visit(page);
      const nav = page.getByRole('navigation');
      await expect.poll(() => nav.getByRole('link', { name: 'Overview' }).isVisible()).toBe(true);
      await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
      await expect.poll(() => nav.getByRole('link', { name: '概览' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('概览');
      await expect.poll(() => page.getByRole('button', { name: '今天', exact: true }).isVisible()).toBe(true);
      expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
      await screenshot(page, 'overview-zh-light');
      // The choice survives a reload of the tab.
      await page.reload();
      await expect.poll(() => nav.getByRole('link', { name: '模型' }).isVisible()).toBe(true);
      await page.getByRole('combobox', { name: '语言' }).selectOption('en');
      await expect.poll(() => nav.getByRole('link', { name: 'Models' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    });
  });

  it('counts a request posted while the Overview is open, without a reload', async () => {
    await withPage({}, async (page) => {
      const before = await liveTodayOverview(page);
      // A marker in the page: it would be gone after a reload.
      await page.evaluate('window.notReloaded = true');
      const after = await postBurst(before);
      await expect.poll(() => cardValue(page, 'card-requests').textContent(), { timeout: 10_000 }).toBe(compact(after.totals.requests));
      expect(await page.evaluate('window.notReloaded')).toBe(true);
    });
  });

  it('reads nothing while its tab is hidden (for 30 s at least), and shows what changed as soon as it is seen again', async () => {
    await withPage({}, async (page) => {
      const before = await liveTodayOverview(page);
      const summaries: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/v1/summary')) summaries.push(request.url());
      });
      // Headless Chromium never hides a page: set the state a background tab has, and tell the page.
      const setHidden = (hidden: boolean) =>
        page.evaluate(`(() => {
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' });
          document.dispatchEvent(new Event('visibilitychange'));
        })()`);
      await setHidden(true);
      const after = await postBurst(before);
      await page.waitForTimeout(2_500);
      expect(summaries).toEqual([]);
      expect(await cardValue(page, 'card-requests').textContent()).toBe(compact(before.totals.requests));
      await setHidden(false);
      await expect.poll(() => cardValue(page, 'card-requests').textContent(), { timeout: 5_000 }).toBe(compact(after.totals.requests));
      expect(summaries.length).toBeGreaterThanOrEqual(1);
    });
  });

  it('shows the quick view in a 380x560 popover', async () => {
    // The launcher keeps vouching for its model, or the stale sweep would close the run mid-suite.
    const running = week.runs.find((run) => run.end === null)!;
    await server.call('reportRun', { model: running.model, event: 'heartbeat', source: running.source });
    await withPage({ viewport: { width: 380, height: 560 } }, async (page) => {
      await visit(page, '/quick');
      await expect.poll(() => page.getByTestId('quick-view').isVisible()).toBe(true);
      const today = await server.call('getSummary', { range: 'today' });
      await expect.poll(() => page.getByTestId('quick-requests').textContent()).toBe(compact(today.totals.requests));
      // The running local model with its live counter, and the open circuit with its countdown.
      await expect.poll(() => page.getByTestId('quick-running-row').first().textContent()).toContain(running.model);
      await expect.poll(() => page.getByTestId('quick-channel-row').count()).toBeGreaterThanOrEqual(1);
      await expect.poll(() => page.getByTestId('retry-countdown').first().textContent()).toMatch(/\d/);
      // It fits the popover: no horizontal scrolling.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(380);
      await screenshot(page, 'quick-en-light');
    });
    await withPage({ viewport: { width: 380, height: 560 }, locale: 'zh-CN', colorScheme: 'dark' }, async (page) => {
      await visit(page, '/quick');
      await expect.poll(() => page.getByTestId('quick-requests').isVisible()).toBe(true);
      await screenshot(page, 'quick-zh-dark');
    });
  });

  it('renders every view in English and Chinese, light and dark, for screenshots', async () => {
    const views: [string, string, (page: Page) => Promise<unknown>][] = [
      ['overview', '/overview', (page) => expect.poll(() => page.getByTestId('card-requests').isVisible()).toBe(true)],
      ['models', '/models', (page) => expect.poll(() => page.getByTestId('models-row').count()).toBeGreaterThan(3)],
      ['model-detail', `/models/${encodeURIComponent(UNPRICED_MODEL)}`, (page) => expect.poll(() => page.getByTestId('model-detail').isVisible()).toBe(true)],
      ['channels', '/channels', (page) => expect.poll(() => page.getByTestId('channel-row').count()).toBe(week.channels.length)],
      ['pricing', `/pricing/${encodeURIComponent('qwen3-max')}`, (page) => expect.poll(() => page.getByTestId('pricing-version').count()).toBeGreaterThan(0)],
      ['data', '/data', (page) => expect.poll(() => page.getByTestId('data-storage').isVisible()).toBe(true)],
      ['settings', '/settings', (page) => expect.poll(() => page.getByTestId('settings-api').isVisible()).toBe(true)],
    ];
    for (const [locale, lang] of [
      ['en-US', 'en'],
      ['zh-CN', 'zh'],
    ] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        await withPage({ locale, colorScheme }, async (page) => {
          // The last 24 hours, not "today": just after midnight today holds a few minutes of the week.
          await page.addInitScript(`localStorage.setItem('modelmeter.range', '{"preset":"24h"}')`);
          for (const [name, route, ready] of views) {
            // Dark shots of the overview are enough to judge the dark theme; every view gets a light one.
            if (colorScheme === 'dark' && name !== 'overview' && name !== 'channels') continue;
            await visit(page, route);
            await ready(page);
            await screenshot(page, `${name}-${lang}-${colorScheme}`);
          }
        });
      }
    }
  });
});
