import { describe, expect, it } from 'vitest';
import type { ModelPricing, PricingChange, PricingPreview, RequestPage, Run, Summary } from '../../../../shared/types.js';
import { expectError, HOUR, MINUTE, qs, type TestServer, useServerPerTest } from './helpers.js';

const T0 = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;
const RANGE = { from: T0 - HOUR, to: T0 + 3 * HOUR };

/** 1 USD per 1M input tokens, 2 per 1M output. */
const SIMPLE = { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] };

let server: TestServer;
useServerPerTest((started) => (server = started));

const path = (model: string) => `/api/v1/pricing/${encodeURIComponent(model)}`;
const summary = () => server.get<Summary>(`/api/v1/summary${qs(RANGE)}`);
const modelRow = async (model: string) => (await summary()).models.find((m) => m.model === model);
const rows = async (model: string) => (await server.get<RequestPage>(`/api/v1/requests${qs({ model, from: 0 })}`)).requests;

describe('PUT /api/v1/pricing/{model}', () => {
  it('adds a version and answers the model\'s pricing', async () => {
    const answer = await server.call<PricingChange>('PUT', path('gpt-5-mini'), { json: SIMPLE });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.repricedRequests).toBe(0);
    expect(answer.body.pricing.model).toBe('gpt-5-mini');
    expect(answer.body.pricing.versions).toEqual([
      expect.objectContaining({ model: 'gpt-5-mini', method: 'tokens', currency: 'USD', effectiveFrom: 0, effectiveTo: null, hourly: null, tiers: SIMPLE.tiers }),
    ]);
    expect(await server.get<ModelPricing>(path('gpt-5-mini'))).toEqual(answer.body.pricing);
    expect(await server.get<ModelPricing[]>('/api/v1/pricing')).toEqual([answer.body.pricing]);
  });

  it('applies a first price without effectiveFrom to the whole history and stores each request\'s cost', async () => {
    await server.post('/api/v1/requests', [
      { ts: T0, model: 'm', inputTokens: 1_000_000, outputTokens: 1_000_000 },
      { ts: T0 + HOUR, model: 'm', inputTokens: 500_000 },
    ]);
    expect((await modelRow('m'))!.cost).toBeNull();
    const change = await server.put<PricingChange>(path('m'), SIMPLE);
    expect(change.repricedRequests).toBe(2);
    expect(await modelRow('m')).toMatchObject({ cost: { USD: 3.5 }, unpricedRequests: 0, pricingMethod: 'tokens' });
    expect((await summary()).totals.cost).toEqual({ USD: 3.5 });
    expect((await rows('m')).map((r) => [r.cost, r.currency])).toEqual([
      [0.5, 'USD'],
      [3, 'USD'],
    ]);
    // Requests that arrive later are priced as they are stored.
    await server.post('/api/v1/requests', { ts: T0 + 2 * HOUR, model: 'm', outputTokens: 1_000_000 });
    expect((await modelRow('m'))!.cost).toEqual({ USD: 5.5 });
  });

  it('re-prices only the requests inside a later version\'s window', async () => {
    await server.put(path('m'), SIMPLE);
    await server.post('/api/v1/requests', [
      { ts: T0, model: 'm', inputTokens: 1_000_000 },
      { ts: T0 + 2 * HOUR, model: 'm', inputTokens: 1_000_000 },
    ]);
    const change = await server.put<PricingChange>(path('m'), { ...SIMPLE, effectiveFrom: new Date(T0 + HOUR).toISOString(), tiers: [{ maxPromptTokens: null, input: 10, output: 10 }] });
    expect(change.repricedRequests).toBe(1);
    expect(change.pricing.versions.map((v) => [v.effectiveFrom, v.effectiveTo])).toEqual([
      [0, T0 + HOUR],
      [T0 + HOUR, null],
    ]);
    expect((await rows('m')).map((r) => r.cost)).toEqual([10, 1]);
    expect((await modelRow('m'))!.cost).toEqual({ USD: 11 });
  });

  it('uses the tier whose bound fits the prompt size, with cache prices', async () => {
    await server.put(path('tiered'), {
      method: 'tokens',
      currency: 'CNY',
      tiers: [
        { maxPromptTokens: null, input: 8, output: 16 },
        { maxPromptTokens: 32_000, input: 2, output: 8, cacheRead: 0.5, cacheWrite: 4 },
      ],
    });
    await server.post('/api/v1/requests', [
      // prompt 1000 + 30000 + 1000 = 32000: the first tier (<= 32000).
      { ts: T0, model: 'tiered', inputTokens: 1000, cacheReadTokens: 30_000, cacheWriteTokens: 1000, outputTokens: 500 },
      // prompt 32001: the unbounded tier; cache classes billed at its input price.
      { ts: T0 + 1, model: 'tiered', inputTokens: 1, cacheReadTokens: 32_000, outputTokens: 0 },
    ]);
    const costs = (await rows('tiered')).map((r) => r.cost);
    const first = (1000 * 2 + 30_000 * 0.5 + 1000 * 4 + 500 * 8) / 1e6;
    const second = (32_001 * 8) / 1e6;
    expect(costs[1]).toBeCloseTo(first, 12);
    expect(costs[0]).toBeCloseTo(second, 12);
    expect((await modelRow('tiered'))!.cost!['CNY']).toBeCloseTo(first + second, 12);
  });

  it('prices hourly models by runtime', async () => {
    await server.put(path('gpu-model'), { method: 'hourly', currency: 'USD', hourly: 3.6 });
    await server.post('/api/v1/runs', { model: 'gpu-model', event: 'start', ts: T0 });
    await server.post<Run>('/api/v1/runs', { model: 'gpu-model', event: 'stop', ts: T0 + 30 * MINUTE });
    expect(await modelRow('gpu-model')).toMatchObject({ runtimeSeconds: 1800, pricingMethod: 'hourly', cost: { USD: 1.8 } });
  });

  it('takes the currency USD when none is given', async () => {
    const change = await server.put<PricingChange>(path('m'), { method: 'none' });
    expect(change.pricing.versions[0]!.currency).toBe('USD');
  });

  it('replaces a version with the same effectiveFrom instead of adding a second', async () => {
    await server.put(path('m'), { ...SIMPLE, effectiveFrom: T0 });
    const change = await server.put<PricingChange>(path('m'), { method: 'none', currency: 'EUR', effectiveFrom: T0 });
    expect(change.pricing.versions).toHaveLength(1);
    expect(change.pricing.versions[0]).toMatchObject({ method: 'none', currency: 'EUR' });
  });
});

