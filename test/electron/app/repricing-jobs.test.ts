import { describe, expect, it } from 'vitest';
import type { PriceVersionInput } from '../../../shared/schemas/pricing.js';
import { priceVersionInputSchema } from '../../../shared/schemas/pricing.js';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import { RepricingJobs } from '../../../electron/app/repricing-jobs.js';
import { CatalogueMatcher } from '../../../electron/ledger/pricing/catalogue.js';
import { BUNDLED_CATALOGUE } from '../../../electron/ledger/pricing/catalogue-data.js';
import { emptyOutcome } from '../../../electron/ledger/store/repricing.js';
import { errorCode, type Harness } from '../ledger/store/harness.js';
import { useSlicedLedgers } from './sliced-ledgers.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 5, 1);
const NOW = DAY0 + 3 * DAY;

/** A ledger whose work runs one part per transaction (sliceMs 0), or in the default slices. */
const harness = useSlicedLedgers(NOW);

/** Three days of gpt-4o (catalogue-priced until the user prices it) on projects and a host, every 7 minutes. */
function records(): RequestRecordInput[] {
  return Array.from({ length: (3 * DAY) / (7 * MINUTE) }, (_, i) => ({
    ts: DAY0 + i * 7 * MINUTE + 1_000,
    model: 'gpt-4o',
    apiType: 'openai',
    inputTokens: 1_000 + (i % 97) * 13,
    outputTokens: 100 + (i % 31),
    cacheReadTokens: i % 3 === 0 ? 500 : 0,
    ...(i % 4 === 0 ? { project: '/work/alpha' } : {}),
  }));
}

const VERSION: PriceVersionInput = { method: 'tokens', currency: 'USD', effectiveFrom: DAY0 + 20 * HOUR, tiers: [{ maxPromptTokens: null, input: 2, output: 8 }] };
const LATER: PriceVersionInput = { method: 'tokens', currency: 'EUR', effectiveFrom: DAY0 + 2 * DAY + 5 * HOUR, tiers: [{ maxPromptTokens: null, input: 1, output: 3 }] };

/** What one transaction stores for the same change: the store's own apply(). */
function appliedAtOnce(h: Harness, ...versions: PriceVersionInput[]): void {
  const { ledger } = h;
  for (const input of versions) {
    const body = priceVersionInputSchema.parse(input);
    ledger.write(() => {
      const modelId = ledger.ctx.models.ensure('gpt-4o');
      ledger.pricing.apply(ledger.pricing.planAdd(modelId, body, ledger.ctx.currencies.ensure(body.currency)), body);
    });
  }
}

/** Every usage table, without the price versions' creation times (the two ledgers store them apart). */
function stored(h: Harness): Record<string, string[]> {
  const { price_versions: versions, ...rest } = h.dump();
  return { ...rest, price_versions: versions!.map((json) => JSON.stringify({ ...(JSON.parse(json) as object), created_at: 0 })) };
}

