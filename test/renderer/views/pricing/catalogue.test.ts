import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogueEntry, CatalogueSearchResult, ModelPricing } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import Pricing from '../../../../renderer/src/views/Pricing.svelte';
import { formFromCatalogue } from '../../../../renderer/src/views/pricing/catalogue.js';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';
import { installDialog, summaryWith, tokenVersion } from './support.js';

const SONNET: CatalogueEntry = {
  provider: 'anthropic',
  providerName: 'Anthropic',
  modelId: 'claude-sonnet-4-5',
  name: 'Claude Sonnet 4.5',
  since: null,
  prices: {
    input: { base: 3, tiers: [{ start: 200_000, price: 6 }] },
    output: { base: 15, tiers: [{ start: 200_000, price: 22.5 }] },
    cacheRead: { base: 0.3, tiers: [{ start: 200_000, price: 0.6 }] },
    cacheWrite: { base: 3.75, tiers: [{ start: 200_000, price: 7.5 }] },
    cacheWrite1h: { base: 6, tiers: [] },
  },
};
const FOUND: CatalogueSearchResult = { package: '@pydantic/genai-prices', version: '0.1.8', currency: 'USD', entries: [SONNET], truncated: false };
const CATALOGUE_PRICED: ModelPricing = {
  model: 'claude-sonnet-4-5',
  versions: [],
  source: { kind: 'catalogue', package: '@pydantic/genai-prices', version: '0.1.8', provider: 'anthropic', modelId: 'claude-sonnet-4-5', since: '2025-09-29' },
};
const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe('the Pricing view and the catalogue', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  it('shows where each price comes from: the catalogue entry with its package and date, or yours', async () => {
    const client = makeFakeClient({
      listPricing: async () => [CATALOGUE_PRICED, { model: 'gpt-5-mini', versions: [tokenVersion('gpt-5-mini', 0, null, 0.25, 2)], source: { kind: 'yours' } }],
      getSummary: async () => summaryWith([]),
    });
    renderWithClient(client, Pricing, { model: 'claude-sonnet-4-5' });
    await waitFor(() => expect(screen.getAllByTestId('pricing-model')).toHaveLength(2));
    const [sonnet, mini] = screen.getAllByTestId('pricing-model');
    expect(sonnet!.textContent).toContain('catalogue (genai-prices 0.1.8, since 2025-09-29)');
    expect(sonnet!.textContent).not.toContain('Unpriced');
    expect(mini!.textContent).toContain('Per token · USD');
    const detail = screen.getAllByTestId('price-source').find((badge) => !sonnet!.contains(badge))!;
    expect(detail.textContent).toBe('catalogue (genai-prices 0.1.8, since 2025-09-29)');
    expect(screen.getByText(/Priced by the bundled catalogue entry anthropic\/claude-sonnet-4-5/)).toBeTruthy();
  });

  it('searches the catalogue and shows its version and the entry\'s prices', async () => {
    const client = makeFakeClient({ listPricing: async () => [], getSummary: async () => summaryWith([]), searchCatalogue: async () => FOUND });
    renderWithClient(client, Pricing, { model: null });
    const panel = await screen.findByTestId('catalogue-search');
    const user = userEvent.setup();
    await user.type(within(panel).getByLabelText('Model or provider'), 'sonnet');
    await user.click(within(panel).getByRole('button', { name: 'Search' }));
    const [entry] = await screen.findAllByTestId('catalogue-entry');
    expect(client.callsOf('searchCatalogue')).toEqual([{ search: 'sonnet' }]);
    expect(screen.getByTestId('catalogue-version').textContent).toContain('genai-prices 0.1.8');
    expect(entry!.textContent).toContain('anthropic/claude-sonnet-4-5');
    expect(entry!.textContent).toContain('in $3 · out $15');
    expect(entry!.textContent).toContain('higher above 200,000 prompt tokens');
  });

  it('adopts an entry: the editor opens prefilled with its USD prices and tiers, and saving still previews first', async () => {
    const client = makeFakeClient({
      listPricing: async () => [CATALOGUE_PRICED],
      getSummary: async () => summaryWith([]),
      searchCatalogue: async () => FOUND,
    });
    renderWithClient(client, Pricing, { model: 'claude-sonnet-4-5' });
    const panel = await screen.findByTestId('catalogue-search');
    const user = userEvent.setup();
    // The search starts from the chosen model's name.
    await user.click(within(panel).getByRole('button', { name: 'Search' }));
    await user.click(await screen.findByRole('button', { name: 'Adopt as my price' }));

    await screen.findByTestId('adopted-note');
    expect(field('Tier 1: up to prompt tokens (empty for no limit)').value).toBe('200000');
    expect(field('Tier 1: input price per 1M tokens').value).toBe('3');
    expect(field('Tier 1: output price per 1M tokens').value).toBe('15');
    expect(field('Tier 2: up to prompt tokens (empty for no limit)').value).toBe('');
    expect(field('Tier 2: input price per 1M tokens').value).toBe('6');
    expect(field('Tier 2: output price per 1M tokens').value).toBe('22.5');
    expect(field('Tier 1: 1-hour cache write price per 1M tokens (empty: billed at the cache write price)').value).toBe('6');
    expect(client.callsOf('addPriceVersion')).toHaveLength(0);
  });
});

describe('formFromCatalogue', () => {
  it('turns "above N prompt tokens" into tiers up to N, in USD, keeping the 1-hour cache-write price', () => {
    expect(formFromCatalogue(SONNET)).toEqual({
      method: 'tokens',
      currency: 'USD',
      effectiveFrom: '',
      hourly: '',
      tiers: [
        { maxPromptTokens: '200000', input: '3', output: '15', cacheRead: '0.3', cacheWrite: '3.75', cacheWrite1h: '6' },
        { maxPromptTokens: '', input: '6', output: '22.5', cacheRead: '0.6', cacheWrite: '7.5', cacheWrite1h: '6' },
      ],
    });
  });
});
