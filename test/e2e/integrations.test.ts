import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUnifiedLayout, MODEL_GLM, MODEL_QWEN, removeTempDirs, tempDir, type LlmFixture } from '../electron/sources/importers/fixtures.js';
import { compact } from '../../renderer/src/lib/format.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { visit, withPage } from './support/page.js';
import { startServer, type E2eServer } from './support/server.js';

let server: E2eServer;
let browser: Browser;
let source: LlmFixture;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  // LLM-Manager's later monitoring.db layout, written with better-sqlite3 as LLM-Manager wrote it.
  source = buildUnifiedLayout(tempDir());
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  removeTempDirs();
});

const KEY = 'sk-e2e-held-key-7f3a9xQ2';

describe('integrations from the dashboard', () => {
  it('creates a metering-proxy route in Settings and lists it with the address clients use, never its key', async () => {
    await withPage(browser, {}, async (page) => {
      await visit(page, server, '/settings');
      await expect.poll(() => page.getByText('No routes yet — add one to meter requests through ModelMeter').isVisible()).toBe(true);
      await page.getByTestId('route-add').click();
      const form = page.getByTestId('route-form');
      await form.getByTestId('route-name').fill('local-llama');
      await form.getByTestId('route-channel-url').fill('http://127.0.0.1:9/v1');
      await form.getByTestId('route-channel-label').fill('llama.cpp on the GPU box');
      await form.getByTestId('route-channel-key').fill(KEY);
      await form.getByTestId('route-include-usage').check();
      await form.getByTestId('route-save').click();

      const card = page.getByTestId('route-card').and(page.locator('[data-route="local-llama"]'));
      await expect.poll(() => card.getByTestId('route-url').textContent()).toBe(`${server.url}/r/local-llama`);
      await expect.poll(() => card.getByTestId('route-card-key').textContent()).toMatch(/Key held sk-e…9xQ2/);
      expect(await page.content()).not.toContain(KEY);

      const stored = await server.call('listRoutes');
      expect(stored.map((route) => [route.name, route.protocol, route.includeUsage, route.channels.map((channel) => [channel.baseUrl, channel.hasKey])])).toEqual([
        ['local-llama', 'openai', true, [['http://127.0.0.1:9/v1', true]]],
      ]);
      await screenshot(page, 'settings-routes-en-light');
    });
  });

  it('imports an LLM-Manager database from the Data view and shows the report; a second import adds nothing', async () => {
    const expected = source.requests[MODEL_QWEN]!.length + source.requests[MODEL_GLM]!.length;
    await withPage(browser, {}, async (page) => {
      await visit(page, server, '/data');
      // A browser cannot open the server's file dialog: the path is typed.
      await expect.poll(() => page.getByTestId('import-path').isVisible()).toBe(true);
      expect(await page.getByTestId('import-choose').count()).toBe(0);
      await page.getByTestId('import-path').fill(source.file);
      await page.getByTestId('import-button').click();

      const report = page.getByTestId('import-report');
      await expect.poll(() => report.isVisible(), { timeout: 20_000 }).toBe(true);
      expect(await report.getAttribute('data-format')).toBe('llm-manager-unified');
      expect(await report.getByTestId('import-report-requests').textContent()).toContain(`${expected.toLocaleString('en-US')} added · 0 already there`);
      expect(await report.getByTestId('import-report-models').textContent()).toContain(MODEL_QWEN);
      // The storage figures follow the import without a reload (the panel refreshes at most every 3 s).
      await expect.poll(() => page.getByTestId('data-total-requests').locator('dd').textContent(), { timeout: 10_000 }).toBe(compact(expected));
      await screenshot(page, 'data-import-en-light');

      await page.getByTestId('import-button').click();
      await expect.poll(() => page.getByTestId('import-nothing-new').isVisible(), { timeout: 20_000 }).toBe(true);
      expect(await report.getByTestId('import-report-requests').textContent()).toContain(`0 added · ${expected.toLocaleString('en-US')} already there`);
    });
    const summary = await server.call('getSummary', { from: 0 });
    expect(summary.totals.requests).toBe(expected);
  });

  it('shows both in Chinese and in the dark theme', async () => {
    await withPage(browser, { locale: 'zh-CN', colorScheme: 'dark' }, async (page) => {
      await visit(page, server, '/settings');
      await expect.poll(() => page.getByTestId('route-url').textContent()).toBe(`${server.url}/r/local-llama`);
      await expect.poll(() => page.getByTestId('route-card-key').textContent()).toContain('持有密钥');
      await screenshot(page, 'settings-routes-zh-dark');
      await visit(page, server, '/data');
      await page.getByTestId('import-path').fill(source.file);
      await page.getByTestId('import-button').click();
      await expect.poll(() => page.getByTestId('import-nothing-new').textContent(), { timeout: 20_000 }).toContain('没有新内容');
      await screenshot(page, 'data-import-zh-dark');
    });
  });
});
