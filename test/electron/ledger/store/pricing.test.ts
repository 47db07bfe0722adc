import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PriceTier, PriceVersionInput } from '../../../../shared/schemas/pricing.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import type { RequestRow } from '../../../../shared/types.js';
import { errorCode, Harness } from './harness.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 5, 3);
const NOW = DAY0 + 5 * DAY + 3 * HOUR;

// Prices chosen so costs are whole nanos: input 1 nano/token, output 4, cache read 0.1 -> 100 per 1k.
const FLAT: PriceTier[] = [{ maxPromptTokens: null, input: 1, output: 4 }];
const DOUBLE: PriceTier[] = [{ maxPromptTokens: null, input: 2, output: 8 }];
const TRIPLE: PriceTier[] = [{ maxPromptTokens: null, input: 3, output: 12 }];
const TIERED: PriceTier[] = [
  { maxPromptTokens: 1_000, input: 1, output: 1 },
  { maxPromptTokens: null, input: 10, output: 10 },
];

const tokens = (tiers: PriceTier[], effectiveFrom?: number, currency = 'USD'): PriceVersionInput =>
  effectiveFrom === undefined ? { method: 'tokens', currency, tiers } : { method: 'tokens', currency, tiers, effectiveFrom };

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

/** Requests every 6 hours over five days: 1000 input and 500 output tokens each. */
const SPREAD = Array.from({ length: 20 }, (_, i) => DAY0 + i * 6 * HOUR + 17 * MINUTE);
const req = (ts: number, model = 'm', extra: Partial<RequestRecordInput> = {}): RequestRecordInput => ({
  ts,
  model,
  inputTokens: 1_000,
  outputTokens: 500,
  ...extra,
});
/** Cost in currency units of one SPREAD request under a single-tier price. */
const unit = (tiers: PriceTier[]) => (1_000 * tiers[0]!.input + 500 * tiers[0]!.output) / 1e6;

async function rows(model = 'm'): Promise<RequestRow[]> {
  return (await h.service.listRequests({ model, from: 0, to: NOW + DAY, limit: 5_000 })).requests.reverse();
}

const summary = (from = 0, to = NOW + DAY) => h.service.getSummary({ from, to });

describe('the first price version', () => {
  it('without effectiveFrom applies to all recorded history', async () => {
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    const change = await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT) });
    expect(change.repricedRequests).toBe(20);
    expect(change.pricing.versions).toHaveLength(1);
    expect(change.pricing.versions[0]).toMatchObject({ effectiveFrom: 0, effectiveTo: null, currency: 'USD', method: 'tokens', tiers: FLAT });
    for (const row of await rows()) expect([row.cost, row.currency]).toEqual([unit(FLAT), 'USD']);
    const s = await summary();
    expect(s.totals.unpricedRequests).toBe(0);
    expect(s.totals.cost).toEqual({ USD: (20 * 3_000_000) / 1e9 });
    // A request that arrives later with an old timestamp is priced too.
    await h.service.ingestRequests([req(DAY0 - 30 * DAY)]);
    expect((await rows())[0]!.cost).toBe(unit(FLAT));
  });

  it('with an explicit effectiveFrom leaves earlier requests unpriced, never zero', async () => {
    const cut = SPREAD[8]!;
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT, cut) });
    await h.service.ingestRequests([req(cut - 1), req(cut)]);
    const all = await rows();
    for (const row of all) {
      if (row.ts < cut) expect([row.cost, row.currency]).toEqual([null, null]);
      else expect([row.cost, row.currency]).toEqual([unit(FLAT), 'USD']);
    }
    const s = await summary();
    expect(s.totals.requests).toBe(22);
    expect(s.totals.unpricedRequests).toBe(9);
    expect(s.totals.cost).toEqual({ USD: (13 * 3_000_000) / 1e9 });
    // Over a range holding only unpriced requests the model's cost is unknown, not 0.
    const early = await summary(DAY0, cut);
    expect(early.totals.unpricedRequests).toBe(early.totals.requests);
    expect(early.totals.cost).toEqual({});
    expect(early.models).toHaveLength(1);
    expect(early.models[0]!.cost).toBeNull();
    expect(early.models[0]!.pricingMethod).toBe('tokens');
    const history = await h.service.getHistory({ from: DAY0, to: cut, interval: 86_400 });
    for (const bucket of history.buckets) expect(bucket.unpricedRequests).toBe(bucket.requests);
  });

  it('leaves a model with no version unpriced', async () => {
    await h.service.ingestRequests(SPREAD.slice(0, 3).map((ts) => req(ts, 'free?')));
    const s = await summary();
    expect(s.totals.unpricedRequests).toBe(3);
    expect(s.models[0]).toMatchObject({ model: 'free?', cost: null, pricingMethod: null, unpricedRequests: 3 });
  });
});

