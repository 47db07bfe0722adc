import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogueSources } from '../../../../electron/ledger/store/catalogue-sources.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { Harness } from './harness.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 5, 1);
const NOW = DAY0 + 4 * DAY;
const K1 = '1111111111111111';
const K2 = '2222222222222222';

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

interface Pair {
  model_id: number;
  price_source_id: number;
  requests: number;
}

/** catalogue_priced without its newest ids: the counts per model and source. */
const kept = (): Pair[] => h.ledger.db.prepare<[], Pair>(`SELECT model_id, price_source_id, requests FROM catalogue_priced ORDER BY 1, 2`).all();
/** The same counts as a scan of every stored request gives them. */
const scanned = (): Pair[] =>
  h.ledger.db
    .prepare<[], Pair>(`SELECT model_id, price_source_id, count(*) AS requests FROM requests WHERE price_source_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`)
    .all();

/** Requests every ~97 minutes from DAY0, on a channel when given. */
function spread(model: string, count: number, extra: Partial<RequestRecordInput> = {}): RequestRecordInput[] {
  return Array.from({ length: count }, (_, i) => ({ ts: DAY0 + i * 97 * MINUTE + 13_000, model, inputTokens: 1_000 + i, outputTokens: 100, ...extra }));
}

describe('catalogue-priced requests per model and source', () => {
  it('count what a scan of the requests counts through ingest, duplicates, re-pricing and every kind of delete', async () => {
    await h.service.ingestRequests([
      ...spread('gpt-4o', 40, { apiType: 'openai', channel: K1 }),
      ...spread('claude-sonnet-4-5', 30, { apiType: 'anthropic', channel: K2 }),
      ...spread('gemini-2.5-pro', 20),
      ...spread('my-own-model', 10),
    ]);
    expect(kept().map((pair) => pair.requests)).toEqual([40, 30, 20]);
    expect(kept()).toEqual(scanned());

    // Repeated request ids are stored once and counted once.
    const ids = spread('gpt-4o', 5).map((record, i) => ({ ...record, ts: DAY0 + 3 * DAY + i * MINUTE, requestId: `dup-${i}` }));
    await h.service.ingestRequests(ids);
    await h.service.ingestRequests(ids);
    expect(kept()).toEqual(scanned());
    expect(kept()[0]!.requests).toBe(45);

    // A price of the user's from a date takes the requests after it from the catalogue; removing it gives them back.
    const version = { method: 'tokens' as const, currency: 'USD', effectiveFrom: DAY0 + DAY, tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] };
    await h.service.addPriceVersion({ model: 'gemini-2.5-pro', version });
    expect(kept()).toEqual(scanned());
    expect(kept().find((pair) => pair.requests < 20)).toBeDefined();
    const added = await h.service.getPricing({ model: 'gemini-2.5-pro' });
    await h.service.deletePricing({ model: 'gemini-2.5-pro', effectiveFrom: added.versions[0]!.effectiveFrom });
    expect(kept()).toEqual(scanned());

    await h.service.deleteChannels({ metricsKeys: [K2], apiType: 'anthropic' });
    expect(kept()).toEqual(scanned());
    await h.service.deleteModel({ model: 'gemini-2.5-pro' });
    expect(kept()).toEqual(scanned());
    await h.service.cleanup({ before: DAY0 + DAY });
    expect(kept()).toEqual(scanned());
    expect(kept()).toHaveLength(1);
  });

  it('name the source of the latest catalogue-priced request of each model, and no model the catalogue never priced', async () => {
    await h.service.ingestRequests([...spread('gpt-4o', 3), ...spread('my-own-model', 3)]);
    const sources = new CatalogueSources(h.ledger.ctx);
    const gpt = h.ledger.ctx.models.find('gpt-4o')!;
    const listed = sources.list();
    expect(listed.map((entry) => entry.modelId)).toEqual([gpt]);
    expect(listed[0]!.sourceName).toMatch(/^@pydantic\/genai-prices@\S+ openai\/gpt-4o$/);

    // A second source for the same model, newer: it is the one named; the older one still counts.
    const db = h.ledger.db;
    const older = db.prepare<[], { price_source_id: number }>(`SELECT price_source_id FROM requests WHERE model_id = ${gpt} ORDER BY id LIMIT 1`).get()!.price_source_id;
    const newer = h.ledger.write(() => h.ledger.ctx.priceSources.ensure('@pydantic/genai-prices@9.9.9 openai/gpt-4o'));
    const newest = db.prepare<[], { id: number }>(`SELECT max(id) AS id FROM requests WHERE model_id = ${gpt}`).get()!.id;
    h.ledger.write(() => db.prepare(`UPDATE requests SET price_source_id = ? WHERE id = ?`).run(newer, newest));
    expect(sources.list()).toEqual([{ modelId: gpt, sourceName: '@pydantic/genai-prices@9.9.9 openai/gpt-4o' }]);
    expect(sources.countsBySource()).toEqual(
      expect.arrayContaining([
        { priceSourceId: older, requests: 2 },
        { priceSourceId: newer, requests: 1 },
      ]),
    );
    expect(sources.modelIds()).toEqual([gpt]);
  });
});
