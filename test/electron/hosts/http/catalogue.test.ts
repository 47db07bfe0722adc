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

describe('adopting a catalogue entry as your price keeps its 1-hour cache-write price', () => {
  it('prices the same request the same as the catalogue did, 1-hour writes and the long-context tier included', async () => {
    const record = { model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 1200, cacheReadTokens: 30_000, cacheWriteTokens: 8000, cacheWrite1hTokens: 2000, outputTokens: 700 };
    const long = { ...record, inputTokens: 250_000 };
    await server.post('/api/v1/requests', [
      { ...record, ts: T0, requestId: 'c1' },
      { ...long, ts: T0 + 1000, requestId: 'c2' },
    ]);
    const page = await server.get<{ requests: { requestId: string; cost: number }[] }>('/api/v1/requests?model=claude-sonnet-4-5');
    const catalogueCost = Object.fromEntries(page.requests.map((r) => [r.requestId, r.cost]));

    // The entry's prices as the Pricing view's "adopt" prefills them: a tier per context threshold.
    const entry = (await search({ search: 'claude-sonnet-4-5', provider: 'anthropic' })).entries[0]!;
    const at = (price: { base: number; tiers: { start: number; price: number }[] } | null, above: boolean) =>
      price === null ? undefined : above ? (price.tiers[0]?.price ?? price.base) : price.base;
    const tier = (above: boolean) => ({
      maxPromptTokens: above ? null : entry.prices.input!.tiers[0]!.start,
      input: at(entry.prices.input, above)!,
      output: at(entry.prices.output, above)!,
      cacheRead: at(entry.prices.cacheRead, above),
      cacheWrite: at(entry.prices.cacheWrite, above),
      cacheWrite1h: at(entry.prices.cacheWrite1h, above),
    });
    const version = { method: 'tokens', currency: 'USD', effectiveFrom: 0, tiers: [tier(false), tier(true)] };
    expect(version.tiers[0]!.cacheWrite1h).toBeGreaterThan(version.tiers[0]!.cacheWrite!);
    const change = await server.put<PricingChange>('/api/v1/pricing/claude-sonnet-4-5', version);
    expect(change.repricedRequests).toBe(2);
    expect(change.pricing.versions[0]!.tiers![0]!.cacheWrite1h).toBe(version.tiers[0]!.cacheWrite1h);

    const repriced = await server.get<{ requests: { requestId: string; cost: number }[] }>('/api/v1/requests?model=claude-sonnet-4-5');
    for (const row of repriced.requests) expect(row.cost).toBeCloseTo(catalogueCost[row.requestId]!, 9);
    // Without the 1-hour price the same requests cost less: the field is what keeps them equal.
    const without = { ...version, tiers: version.tiers.map(({ cacheWrite1h: _dropped, ...rest }) => rest) };
    const preview = await server.post<{ after: { cost: Record<string, number> } }>('/api/v1/pricing/claude-sonnet-4-5/preview', without);
    expect(preview.after.cost['USD']).toBeLessThan(catalogueCost['c1']! + catalogueCost['c2']! - 1e-9);
  });
});