describe('later versions', () => {
  it('without effectiveFrom apply from now', async () => {
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT) });
    const change = await h.service.addPriceVersion({ model: 'm', version: tokens(DOUBLE) });
    expect(change.repricedRequests).toBe(0);
    expect(change.pricing.versions.map((v) => [v.effectiveFrom, v.effectiveTo])).toEqual([
      [0, NOW],
      [NOW, null],
    ]);
    await h.service.ingestRequests([req(NOW - 1), req(NOW), req(NOW + 1)]);
    const all = await rows();
    expect(all.map((row) => row.cost)).toEqual([...SPREAD.map(() => unit(FLAT)), unit(FLAT), unit(DOUBLE), unit(DOUBLE)]);
    const s = await summary();
    expect(s.totals.cost).toEqual({ USD: (21 * 3_000_000 + 2 * 6_000_000) / 1e9 });
    expect(s.models[0]!.pricingMethod).toBe('tokens');
  });

  it('re-price exactly the requests in their window [effectiveFrom, next version)', async () => {
    const t1 = SPREAD[5]!;
    const t2 = SPREAD[12]!;
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts, 'other')));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT) });
    await h.service.addPriceVersion({ model: 'other', version: tokens(FLAT) });
    await h.service.addPriceVersion({ model: 'm', version: tokens(TRIPLE, t2) });
    // Inserted between the two: its window is [t1, t2).
    const change = await h.service.addPriceVersion({ model: 'm', version: tokens(DOUBLE, t1) });
    expect(change.repricedRequests).toBe(7);
    expect(change.notRepriced).toBe(0);
    expect(change.pricing.versions.map((v) => [v.effectiveFrom, v.effectiveTo])).toEqual([
      [0, t1],
      [t1, t2],
      [t2, null],
    ]);
    for (const row of await rows()) {
      const expected = row.ts < t1 ? unit(FLAT) : row.ts < t2 ? unit(DOUBLE) : unit(TRIPLE);
      expect(row.cost, `request at ${row.ts}`).toBe(expected);
    }
    for (const row of await rows('other')) expect(row.cost).toBe(unit(FLAT));
    // Rollups follow: totals by hour-aligned and raw-edge ranges agree with the request rows.
    const s = await summary(t1 - 1, t2 + 1);
    expect(s.models.find((m) => m.model === 'm')!.cost).toEqual({ USD: (6_000_000 * 7 + 9_000_000) / 1e9 });
  });

  it('replace the version with the same effectiveFrom', async () => {
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT, DAY0) });
    const change = await h.service.addPriceVersion({ model: 'm', version: tokens(DOUBLE, DAY0) });
    expect(change.pricing.versions).toHaveLength(1);
    expect((await summary()).totals.cost).toEqual({ USD: (20 * 6_000_000) / 1e9 });
  });
});

