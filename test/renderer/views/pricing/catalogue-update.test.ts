import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { CatalogueRepricePreview, CatalogueStatus, CatalogueUpdateCheck } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import { packageLabel } from '../../../../renderer/src/views/pricing/catalogue.js';
import CatalogueUpdate from '../../../../renderer/src/views/pricing/CatalogueUpdate.svelte';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';

const VERSION = '0.1.8+data.2026-12-01.ab12cd34';
const BUNDLED: CatalogueStatus = {
  package: '@pydantic/genai-prices',
  bundledVersion: '0.1.8',
  active: { kind: 'bundled', version: '0.1.8', date: null },
  warning: null,
  url: 'http://127.0.0.1:1/data.json',
  pricedBy: [{ version: '0.1.8', requests: 2 }],
  otherVersion: 0,
};
const DOWNLOADED: CatalogueStatus = { ...BUNDLED, active: { kind: 'downloaded', version: VERSION, date: '2026-12-01' }, otherVersion: 2 };
const price = (base: number) => ({ base, tiers: [] });
const CHECK: CatalogueUpdateCheck = {
  url: BUNDLED.url,
  candidate: { version: VERSION, date: '2026-12-01', providers: 32, models: 900 },
  current: { version: '0.1.8' },
  changed: 1,
  added: 0,
  removed: 0,
  examples: [
    {
      entry: 'anthropic/claude-sonnet-4-5',
      name: 'Claude Sonnet 4.5',
      before: { input: price(3), output: price(15), cacheRead: null, cacheWrite: null, cacheWrite1h: null },
      after: { input: price(6), output: price(30), cacheRead: null, cacheWrite: null, cacheWrite1h: null },
    },
  ],
};
const PREVIEW: CatalogueRepricePreview = {
  version: VERSION,
  affectedRequests: 2,
  models: [{ model: 'claude-sonnet-4-5', requests: 2, before: { cost: { USD: 0.05 }, unpricedRequests: 0 }, after: { cost: { USD: 0.1 }, unpricedRequests: 0 } }],
  before: { cost: { USD: 0.05 }, unpricedRequests: 0 },
  after: { cost: { USD: 0.1 }, unpricedRequests: 0 },
};