describe('model names with "/" and other characters in the path', () => {
  const name = 'Qwen/Qwen3-32B';

  it('reaches the same model with "/" URL-encoded and not', async () => {
    const plain = await server.call<PricingChange>('PUT', `/api/v1/pricing/${name}`, { json: SIMPLE });
    expect(plain.status, plain.text).toBe(200);
    expect(plain.body.pricing.model).toBe(name);
    const encoded = await server.get<ModelPricing>(`/api/v1/pricing/${encodeURIComponent(name)}`);
    expect(encoded.model).toBe(name);
    expect(encoded.versions).toHaveLength(1);
    expect((await server.get<ModelPricing>(`/api/v1/pricing/${name}`)).versions).toHaveLength(1);
    // A version added through the encoded path lands on the same model.
    await server.put(`/api/v1/pricing/${encodeURIComponent(name)}`, { ...SIMPLE, effectiveFrom: T0 });
    const all = await server.get<ModelPricing[]>('/api/v1/pricing');
    expect(all.map((p) => [p.model, p.versions.length])).toEqual([[name, 2]]);
  });

  it('prices the requests of a model whose name holds "/"', async () => {
    await server.post('/api/v1/requests', { ts: T0, model: name, inputTokens: 2_000_000 });
    await server.put(`/api/v1/pricing/${name}`, SIMPLE);
    expect((await modelRow(name))!.cost).toEqual({ USD: 2 });
    // A later version without effectiveFrom applies from now: nothing recorded is affected.
    const fromNow = await server.post<PricingPreview>(`/api/v1/pricing/${name}/preview`, { ...SIMPLE, tiers: [{ maxPromptTokens: null, input: 3, output: 3 }] });
    expect(fromNow).toMatchObject({ model: name, affectedRequests: 0 });
    const preview = await server.post<PricingPreview>(`/api/v1/pricing/${name}/preview`, { ...SIMPLE, effectiveFrom: 0, tiers: [{ maxPromptTokens: null, input: 3, output: 3 }] });
    expect(preview).toMatchObject({ model: name, affectedRequests: 1, before: { cost: { USD: 2 } }, after: { cost: { USD: 6 } } });
    expect((await server.del<PricingChange>(`/api/v1/pricing/${encodeURIComponent(name)}`)).pricing.versions).toEqual([]);
  });

  for (const model of ['通义千问 72B', '🦙 llama', 'a b?c#d%e&f', 'org/sub/model:q4_K_M']) {
    it(`round-trips ${JSON.stringify(model)} through an encoded path`, async () => {
      const change = await server.put<PricingChange>(path(model), SIMPLE);
      expect(change.pricing.model).toBe(model);
      expect((await server.get<ModelPricing>(path(model))).versions).toHaveLength(1);
      expect((await server.get<ModelPricing[]>('/api/v1/pricing')).map((p) => p.model)).toEqual([model]);
    });
  }

  it('answers an unpriced model\'s pricing as no versions', async () => {
    expect(await server.get<ModelPricing>(path('never-priced'))).toEqual({ model: 'never-priced', versions: [] });
  });

  it('answers 400 for a model name over 256 characters in the path', async () => {
    expect((await server.call('PUT', path('x'.repeat(257)), { json: SIMPLE })).status).toBe(400);
    expect((await server.call('PUT', path('x'.repeat(256)), { json: SIMPLE })).status).toBe(200);
  });
});