describe('preview', () => {
  it('answers affected requests and totals before and after, and changes nothing', async () => {
    const t1 = SPREAD[10]!;
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.ingestRequests([req(DAY0, 'unpriced-model')]);
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT, SPREAD[4]) });
    const dump = h.dump();
    const counts = h.tableCounts();
    const before = await summary();

    const preview = await h.service.previewPriceVersion({ model: 'm', version: tokens(TRIPLE, t1) });
    expect(preview.affectedRequests).toBe(10);
    expect(preview.before).toEqual({ cost: { USD: (10 * 3_000_000) / 1e9 }, unpricedRequests: 0 });
    expect(preview.after).toEqual({ cost: { USD: (10 * 9_000_000) / 1e9 }, unpricedRequests: 0 });
    expect(preview.notRepriced).toBe(0);
    expect(preview.version).toMatchObject({ model: 'm', effectiveFrom: t1, effectiveTo: null, method: 'tokens', currency: 'USD', tiers: TRIPLE });

    // A first version from the beginning would price the four unpriced ones, in a new currency.
    const widen = await h.service.previewPriceVersion({ model: 'm', version: tokens(FLAT, 0, 'EUR') });
    expect(widen.affectedRequests).toBe(4);
    expect(widen.before).toEqual({ cost: {}, unpricedRequests: 4 });
    expect(widen.after).toEqual({ cost: { EUR: (4 * 3_000_000) / 1e9 }, unpricedRequests: 0 });
    expect(widen.version.effectiveTo).toBe(SPREAD[4]);

    // Nothing was written: not a version, not a currency, not a cost.
    expect(h.tableCounts()).toEqual(counts);
    expect(h.dump()).toEqual(dump);
    expect(await summary()).toEqual(before);
    expect((await h.service.getPricing({ model: 'm' })).versions).toHaveLength(1);
  });

  it('of a model never seen writes nothing', async () => {
    const counts = h.tableCounts();
    const preview = await h.service.previewPriceVersion({ model: 'new', version: tokens(FLAT) });
    expect(preview.affectedRequests).toBe(0);
    expect(h.tableCounts()).toEqual(counts);
    expect(await h.service.listPricing()).toEqual([]);
  });

  it('includes hourly runtime cost before and after', async () => {
    await h.service.reportRun({ model: 'gpu', event: 'start', ts: NOW - 2 * HOUR });
    await h.service.reportRun({ model: 'gpu', event: 'stop', ts: NOW - HOUR });
    const preview = await h.service.previewPriceVersion({ model: 'gpu', version: { method: 'hourly', hourly: 1.8 } });
    expect(preview.before.cost).toEqual({});
    expect(preview.after.cost).toEqual({ USD: 1.8 });
  });
});

describe('hourly pricing', () => {
  it('costs overlapping run seconds x price / 3600, split at version boundaries', async () => {
    const start = DAY0 + 10 * HOUR;
    await h.service.reportRun({ model: 'gpu', event: 'start', ts: start, source: 'launcher' });
    await h.service.reportRun({ model: 'gpu', event: 'stop', ts: start + 3 * HOUR, source: 'launcher' });
    await h.service.reportRun({ model: 'gpu', event: 'start', ts: start + 5 * HOUR });
    await h.service.reportRun({ model: 'gpu', event: 'stop', ts: start + 5 * HOUR + 30 * MINUTE });
    await h.service.ingestRequests([req(start + HOUR, 'gpu')]);
    await h.service.addPriceVersion({ model: 'gpu', version: { method: 'hourly', currency: 'USD', hourly: 2 } });
    await h.service.addPriceVersion({ model: 'gpu', version: { method: 'hourly', currency: 'USD', hourly: 3.6, effectiveFrom: start + 2 * HOUR } });

    const s = await summary(start - HOUR, start + 6 * HOUR);
    // 2 h at 2/h, then 1 h + 0.5 h at 3.6/h.
    expect(s.totals.runtimeSeconds).toBe(3.5 * 3600);
    expect(s.totals.cost).toEqual({ USD: 4 + 5.4 });
    expect(s.totals.unpricedRequests).toBe(0);
    expect(s.models[0]).toMatchObject({ model: 'gpu', pricingMethod: 'hourly', cost: { USD: 9.4 }, runtimeSeconds: 12_600 });

    // A range cutting through a run counts only the overlap.
    const part = await summary(start + 90 * MINUTE, start + 150 * MINUTE);
    expect(part.totals.runtimeSeconds).toBe(3600);
    expect(part.totals.cost).toEqual({ USD: 1 + 1.8 });

    const history = await h.service.getHistory({ from: start, to: start + 6 * HOUR, interval: 3600 });
    expect(history.buckets.map((b) => b.runtimeSeconds)).toEqual([3600, 3600, 3600, 0, 0, 1800]);
    expect(history.buckets.map((b) => b.cost['USD'] ?? 0)).toEqual([2, 2, 3.6, 0, 0, 1.8]);
  });

  it('counts a running run until now', async () => {
    await h.service.addPriceVersion({ model: 'gpu', version: { method: 'hourly', hourly: 1 } });
    await h.service.reportRun({ model: 'gpu', event: 'start', ts: NOW - 30 * MINUTE });
    const s = await summary(NOW - HOUR, NOW + HOUR);
    expect(s.totals.runtimeSeconds).toBe(1800);
    expect(s.totals.cost).toEqual({ USD: 0.5 });
    expect(s.models[0]!.running).toBe(true);
  });
});