describe('check for newer prices (Pricing view)', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('shows what a download changes, keeps it only on confirmation, then previews and confirms the re-pricing', async () => {
    let status = BUNDLED;
    const client = makeFakeClient({
      getCatalogueStatus: async () => status,
      checkCatalogueUpdate: async () => CHECK,
      applyCatalogueUpdate: async () => (status = DOWNLOADED),
      previewCatalogueReprice: async () => PREVIEW,
      repriceCatalogue: async () => {
        status = { ...DOWNLOADED, otherVersion: 0 };
        return { version: VERSION, repricedRequests: 2, models: ['claude-sonnet-4-5'] };
      },
    });
    renderWithClient(client, CatalogueUpdate, {});
    const user = userEvent.setup();
    expect((await screen.findByTestId('catalogue-active')).textContent).toBe('New requests are priced with genai-prices 0.1.8.');
    expect(screen.queryByTestId('catalogue-stale')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Check for newer prices' }));
    const result = await screen.findByTestId('catalogue-check-result');
    expect(result.textContent).toContain('Price list of 2026-12-01: 1 models’ current prices change, 0 new, 0 gone.');
    expect(within(result).getByTestId('catalogue-change').textContent).toContain('in $3 → $6 · out $15 → $30');
    // Checking changed nothing.
    expect(client.callsOf('applyCatalogueUpdate')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Use these prices for new requests' }));
    await waitFor(() => expect(client.callsOf('applyCatalogueUpdate')).toEqual([{ version: VERSION }]));
    await waitFor(() => expect(screen.getByTestId('catalogue-active').textContent).toBe('New requests are priced with genai-prices, downloaded 2026-12-01.'));
    expect(screen.getByTestId('catalogue-stale').textContent).toContain('2 stored requests were priced by other catalogue data');
    expect(client.callsOf('repriceCatalogue')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Preview re-pricing' }));
    const row = await screen.findByTestId('catalogue-reprice-row');
    expect(row.textContent).toContain('claude-sonnet-4-5');
    expect(row.textContent).toContain('$0.05');
    expect(row.textContent).toContain('$0.10');
    expect(client.callsOf('repriceCatalogue')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Re-price 2 requests' }));
    await waitFor(() => expect(client.callsOf('repriceCatalogue')).toHaveLength(1));
    expect((await screen.findByTestId('catalogue-notice')).textContent).toBe('2 requests were re-priced.');
    await waitFor(() => expect(screen.queryByTestId('catalogue-stale')).toBeNull());
  });

  it('shows the preview and then the re-pricing going model by model, naming the model it is at', async () => {
    let previewed!: (preview: CatalogueRepricePreview) => void;
    let repriced!: (result: { version: string; repricedRequests: number; models: string[] }) => void;
    const client = makeFakeClient({
      getCatalogueStatus: async () => DOWNLOADED,
      previewCatalogueReprice: () => new Promise((resolve) => (previewed = resolve)),
      repriceCatalogue: () => new Promise((resolve) => (repriced = resolve)),
    });
    renderWithClient(client, CatalogueUpdate, {});
    const user = userEvent.setup();
    const text = (testid: string) => screen.getByTestId(`${testid}-text`).textContent?.trim();

    await user.click(await screen.findByRole('button', { name: 'Preview re-pricing' }));
    expect(text('catalogue-preview-progress')).toBe('Previewing…');
    client.emit({ type: 'progress', progress: { task: 'reprice', model: 'gpt-4.1', done: 1, total: 2 } });
    client.emit({ type: 'progress', progress: { task: 'reprice-preview', model: 'claude-sonnet-4-5', done: 1, total: 4 } });
    await waitFor(() => expect(text('catalogue-preview-progress')).toBe('Previewing claude-sonnet-4-5… 25%'));
    previewed(PREVIEW);
    await screen.findByTestId('catalogue-reprice-row');
    expect(screen.queryByTestId('catalogue-preview-progress')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Re-price 2 requests' }));
    expect(text('catalogue-reprice-progress')).toBe('Re-pricing…');
    client.emit({ type: 'progress', progress: { task: 'reprice', model: 'claude-sonnet-4-5', done: 2, total: 2 } });
    await waitFor(() => expect(text('catalogue-reprice-progress')).toBe('Re-pricing claude-sonnet-4-5… 100%'));
    client.emit({ type: 'progress', progress: { task: 'reprice', model: 'gpt-4.1', done: 1, total: 10 } });
    await waitFor(() => expect(text('catalogue-reprice-progress')).toBe('Re-pricing gpt-4.1… 10%'));
    repriced({ version: VERSION, repricedRequests: 2, models: ['claude-sonnet-4-5', 'gpt-4.1'] });
    await screen.findByTestId('catalogue-notice');
    expect(screen.queryByTestId('catalogue-reprice-progress')).toBeNull();
  });

  it('says why a download was refused, and shows a kept file’s warning', async () => {
    const client = makeFakeClient({
      getCatalogueStatus: async () => ({ ...BUNDLED, warning: 'the kept price catalogue could not be read' }),
      checkCatalogueUpdate: async () => {
        throw new ApiError('bad_gateway', 'the downloaded catalogue data is not usable: not JSON');
      },
    });
    renderWithClient(client, CatalogueUpdate, {});
    expect((await screen.findByTestId('catalogue-warning')).textContent).toContain('could not be read');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Check for newer prices' }));
    await waitFor(() => expect(document.body.textContent).toContain('not JSON'));
    expect(screen.queryByTestId('catalogue-check-result')).toBeNull();
    expect(client.callsOf('applyCatalogueUpdate')).toHaveLength(0);
  });

  it('names downloaded data by its date, bundled data by the package version', () => {
    i18n.choice = 'zh-CN';
    expect(packageLabel({ package: '@pydantic/genai-prices', version: VERSION })).toBe('genai-prices，2026-12-01 下载');
    i18n.choice = 'en';
    expect(packageLabel({ package: '@pydantic/genai-prices', version: VERSION })).toBe('genai-prices, downloaded 2026-12-01');
    expect(packageLabel({ package: '@pydantic/genai-prices', version: '0.1.8' })).toBe('genai-prices 0.1.8');
  });
});