describe('POST /api/v1/pricing/{model}/preview', () => {
  it('answers before/after and changes nothing', async () => {
    await server.post('/api/v1/requests', [
      { ts: T0, model: 'm', inputTokens: 1_000_000 },
      { ts: T0 + HOUR, model: 'm', inputTokens: 1_000_000, outputTokens: 1_000_000 },
    ]);
    const summaryBefore = await summary();
    const rowsBefore = await rows('m');

    const preview = await server.post<PricingPreview>(`${path('m')}/preview`, SIMPLE);
    expect(preview).toMatchObject({
      model: 'm',
      affectedRequests: 2,
      before: { cost: {}, unpricedRequests: 2 },
      after: { cost: { USD: 4 }, unpricedRequests: 0 },
      notRepriced: 0,
    });
    expect(preview.version).toMatchObject({ model: 'm', method: 'tokens', currency: 'USD', effectiveFrom: 0, effectiveTo: null });

    expect(await server.get<ModelPricing>(path('m'))).toEqual({ model: 'm', versions: [] });
    expect(await server.get<ModelPricing[]>('/api/v1/pricing')).toEqual([]);
    expect(await summary()).toEqual({ ...summaryBefore, to: summaryBefore.to });
    expect(await rows('m')).toEqual(rowsBefore);

    // Then the same body, put, changes the costs as previewed.
    await server.put(path('m'), SIMPLE);
    expect((await modelRow('m'))!.cost).toEqual(preview.after.cost);
  });

  it('previews a change of an existing price in its window', async () => {
    await server.put(path('m'), SIMPLE);
    await server.post('/api/v1/requests', [
      { ts: T0, model: 'm', inputTokens: 1_000_000 },
      { ts: T0 + 2 * HOUR, model: 'm', inputTokens: 1_000_000 },
    ]);
    const preview = await server.post<PricingPreview>(`${path('m')}/preview`, { ...SIMPLE, effectiveFrom: T0 + HOUR, currency: 'EUR', tiers: [{ maxPromptTokens: null, input: 5, output: 5 }] });
    expect(preview).toMatchObject({ affectedRequests: 1, before: { cost: { USD: 1 } }, after: { cost: { EUR: 5 } } });
    expect(preview.version).toMatchObject({ effectiveFrom: T0 + HOUR, currency: 'EUR' });
    expect((await server.get<ModelPricing>(path('m'))).versions).toHaveLength(1);
    expect((await modelRow('m'))!.cost).toEqual({ USD: 2 });
  });

  it('previews a model with no data as nothing affected', async () => {
    const preview = await server.post<PricingPreview>(`${path('ghost')}/preview`, SIMPLE);
    expect(preview).toMatchObject({ model: 'ghost', affectedRequests: 0, before: { cost: {}, unpricedRequests: 0 }, after: { cost: {}, unpricedRequests: 0 } });
    expect(await server.get<ModelPricing[]>('/api/v1/pricing')).toEqual([]);
  });

  it('validates the body like PUT does', async () => {
    expect((await server.call('POST', `${path('m')}/preview`, { json: { method: 'tokens' } })).status).toBe(400);
  });

  it('answers 404 for a POST to a pricing path that is not a preview', async () => {
    expectError(await server.call('POST', path('m'), { json: SIMPLE }), 404, 'not_found');
  });
});