describe('re-pricing a price change in slices', () => {
  it('stores exactly what one transaction stores, in many transactions with the event loop running between them', async () => {
    const sliced = harness(0);
    const reference = harness();
    for (const h of [sliced, reference]) {
      await h.service.ingestRequests(records());
      // The first day and a half-hour kept only as rollups: those hours are re-priced whole from them.
      await h.service.cleanup({ before: DAY0 + DAY + 30 * MINUTE });
    }
    appliedAtOnce(reference, VERSION);

    let writes = 0;
    const write = sliced.ledger.write.bind(sliced.ledger);
    sliced.ledger.write = <T>(work: () => T): T => {
      writes++;
      return write(work);
    };
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    const change = await sliced.service.addPriceVersion({ model: 'gpt-4o', version: VERSION });
    clearInterval(ticking);

    expect(stored(sliced)).toEqual(stored(reference));
    // One transaction stores the change, then one per 5 minutes of raw rows (~47 hours) or rollup-only hour.
    expect(writes).toBeGreaterThan(47 * 12);
    expect(turns).toBeGreaterThan(10);
    expect(change.repricedRequests).toBe(records().filter((record) => Number(record.ts) >= DAY0 + 20 * HOUR).length);
    expect(sliced.ledger.pendingRepricing.list()).toEqual([]);
  });

  it('ends at the same costs when a second change comes while the first is being re-priced, earlier or later in time', async () => {
    for (const [one, two] of [
      [VERSION, LATER],
      [LATER, VERSION],
    ] as const) {
      const sliced = harness(0);
      const reference = harness();
      for (const h of [sliced, reference]) await h.service.ingestRequests(records());
      appliedAtOnce(reference, one, two);

      const first = sliced.service.addPriceVersion({ model: 'gpt-4o', version: one });
      // Let the first re-price a few hours before the second is stored.
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      const second = sliced.service.addPriceVersion({ model: 'gpt-4o', version: two });
      await Promise.all([first, second]);
      expect(stored(sliced)).toEqual(stored(reference));
      expect(sliced.ledger.pendingRepricing.list()).toEqual([]);
    }
  });

  it('stops when its model is deleted meanwhile: the caller is told, nothing is left pending, the next start is clean', async () => {
    const h = harness(0);
    await h.service.ingestRequests(records());
    const adding = h.service.addPriceVersion({ model: 'gpt-4o', version: VERSION });
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    // The deletion runs in slices too: the price call is answered while it goes on.
    const answered = errorCode(adding);
    await h.service.deleteModel({ model: 'gpt-4o' });
    expect(await answered).toBe('conflict');
    expect(h.ledger.pendingRepricing.list()).toEqual([]);
    expect(h.ledger.db.prepare(`SELECT count(*) AS n FROM requests`).pluck().get()).toBe(0);
    h.reopen();
    await h.service.repricingIdle();
    expect(await h.service.listPricing()).toEqual([]);

    // A change stored but not yet re-priced when the model goes: nothing is left to resume at the next start.
    await h.service.ingestRequests(records());
    const body = priceVersionInputSchema.parse(VERSION);
    h.ledger.write(() => {
      const modelId = h.ledger.ctx.models.ensure('gpt-4o');
      const change = h.ledger.pricing.planAdd(modelId, body, h.ledger.ctx.currencies.ensure(body.currency));
      h.ledger.pricing.store(change, body);
      h.ledger.pendingRepricing.add(modelId, change.window.from, change.window.to);
    });
    await h.service.deleteModel({ model: 'gpt-4o' });
    expect(h.ledger.pendingRepricing.list()).toEqual([]);
    h.reopen();
    await h.service.repricingIdle();
  });

  it('re-prices its window only: a request just before it, in the same hour, keeps its cost', async () => {
    const h = harness(0);
    await h.service.ingestRequests(records());
    const db = h.ledger.db;
    const from = DAY0 + 20 * HOUR + 30 * MINUTE;
    // A cost no version gives (as a catalogue price from an older catalogue would be), just before the window.
    const before = db.prepare<[number, number], number>(`SELECT max(id) FROM requests WHERE id >= ? AND id < ?`).pluck().get((DAY0 + 20 * HOUR) * 1024, from * 1024)!;
    h.ledger.write(() => db.prepare(`UPDATE requests SET cost_nanos = 123 WHERE id = ?`).run(before));
    await h.service.addPriceVersion({ model: 'gpt-4o', version: { ...VERSION, effectiveFrom: from } });
    expect(db.prepare(`SELECT cost_nanos FROM requests WHERE id = ?`).pluck().get(before)).toBe(123);
    const inside = db.prepare<[number], number>(`SELECT min(id) FROM requests WHERE id >= ?`).pluck().get(from * 1024)!;
    expect(db.prepare(`SELECT currency_id FROM requests WHERE id = ?`).pluck().get(inside)).toBe(h.ledger.ctx.currencies.find('USD'));
  });

  it('previews and re-prices the catalogue-priced requests after a catalogue update in the same slices', async () => {
    const h = harness(0);
    // Priced by an older package; the same data, so only the provenance moves.
    h.ledger.ctx.catalogue = new CatalogueMatcher({ ...BUNDLED_CATALOGUE, version: '0.1.7' });
    await h.service.ingestRequests(records());
    h.ledger.ctx.catalogue = new CatalogueMatcher();
    const before = stored(h);
    let writes = 0;
    const ctx = h.ledger.ctx;
    const write = ctx.write.bind(ctx);
    ctx.write = <T>(work: () => T): T => {
      writes++;
      return write(work);
    };
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    const preview = await h.service.previewCatalogueReprice();
    clearInterval(ticking);
    // Every 5 minutes of the three days is a transaction of its own, rolled back: nothing is written.
    expect(writes).toBeGreaterThanOrEqual(3 * 24 * 12);
    expect(turns).toBeGreaterThan(10);
    expect(preview.affectedRequests).toBe(records().length);
    expect(stored(h)).toEqual(before);

    writes = 0;
    const result = await h.service.repriceCatalogue();
    expect(writes).toBeGreaterThanOrEqual(3 * 24 * 12);
    expect(result).toEqual({ version: BUNDLED_CATALOGUE.version, repricedRequests: preview.affectedRequests, models: ['gpt-4o'] });
    expect(h.ledger.db.prepare(`SELECT count(*) FROM requests r JOIN price_sources s ON s.id = r.price_source_id WHERE s.name LIKE '%@0.1.7 %'`).pluck().get()).toBe(0);
    expect(h.ledger.pendingRepricing.list()).toEqual([]);
  });

  it('previews in slices exactly what one pass previews, writing nothing', async () => {
    const h = harness();
    await h.service.ingestRequests(records());
    const { ledger } = h;
    const body = priceVersionInputSchema.parse(VERSION);
    const modelId = ledger.ctx.models.find('gpt-4o')!;
    const change = ledger.pricing.planAdd(modelId, body, ledger.ctx.currencies.find(body.currency) ?? -1);
    const before = stored(h);
    const sliced = await new RepricingJobs(ledger, { sliceMs: 0 }).preview(modelId, change.versions, change.window.from, change.window.to);
    expect(sliced).toEqual(ledger.repricer.run(modelId, change.versions, change.window.from, change.window.to, false));
    expect(sliced.changed).toBeGreaterThan(100);
    expect(stored(h)).toEqual(before);
  });

  it('is finished at the next start when a stop cut it short, from where it stopped', async () => {
    const reference = harness();
    await reference.service.ingestRequests(records());
    appliedAtOnce(reference, VERSION);

    for (const done of [0, 0.5]) {
      const h = harness();
      await h.service.ingestRequests(records());
      const { ledger } = h;
      // What a kill leaves: the change and its pending window committed, `done` of its hours re-priced.
      const body = priceVersionInputSchema.parse(VERSION);
      ledger.write(() => {
        const modelId = ledger.ctx.models.ensure('gpt-4o');
        const change = ledger.pricing.planAdd(modelId, body, ledger.ctx.currencies.ensure(body.currency));
        ledger.pricing.store(change, body);
        const job = ledger.pendingRepricing.add(modelId, change.window.from, change.window.to);
        const parts = ledger.repricer.partsOf(modelId, job.next, Number.POSITIVE_INFINITY, 5 * MINUTE);
        const cut = Math.floor(parts.length * done);
        ledger.repricer.runParts(modelId, ledger.ctx.prices.versions(modelId), parts.slice(0, cut), job.from, Number.POSITIVE_INFINITY, true, emptyOutcome());
        if (cut > 0) ledger.pendingRepricing.advance(modelId, job.seq, parts[cut]!.from);
      });
      expect(stored(h)).not.toEqual(stored(reference));

      h.reopen();
      await h.service.repricingIdle();
      expect(stored(h), `${done * 100}% done before the stop`).toEqual(stored(reference));
      expect(h.ledger.pendingRepricing.list()).toEqual([]);
    }
  });
});
