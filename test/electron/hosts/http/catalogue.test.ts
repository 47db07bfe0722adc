import { describe, expect, it } from 'vitest';
import { CATALOGUE_SEARCH_MAX } from '../../../../shared/schemas/catalogue.js';
import type { CatalogueSearchResult, ModelPricing, PricingChange } from '../../../../shared/types.js';
import { expectError, HOUR, qs, type TestServer, useServerPerTest } from './helpers.js';

let server: TestServer;
useServerPerTest((started) => (server = started));

const search = (params: Record<string, string | number>) => server.get<CatalogueSearchResult>(`/api/v1/catalogue${qs(params)}`);
const T0 = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;
const MINE = { method: 'tokens', currency: 'USD', effectiveFrom: 0, tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] };

describe('GET /api/v1/catalogue', () => {
  it('finds Anthropic and OpenAI entries with their current prices per 1M tokens and the package version', async () => {
    const sonnet = await search({ search: 'claude-sonnet-4-5', provider: 'anthropic' });
    expect(sonnet).toMatchObject({ package: '@pydantic/genai-prices', version: '0.1.8', currency: 'USD' });
    const entry = sonnet.entries[0]!;
    // The exact id comes first; the long-context tier above 200k prompt tokens is kept.
    expect(entry).toMatchObject({ provider: 'anthropic', modelId: 'claude-sonnet-4-5' });
    expect(entry.prices.input).toEqual({ base: 3, tiers: [{ start: 200_000, price: 6 }] });
    expect(entry.prices.output?.base).toBe(15);
    expect(entry.prices.cacheRead?.base).toBeCloseTo(0.3);
    expect(entry.prices.cacheWrite?.base).toBeCloseTo(3.75);

    const mini = await search({ search: 'gpt-5-mini' });
    expect(mini.entries.map((e) => `${e.provider}/${e.modelId}`)).toContain('openai/gpt-5-mini');
    expect(mini.entries.find((e) => e.provider === 'openai')!.prices.input?.base).toBe(0.25);
  });

  it('keeps every word of the search and only the provider asked for', async () => {
    const found = await search({ search: 'gpt mini', provider: 'openai' });
    expect(found.entries.length).toBeGreaterThan(1);
    for (const e of found.entries) {
      expect(e.provider).toBe('openai');
      expect(`${e.modelId} ${e.name ?? ''}`.toLowerCase()).toMatch(/gpt/);
      expect(`${e.modelId} ${e.name ?? ''}`.toLowerCase()).toMatch(/mini/);
    }
  });

  it('is bounded: 20 by default, at most the maximum, and says when more matched', async () => {
    const wide = await search({ search: 'a' });
    expect(wide.entries).toHaveLength(20);
    expect(wide.truncated).toBe(true);
    expect((await search({ search: 'a', limit: CATALOGUE_SEARCH_MAX })).entries).toHaveLength(CATALOGUE_SEARCH_MAX);
    expectError(await server.call('GET', `/api/v1/catalogue${qs({ search: 'a', limit: CATALOGUE_SEARCH_MAX + 1 })}`), 400, 'validation_failed');
  });

  it('answers clear 400s for a missing search, an unknown provider or parameter', async () => {
    expect(expectError(await server.call('GET', '/api/v1/catalogue'), 400, 'validation_failed').message).toMatch(/search is required: \?search=<text>/);
    expect(expectError(await server.call('GET', `/api/v1/catalogue${qs({ search: '  ' })}`), 400, 'validation_failed').message).toMatch(/search is required/);
    expect(expectError(await server.call('GET', `/api/v1/catalogue${qs({ search: 'gpt', provider: 'nope' })}`), 400, 'validation_failed').message).toMatch(/unknown catalogue provider "nope"/);
    expect(expectError(await server.call('GET', `/api/v1/catalogue${qs({ search: 'gpt', color: 'red' })}`), 400, 'validation_failed').message).toMatch(/color/);
  });
});

describe('GET /api/v1/pricing: where each price comes from', () => {
  it('lists a catalogue-priced model with its entry, yours once you add a version, and the catalogue again once removed', async () => {
    await server.post('/api/v1/requests', { ts: T0, model: 'claude-sonnet-4-5', apiType: 'anthropic', inputTokens: 1000, outputTokens: 100 });
    const catalogue = { kind: 'catalogue', package: '@pydantic/genai-prices', version: '0.1.8', provider: 'anthropic', modelId: 'claude-sonnet-4-5' };
    expect(await server.get<ModelPricing[]>('/api/v1/pricing')).toEqual([
      { model: 'claude-sonnet-4-5', versions: [], source: expect.objectContaining(catalogue) },
    ]);
    const path = `/api/v1/pricing/claude-sonnet-4-5`;
    const added = await server.put<PricingChange>(path, MINE);
    expect(added.pricing.source).toEqual({ kind: 'yours' });
    const listed = await server.get<ModelPricing[]>('/api/v1/pricing');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ model: 'claude-sonnet-4-5', source: { kind: 'yours' } });
    expect(listed[0]!.versions).toHaveLength(1);

    const removed = await server.del<PricingChange>(path);
    expect(removed.pricing.source).toEqual(expect.objectContaining(catalogue));
    expect(await server.get<ModelPricing>(path)).toEqual(removed.pricing);
    expect((await server.get<ModelPricing[]>('/api/v1/pricing'))[0]!.source).toEqual(expect.objectContaining(catalogue));
  });

  it('gives a model without a catalogue entry and without a price no source', async () => {
    await server.post('/api/v1/requests', { ts: T0, model: 'my-own-model-xyz', inputTokens: 10 });
    expect(await server.get<ModelPricing[]>('/api/v1/pricing')).toEqual([]);
  });
});