describe('method none', () => {
  it('prices requests at zero and counts them as priced', async () => {
    await h.service.ingestRequests(SPREAD.slice(0, 5).map((ts) => req(ts, 'local')));
    await h.service.addPriceVersion({ model: 'local', version: { method: 'none' } });
    const s = await summary();
    expect(s.totals.unpricedRequests).toBe(0);
    expect(s.totals.cost).toEqual({ USD: 0 });
    expect(s.models[0]).toMatchObject({ cost: { USD: 0 }, pricingMethod: 'none' });
    for (const row of await rows('local')) expect([row.cost, row.currency]).toEqual([0, 'USD']);
  });
});

describe('currencies', () => {
  it('keeps totals per currency', async () => {
    await h.service.addPriceVersion({ model: 'us', version: tokens(FLAT) });
    await h.service.addPriceVersion({ model: 'cn', version: tokens(DOUBLE, undefined, 'CNY') });
    await h.service.ingestRequests([...SPREAD.slice(0, 4).map((ts) => req(ts, 'us')), ...SPREAD.slice(0, 3).map((ts) => req(ts, 'cn'))]);
    const s = await summary();
    expect(s.totals.cost).toEqual({ USD: (4 * 3_000_000) / 1e9, CNY: (3 * 6_000_000) / 1e9 });
    expect(s.converted).toBeNull();
    const byModel = Object.fromEntries(s.models.map((m) => [m.model, m.cost]));
    expect(byModel).toEqual({ us: { USD: 0.012 }, cn: { CNY: 0.018 } });
    const history = await h.service.getHistory({ from: DAY0, to: DAY0 + DAY, interval: 86_400, groupBy: 'model' });
    expect(history.buckets.map((b) => [b.model, b.cost])).toEqual(
      expect.arrayContaining([
        ['us', { USD: 0.012 }],
        ['cn', { CNY: 0.018 }],
      ]),
    );
  });
});

