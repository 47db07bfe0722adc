import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './support/browser.js';
import { seedWeek, type DemoSink } from '../../electron/hosts/demo/seed.js';
import { generateWeek } from '../../electron/hosts/demo/week.js';
import { startServer, type E2eServer } from './support/server.js';

/**
 * Every view fits the window it is shown in: nothing off the right edge of the page and no table
 * that hides a column behind its own horizontal scroll, at 800, 1024 and 1280 px, in both languages.
 * One browser and one page per language, reused for every view and width, so the test stays quick.
 * MM_SCREENSHOTS=1 also saves each view in both themes to test-results/screenshots/fit-*.png.
 */

const WIDTHS = [800, 1024, 1280] as const;
const LOCALES = ['en-US', 'zh-CN'] as const;
const SHOTS = process.env['MM_SCREENSHOTS'] === '1';
/** MM_FIT_ONLY=/budgets,/overview checks only the routes starting with one of these (a quicker look at a view). */
const ONLY = process.env['MM_FIT_ONLY'];

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  // The demo's week, in batches well under the ingest limit.
  const sink: DemoSink = {
    ingestRequests: (body) => server.call('ingestRequests', body),
    reportRun: (event) => server.call('reportRun', event),
    addPriceVersion: (input) => server.call('addPriceVersion', input),
    putCircuits: (body) => server.call('putCircuits', body),
  };
  await seedWeek(sink, generateWeek({ seed: 7, now: Date.now(), scale: 1 }), { batch: 2000 });
  await server.call('ingestRequests', [
    { model: 'gpt-5-mini', inputTokens: 1200, outputTokens: 300, cacheReadTokens: 2048 },
    { model: 'gemini-2.5-flash', success: false, failureClass: 'retryable', statusCode: 429 },
  ]);
  // Budgets for the Budgets view, the quick view and the Overview card: one past its limit with a
  // webhook nobody answers (its alerts stay pending), one well within.
  await server.call('saveBudget', {
    id: 'all-month',
    budget: { name: 'Everything this month', amount: 1, currency: 'USD', period: 'month', scope: { kind: 'all' }, webhook: { url: 'http://127.0.0.1:9/hook', format: 'slack' } },
  });
  // Other machines forwarding here: the Overview's machine filter and By machine table, the request
  // log's machine column. A second seed runs forwarding against a port nobody listens on, so the
  // Settings section shows "unreachable" and the dashboard its lag badge.
  const forwarded = (host: string, count: number) =>
    server.call('ingestForwarded', {
      host,
      requests: Array.from({ length: count }, (_, i) => ({ model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 900 + i, outputTokens: 200, requestId: `${host}-${i}` })),
    });
  await forwarded('gpu-box-01', 40);
  await forwarded('lab-workstation.example.internal', 12);
  await server.call('setForwarding', { enabled: true, targetUrl: 'http://127.0.0.1:9', token: 'e2e-target-token', hostName: 'e2e-source' });
  await server.call('saveBudget', { id: 'cloud-week', budget: { name: 'Cloud models, weekly', amount: 5000, currency: 'USD', period: 'week', scope: { kind: 'cloud' }, thresholds: [25, 50, 75, 100, 150] } });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const LONG_WEBHOOK_ERROR =
  'request to http://127.0.0.1:9/hooks/services/T0123ABCD/B0456EFGH/aVeryLongWebhookPathTokenWithoutAnySpaces0123456789abcdef failed, reason: connect ECONNREFUSED 127.0.0.1:9';

const ROUTES = ['/overview', '/models', '/models/claude-sonnet-4-5', '/channels', '/pricing', '/pricing/claude-sonnet-4-5', '/budgets', '/data', '/settings'];

/** What a route must show for its check to mean something (the seeded machines, forwarding, long errors). */
const MUST_SHOW: Record<string, string[]> = {
  '/overview': ['overview-host', 'overview-hosts', 'forwarding-badge'],
  '/models/claude-sonnet-4-5': ['request-host'],
  '/budgets': ['budget-alert-error'],
  '/data': ['data-export-host'],
  '/settings': ['settings-forwarding', 'forwarding-status'],
};

/**
 * Elements wider than their box: the page itself, or any box in the view that scrolls sideways.
 * A string, as it runs in the page (the tests are type-checked without the DOM library).
 */
const OVERFLOWING = `(() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) found.push('page ' + root.scrollWidth + ' > ' + root.clientWidth);
  for (const element of document.querySelectorAll('main *')) {
    if (!['auto', 'scroll'].includes(getComputedStyle(element).overflowX)) continue;
    if (element.scrollWidth > element.clientWidth + 1) {
      const name = element.dataset.testid ?? element.firstElementChild?.getAttribute('data-testid') ?? element.className;
      found.push(name + ' ' + element.scrollWidth + ' > ' + element.clientWidth);
    }
  }
  return found;
})()`;

const overflowing = (page: Page) => page.evaluate<string[]>(OVERFLOWING);

async function settle(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor();
  await expect.poll(() => page.locator('main .loading').count(), { timeout: 10_000 }).toBe(0);
}

describe('every view fits its window', () => {
  for (const locale of LOCALES) {
    it(`at ${WIDTHS.join(', ')} px in ${locale}`, async () => {
      const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale, colorScheme: 'light' });
      // A webhook error as long as real ones get (a URL, a reason, retries): it must wrap inside the
      // alert history, not widen the table past its panel.
      await context.route('**/api/v1/budgets/alerts**', async (route) => {
        const response = await route.fetch();
        const alerts = (await response.json()) as { webhook: { lastError: string | null } }[];
        for (const alert of alerts) alert.webhook.lastError = LONG_WEBHOOK_ERROR;
        await route.fulfill({ response, json: alerts });
      });
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/#/overview&token=${encodeURIComponent(server.token)}`);
        const problems: string[] = [];
        for (const route of ONLY ? ROUTES.filter((candidate) => ONLY.split(',').some((prefix) => candidate.startsWith(prefix))) : ROUTES) {
          await page.evaluate(`location.hash = ${JSON.stringify(`#${route}`)}`);
          await settle(page);
          for (const id of MUST_SHOW[route] ?? []) await page.getByTestId(id).first().waitFor({ timeout: 10_000 });
          for (const width of WIDTHS) {
            await page.setViewportSize({ width, height: 860 });
            // Charts resize in an animation frame.
            await page.waitForTimeout(60);
            for (const problem of await overflowing(page)) problems.push(`${route} @${width}: ${problem}`);
            if (SHOTS) {
              for (const scheme of ['light', 'dark'] as const) {
                await page.emulateMedia({ colorScheme: scheme });
                await screenshot(page, `fit-${route.slice(1).replaceAll('/', '_')}-${width}-${locale}-${scheme}`);
              }
              await page.emulateMedia({ colorScheme: 'light' });
            }
          }
          await page.setViewportSize({ width: 1280, height: 860 });
        }
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