describe('DELETE /api/v1/pricing/{model}', () => {
  it('removes every version and leaves the requests unpriced again', async () => {
    await server.post('/api/v1/requests', { ts: T0, model: 'm', inputTokens: 1_000_000 });
    await server.put(path('m'), SIMPLE);
    expect((await modelRow('m'))!.cost).toEqual({ USD: 1 });
    const change = await server.del<PricingChange>(path('m'));
    expect(change.pricing.versions).toEqual([]);
    expect(change.repricedRequests).toBe(1);
    expect(await modelRow('m')).toMatchObject({ cost: null, unpricedRequests: 1, pricingMethod: null });
    expect((await rows('m'))[0]).toMatchObject({ cost: null, currency: null });
    expect(await server.get<ModelPricing[]>('/api/v1/pricing')).toEqual([]);
  });

  it('removes one version by effectiveFrom', async () => {
    await server.post('/api/v1/requests', [
      { ts: T0, model: 'm', inputTokens: 1_000_000 },
      { ts: T0 + 2 * HOUR, model: 'm', inputTokens: 1_000_000 },
    ]);
    await server.put(path('m'), SIMPLE);
    await server.put(path('m'), { ...SIMPLE, effectiveFrom: T0 + HOUR, tiers: [{ maxPromptTokens: null, input: 7, output: 7 }] });
    expect((await modelRow('m'))!.cost).toEqual({ USD: 8 });
    const change = await server.del<PricingChange>(`${path('m')}${qs({ effectiveFrom: new Date(T0 + HOUR).toISOString() })}`);
    expect(change.pricing.versions.map((v) => v.effectiveFrom)).toEqual([0]);
    expect((await modelRow('m'))!.cost).toEqual({ USD: 2 });
  });

  it('answers 404 when there is no price to delete', async () => {
    expectError(await server.call('DELETE', path('unpriced')), 404, 'not_found');
    await server.put(path('m'), SIMPLE);
    expectError(await server.call('DELETE', `${path('m')}${qs({ effectiveFrom: T0 })}`), 404, 'not_found');
    expect((await server.get<ModelPricing>(path('m'))).versions).toHaveLength(1);
  });

  it('answers 400 for an unknown query parameter', async () => {
    await server.put(path('m'), SIMPLE);
    expect((await server.call('DELETE', `${path('m')}?all=1`)).status).toBe(400);
    expect((await server.get<ModelPricing>(path('m'))).versions).toHaveLength(1);
  });
});

describe('price bodies that are rejected', () => {
  const tier = { maxPromptTokens: null, input: 1, output: 1 };
  const bad: [string, unknown][] = [
    ['tiers for an hourly price', { method: 'hourly', hourly: 1, tiers: [tier] }],
    ['an hourly price without the price', { method: 'hourly' }],
    ['an hourly figure on a token price', { method: 'tokens', tiers: [tier], hourly: 1 }],
    ['a token price without tiers', { method: 'tokens' }],
    ['a token price with an empty tier list', { method: 'tokens', tiers: [] }],
    ['two unbounded tiers', { method: 'tokens', tiers: [tier, tier] }],
    ['two tiers with the same bound', { method: 'tokens', tiers: [{ ...tier, maxPromptTokens: 10 }, { ...tier, maxPromptTokens: 10 }] }],
    ['a negative input price', { method: 'tokens', tiers: [{ ...tier, input: -1 }] }],
    ['a negative output price', { method: 'tokens', tiers: [{ ...tier, output: -0.01 }] }],
    ['a negative cache price', { method: 'tokens', tiers: [{ ...tier, cacheRead: -1 }] }],
    ['a negative hourly price', { method: 'hourly', hourly: -2 }],
    ['a price given as text', { method: 'tokens', tiers: [{ ...tier, input: '1' }] }],
    ['a zero tier bound', { method: 'tokens', tiers: [{ ...tier, maxPromptTokens: 0 }] }],
    ['a lower-case currency', { method: 'none', currency: 'usd' }],
    ['a currency that is not three letters', { method: 'none', currency: 'DOLLAR' }],
    ['a currency symbol', { method: 'none', currency: '$' }],
    ['an unknown method', { method: 'flat' }],
    ['an unknown field', { method: 'none', note: 'free tier' }],
    ['an unknown tier field', { method: 'tokens', tiers: [{ ...tier, reasoning: 1 }] }],
    ['a bad effectiveFrom', { method: 'none', effectiveFrom: 'next week' }],
  ];
  for (const [what, json] of bad) {
    it(`answers 400 for ${what} and stores nothing`, async () => {
      const answer = await server.call('PUT', path('m'), { json });
      expectError(answer, 400, 'validation_failed');
      expect((await server.call('POST', `${path('m')}/preview`, { json })).status).toBe(400);
      expect(await server.get<ModelPricing[]>('/api/v1/pricing')).toEqual([]);
    });
  }
});
