import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './support/browser.js';
import { visit, withPage } from './support/page.js';
import { startServer, type E2eServer } from './support/server.js';

const MODEL = 'e2e-budget-model';

/** A loopback webhook receiver: it records every POST body and answers 204. */
interface Receiver {
  url: string;
  bodies: unknown[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const bodies: unknown[] = [];
  const server = http.createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      try {
        bodies.push(JSON.parse(text));
      } catch {
        bodies.push(text);
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let server: E2eServer;
let browser: Browser;
let receiver: Receiver;

beforeAll(async () => {
  [server, browser, receiver] = await Promise.all([startServer(), launchBrowser(), startReceiver()]);
  // $1 per 1M input tokens, for all history: 850,000 input tokens then cost exactly $0.85.
  await server.call('addPriceVersion', { model: MODEL, version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] } });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await receiver?.close();
});

describe('budgets in the dashboard', () => {
  it('creates a budget in the form; spend ingested over HTTP fills its bar past 80 % and the alerts appear, delivered to the webhook', async () => {
    await withPage(browser, {}, async (page) => {
      await visit(page, server, '/budgets');
      const empty = page.getByTestId('budgets-empty');
      await expect.poll(() => empty.textContent()).toContain('forecasts where the period will end');
      await screenshot(page, 'budgets-empty-en-light');
      await empty.getByRole('button', { name: 'Create a budget' }).click();

      const form = page.getByTestId('budget-form');
      await form.getByLabel('Name', { exact: true }).fill('E2E month');
      await form.getByLabel('Amount', { exact: true }).fill('1');
      await expect.poll(() => form.getByLabel('Currency', { exact: true }).inputValue()).toBe('USD');
      await form.getByLabel('What counts').selectOption('model');
      await form.getByLabel('Model', { exact: true }).fill(MODEL);
      await form.getByLabel('Also send alerts to a webhook').check();
      await form.getByLabel('Webhook URL').fill(receiver.url);
      await page.setViewportSize({ width: 800, height: 860 });
      await screenshot(page, 'budgets-form-800-en-light');
      await page.setViewportSize({ width: 1280, height: 860 });
      await form.getByRole('button', { name: 'Save budget' }).click();

      const card = page.getByTestId('budget-card').and(page.locator('[data-budget="e2e-month"]'));
      await expect.poll(() => page.getByTestId('budgets-notice').textContent()).toContain('E2E month');
      await expect.poll(() => card.getByTestId('budget-percent').textContent()).toBe('0%');
      const [stored] = await server.call('listBudgets');
      expect(stored).toMatchObject({ id: 'e2e-month', amount: 1, currency: 'USD', period: 'month', scope: { kind: 'model', model: MODEL }, thresholds: [50, 80, 100] });
      expect(stored!.webhook).toEqual({ url: receiver.url, format: 'json' });

      // Another model's spend does not count; this model's pushes the budget to 85 %.
      await server.call('ingestRequests', [
        { model: 'someone-else', inputTokens: 5_000_000 },
        { model: MODEL, inputTokens: 600_000, requestId: 'e2e-b-1' },
        { model: MODEL, inputTokens: 250_000, requestId: 'e2e-b-2' },
      ]);

      await expect.poll(() => card.getByTestId('budget-percent').textContent(), { timeout: 15_000 }).toBe('85%');
      expect(await card.getByTestId('budget-bar').getAttribute('data-tone')).toBe('warn');
      await expect.poll(() => card.getByTestId('budget-tick').evaluateAll((ticks) => ticks.map((tick) => `${tick.getAttribute('data-threshold')}:${tick.getAttribute('data-crossed')}`))).toEqual([
        '50:true',
        '80:true',
        '100:false',
      ]);
      expect(await card.getByTestId('budget-spent').textContent()).toContain('$0.85');

      // One alert per crossed threshold, each delivered to the loopback receiver once.
      const rows = page.getByTestId('budget-alert-row');
      await expect.poll(() => rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-threshold')).sort()), { timeout: 15_000 }).toEqual(['50', '80']);
      // A first attempt that fails is retried after 10 s: allow one retry.
      await expect.poll(() => rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-webhook'))), { timeout: 30_000 }).toEqual(['delivered', 'delivered']);
      expect(receiver.bodies).toHaveLength(2);
      await screenshot(page, 'budgets-alerted-en-light');

      const status = (await server.call('listBudgets'))[0]!.status;
      expect(status.spent).toBeCloseTo(0.85, 9);
      expect(status.percent).toBeCloseTo(85, 6);
      expect(status.crossed).toEqual([50, 80]);

      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'budgets-alerted-en-dark');

      // The quick view and the Overview show the same budget.
      await visit(page, server, '/quick');
      await expect.poll(() => page.getByTestId('quick-budget-percent').textContent()).toBe('85%');
      await page.emulateMedia({ colorScheme: 'light' });
      await screenshot(page, 'budgets-quick-en-light');
      await visit(page, server, '/overview');
      await expect.poll(() => page.getByTestId('card-budget-name').textContent()).toContain('E2E month');
      // Over 30 days (day buckets) the cost chart carries the rest of the month, dashed, unless today is its last day.
      await page.getByRole('button', { name: '30 days', exact: true }).click();
      const projected = (await server.call('getForecast')).daily.some((day) => day.projected);
      const usd = page.getByTestId('chart-cost-currency').and(page.locator('[data-currency="USD"]'));
      await expect.poll(() => usd.getAttribute('data-projection')).toBe(String(projected));
      if (projected) expect(await page.getByTestId('chart-cost-projection').textContent()).toContain('Dashed: the projected daily cost');
      await screenshot(page, 'budgets-overview-30d-en-light');
    });
  });

  it('deletes a budget only after the confirmation', async () => {
    await withPage(browser, {}, async (page) => {
      await visit(page, server, '/budgets');
      const card = page.getByTestId('budget-card').and(page.locator('[data-budget="e2e-month"]'));
      await card.getByRole('button', { name: 'Delete budget E2E month' }).click();
      const dialog = page.getByRole('dialog');
      await expect.poll(() => dialog.getByTestId('budget-delete-confirm').textContent()).toContain('E2E month');
      await dialog.getByRole('button', { name: 'Delete budget' }).click();
      await expect.poll(() => page.getByTestId('budgets-notice').textContent()).toContain('E2E month');
      await expect.poll(() => page.getByTestId('budgets-empty').isVisible()).toBe(true);
      expect(await server.call('listBudgets')).toEqual([]);
    });
  });
});