describe('deleting versions', () => {
  it('re-prices the window of a deleted version with the previous version', async () => {
    const t1 = SPREAD[6]!;
    const t2 = SPREAD[14]!;
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT, DAY0) });
    await h.service.addPriceVersion({ model: 'm', version: tokens(DOUBLE, t1) });
    await h.service.addPriceVersion({ model: 'm', version: tokens(TRIPLE, t2) });
    const change = await h.service.deletePricing({ model: 'm', effectiveFrom: t1 });
    expect(change.repricedRequests).toBe(8);
    expect(change.pricing.versions.map((v) => [v.effectiveFrom, v.effectiveTo])).toEqual([
      [DAY0, t2],
      [t2, null],
    ]);
    for (const row of await rows()) expect(row.cost).toBe(row.ts < t2 ? unit(FLAT) : unit(TRIPLE));
    expect((await summary()).totals.cost).toEqual({ USD: (14 * 3_000_000 + 6 * 9_000_000) / 1e9 });
  });

  it('deleting the first version leaves its window unpriced', async () => {
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT, DAY0) });
    await h.service.addPriceVersion({ model: 'm', version: tokens(DOUBLE, SPREAD[10]) });
    await h.service.deletePricing({ model: 'm', effectiveFrom: new Date(DAY0).toISOString() });
    const s = await summary();
    expect(s.totals.unpricedRequests).toBe(10);
    expect(s.totals.cost).toEqual({ USD: (10 * 6_000_000) / 1e9 });
  });

  it('deleting all versions makes every request unpriced', async () => {
    await h.service.ingestRequests(SPREAD.map((ts) => req(ts)));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT) });
    await h.service.addPriceVersion({ model: 'm', version: tokens(DOUBLE, SPREAD[10]) });
    const change = await h.service.deletePricing({ model: 'm' });
    expect(change.pricing.versions).toEqual([]);
    const s = await summary();
    expect(s.totals.unpricedRequests).toBe(20);
    expect(s.totals.cost).toEqual({});
    expect(s.models[0]).toMatchObject({ cost: null, pricingMethod: null });
    for (const row of await rows()) expect(row.cost).toBeNull();
    const rollupCost = h.ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM rollup_hour WHERE currency_id != 0 OR cost_nanos != 0`).get()!.n;
    expect(rollupCost).toBe(0);
    expect(await h.service.listPricing()).toEqual([]);
  });

  it('refuses to delete what does not exist', async () => {
    expect(await errorCode(h.service.deletePricing({ model: 'nobody' }))).toBe('not_found');
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT, DAY0) });
    expect(await errorCode(h.service.deletePricing({ model: 'm', effectiveFrom: DAY0 + 1 }))).toBe('not_found');
  });
});

describe('re-pricing after raw rows expired', () => {
  const hour = DAY0 + 2 * HOUR;
  // Requests in several minutes of one hour, small prompts and one large one (tiers differ).
  const times = [hour + 5 * MINUTE, hour + 5 * MINUTE + 7, hour + 20 * MINUTE, hour + 41 * MINUTE + 59_999];

  async function setup(): Promise<void> {
    await h.service.ingestRequests(times.map((ts, i) => req(ts, 'm', { inputTokens: i === 3 ? 5_000 : 100, outputTokens: 10 })));
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT) });
    await h.service.cleanup({ before: hour + HOUR });
    expect(h.tableCounts()['requests']).toBe(0);
  }

  it('prices whole expired hours from their rollups under a one-tier price, minute rollups included', async () => {
    await setup();
    const change = await h.service.addPriceVersion({ model: 'm', version: tokens(DOUBLE, DAY0) });
    expect(change.notRepriced).toBe(0);
    const expected = { USD: 2 * ((3 * 100 + 5_000) * 1_000 + 4 * 10 * 4_000) / 1e9 };
    expect((await summary(hour, hour + HOUR)).totals.cost).toEqual(expected);
    // Minute by minute, the rollups still hold each request where it happened.
    const history = await h.service.getHistory({ from: hour, to: hour + HOUR, interval: 60 });
    const perMinute = history.buckets.filter((b) => b.requests > 0).map((b) => [(b.ts - hour) / MINUTE, b.requests, b.cost]);
    expect(perMinute).toEqual([
      [5, 2, { USD: (2 * (100 * 2_000 + 10 * 8_000)) / 1e9 }],
      [20, 1, { USD: (100 * 2_000 + 10 * 8_000) / 1e9 }],
      [41, 1, { USD: (5_000 * 2_000 + 10 * 8_000) / 1e9 }],
    ]);
    expect(history.buckets.filter((b) => b.requests === 0).every((b) => Object.keys(b.cost).length === 0)).toBe(true);
    // No rollup row is left with a zero or negative request count.
    for (const table of ['rollup_minute', 'rollup_hour', 'rollup_day']) {
      expect(h.ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table} WHERE requests <= 0`).get()!.n).toBe(0);
    }
  });

  it('moves expired requests to another currency at every grain', async () => {
    await setup();
    await h.service.addPriceVersion({ model: 'm', version: tokens(FLAT, DAY0, 'EUR') });
    const history = await h.service.getHistory({ from: hour, to: hour + HOUR, interval: 60 });
    const busy = history.buckets.filter((b) => b.requests > 0);
    expect(busy.map((b) => Object.keys(b.cost))).toEqual([['EUR'], ['EUR'], ['EUR']]);
    expect(history.buckets.every((b) => b.requests >= 0 && b.unpricedRequests === 0)).toBe(true);
    expect((await summary(hour, hour + HOUR)).totals.cost).toEqual({ EUR: ((3 * 100 + 5_000) * 1_000 + 4 * 10 * 4_000) / 1e9 });
    for (const table of ['rollup_minute', 'rollup_hour', 'rollup_day']) {
      expect(h.ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table} WHERE requests <= 0`).get()!.n).toBe(0);
    }
  });

  it('leaves expired hours as they were under a tiered price, and says how many', async () => {
    await setup();
    const before = await summary(hour, hour + HOUR);
    const preview = await h.service.previewPriceVersion({ model: 'm', version: tokens(TIERED, DAY0) });
    expect(preview.notRepriced).toBe(4);
    expect(preview.after).toEqual(preview.before);
    const change = await h.service.addPriceVersion({ model: 'm', version: tokens(TIERED, DAY0) });
    expect(change.notRepriced).toBe(4);
    expect((await summary(hour, hour + HOUR)).totals.cost).toEqual(before.totals.cost);
  });
});
