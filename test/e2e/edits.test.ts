import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, UNPRICED_MODEL } from '../../electron/hosts/demo/catalog.js';
import type { DemoWeek } from '../../electron/hosts/demo/week.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { visit, withPage } from './support/page.js';
import { seedDemoWeek } from './support/seed.js';
import { startServer, type E2eServer } from './support/server.js';

let server: E2eServer;
let browser: Browser;
let week: DemoWeek;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  week = await seedDemoWeek(server, { scale: 0.2 });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const modelRow = (page: Page, model: string) => page.getByTestId('models-row').and(page.locator(`[data-model="${model}"]`));

describe('changing things from the dashboard', () => {
  it('prices an unpriced model: form, preview, apply, confirm; its cost turns from Unpriced into money', async () => {
    await withPage(browser, {}, async (page) => {
      await visit(page, server, '/models');
      await expect.poll(() => modelRow(page, UNPRICED_MODEL).getByTestId('models-cost').textContent()).toContain('Unpriced');

      await page.getByRole('navigation').getByRole('link', { name: 'Pricing' }).click();
      await page.getByTestId('pricing-model').and(page.locator(`[data-model="${UNPRICED_MODEL}"]`)).click();
      await expect.poll(() => page.getByTestId('pricing-selected').textContent()).toBe(UNPRICED_MODEL);
      await page.getByRole('radio', { name: 'Per token' }).check();
      await page.getByLabel('Currency', { exact: true }).fill('USD');
      await page.getByRole('textbox', { name: 'Tier 1: input price per 1M tokens' }).fill('0.2');
      await page.getByRole('textbox', { name: 'Tier 1: output price per 1M tokens' }).fill('0.8');
      await page.getByRole('textbox', { name: /Tier 1: cache read price/ }).fill('0.02');
      await expect.poll(() => page.getByRole('button', { name: 'Apply', exact: true }).isDisabled()).toBe(true);

      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      const stored = (await server.call('getSummary', { range: '30d' })).models.find((model) => model.model === UNPRICED_MODEL)!;
      await expect.poll(() => page.getByTestId('pricing-preview-unpriced').textContent()).toMatch(/→\s*0\b/);
      await expect.poll(() => page.getByTestId('pricing-preview-cost').and(page.locator('[data-currency="USD"]')).textContent()).toMatch(/\$\d/);
      await screenshot(page, 'pricing-preview-en-light');

      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await expect.poll(() => dialog.isVisible()).toBe(true);
      await expect.poll(() => dialog.getByTestId('pricing-apply-confirm').textContent()).toContain(UNPRICED_MODEL);
      await dialog.getByRole('button', { name: 'Apply and re-price' }).click();
      await expect.poll(() => page.getByTestId('pricing-applied').isVisible()).toBe(true);
      await expect.poll(() => page.getByTestId('pricing-version').count()).toBe(1);

      const priced = (await server.call('getSummary', { range: '30d' })).models.find((model) => model.model === UNPRICED_MODEL)!;
      expect(stored.cost).toBeNull();
      expect(priced.unpricedRequests).toBe(0);
      expect(priced.cost!['USD']).toBeGreaterThan(0);

      await page.getByRole('navigation').getByRole('link', { name: 'Models' }).click();
      await expect.poll(() => modelRow(page, UNPRICED_MODEL).getByTestId('models-cost').textContent()).toMatch(/\$\d/);
      await page.getByRole('navigation').getByRole('link', { name: 'Overview' }).click();
      await page.getByRole('button', { name: '7 days', exact: true }).click();
      const overviewRow = page.getByTestId('overview-model-row').filter({ hasText: UNPRICED_MODEL });
      await expect.poll(() => overviewRow.textContent()).toMatch(/\$\d/);
      await expect.poll(() => overviewRow.textContent()).not.toContain('Unpriced');
    });
  });

  it('resets the open circuit of a channel and shows it closed', async () => {
    const open = CHANNELS[week.openChannel];
    await withPage(browser, {}, async (page) => {
      await visit(page, server, '/channels');
      const row = page.getByTestId('channel-row').and(page.locator(`[data-metrics-key="${open.metricsKey}"]`));
      await expect.poll(() => row.getByTestId('channel-state').getAttribute('data-state')).toBe('open');
      await expect.poll(() => row.getByTestId('channel-retry').textContent()).toMatch(/\d/);
      await row.getByRole('button', { name: `Reset the circuit of ${open.label}` }).click();
      await expect.poll(() => row.getByTestId('channel-state').getAttribute('data-state')).toBe('closed');
      await expect.poll(() => page.getByTestId('channels-notice').textContent()).toContain(open.label);
      const circuits = await server.call('listCircuits', {});
      expect(circuits.find((circuit) => circuit.metricsKey === open.metricsKey)!.state).toBe('closed');
      // The reset is in the transition log, after the week's opens.
      await row.getByTestId('channel-timeline-toggle').click();
      await expect.poll(() => page.getByTestId('transition-row').first().textContent()).toContain('manual reset');
      await screenshot(page, 'channels-after-reset-en-light');
    });
  });

  it('downloads an export with its progress, and cancels one whose answer has not come', async () => {
    await withPage(browser, {}, async (page) => {
      await visit(page, server, '/data');
      const downloading = page.waitForEvent('download');
      await page.getByTestId('data-export-button').click();
      const download = await downloading;
      await expect.poll(() => page.getByTestId('data-export-result').textContent()).toMatch(/^Saved as modelmeter-requests-\d{4}-\d{2}-\d{2}\.csv$/);
      expect(await page.getByTestId('data-export-progress').count()).toBe(0);
      const lines = fs.readFileSync((await download.path())!, 'utf8').trimEnd().split('\n');
      const { totals } = await server.call('getSummary', { from: 0, to: Date.now() + 60_000 });
      expect(lines.filter((line) => line.includes(',request,')).length).toBe(totals.requests);

      // An export the server has not answered yet: the line says it is being prepared, Cancel ends it.
      await page.route('**/api/v1/export?**', () => {});
      await page.getByTestId('data-export-button').click();
      await expect.poll(() => page.getByTestId('data-export-progress-text').textContent()).toBe('Preparing the export…');
      await screenshot(page, 'data-export-preparing-en-light');
      await page.getByTestId('data-export-cancel').click();
      await expect.poll(() => page.getByTestId('data-export').getByRole('status').last().textContent()).toBe('Export cancelled.');
      expect(await page.getByTestId('data-export-progress').count()).toBe(0);
    });
  });
});
