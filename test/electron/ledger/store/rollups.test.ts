import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BUCKETS } from '../../../../shared/schemas/queries.js';
import type { FailureClass, RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import type { PriceTier } from '../../../../shared/schemas/pricing.js';
import { tsOfId } from '../../../../electron/ledger/store/request-ids.js';
import { Harness, prng } from './harness.js';
import { pick, refBucketStarts, refHistory, refPrice, refTotals, type Priced, type RefRecord, type RefTotals, type RefVersion } from './usage-model.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
// About three days around the end of summer time in Europe (2024-10-27).
const START = Date.UTC(2024, 9, 25, 19, 17, 3, 411);
const END = START + 3 * DAY;
const NOW = END + 2 * HOUR;
const MID1 = START + Math.round(1.1 * DAY) + 123; // beta's first (explicit) price
const MID2 = START + 2 * DAY + 7 * HOUR + 4 * MINUTE + 5; // alpha's second price
const ZONES = ['UTC', 'Europe/Berlin', 'Asia/Kolkata'];

const MODELS = ['alpha', 'beta', 'gamma', 'delta', '模型-ü'];
const API_TYPES = ['openai', 'anthropic', null];
const CHANNELS = ['0123456789abcdef', 'fedcba9876543210', 'aaaaaaaaaaaaaaaa', null];
const FAILURES: FailureClass[] = ['retryable', 'overloaded', 'non_retryable', 'quota', 'client_cancel'];

const ALPHA_V1: PriceTier[] = [
  { maxPromptTokens: null, input: 2.5, output: 15, cacheRead: 0.25, cacheWrite: 3.125 },
  { maxPromptTokens: 32_000, input: 1.25, output: 10, cacheRead: 0.125 },
];
// No unbounded tier: prompts past 100k are billed at the 100k tier.
const ALPHA_V2: PriceTier[] = [
  { maxPromptTokens: 50_000, input: 1, output: 8, cacheRead: 0.1, cacheWrite: 1.25 },
  { maxPromptTokens: 100_000, input: 2, output: 9, cacheRead: 0.2 },
];
const BETA: PriceTier[] = [{ maxPromptTokens: null, input: 0.3, output: 1.2 }];
const GAMMA: PriceTier[] = [
  { maxPromptTokens: 64_000, input: 4, output: 16, cacheRead: 1 },
  { maxPromptTokens: null, input: 8, output: 32, cacheRead: 2 },
];

const VERSIONS: Record<string, RefVersion[]> = {
  alpha: [
    { effectiveFrom: 0, currency: 'USD', method: 'tokens', tiers: ALPHA_V1 },
    { effectiveFrom: MID2, currency: 'USD', method: 'tokens', tiers: ALPHA_V2 },
  ],
  beta: [{ effectiveFrom: MID1, currency: 'USD', method: 'tokens', tiers: BETA }],
  gamma: [{ effectiveFrom: 0, currency: 'CNY', method: 'tokens', tiers: GAMMA }],
  delta: [],
  '模型-ü': [{ effectiveFrom: 0, currency: 'USD', method: 'none' }],
};

function generate(count: number, random: () => number): RefRecord[] {
  const choose = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (max: number) => Math.floor(random() * (max + 1));
  const out: RefRecord[] = [];
  let last = START;
  while (out.length < count) {
    let ts: number;
    const roll = random();
    if (roll < 0.05) ts = last; // same millisecond as the one before
    else if (roll < 0.08) ts = Math.min(END - 1, Math.ceil((START + random() * 3 * DAY) / MINUTE) * MINUTE); // on a minute
    else if (roll < 0.1) ts = Math.min(END - 1, Math.ceil((START + random() * 3 * DAY) / HOUR) * HOUR); // on an hour
    else if (roll < 0.11) ts = Math.ceil((START + random() * 3 * DAY) / HOUR) * HOUR - 1; // just before an hour
    else ts = START + Math.floor(random() * 3 * DAY);
    last = ts;
    const success = random() > 0.12;
    const cacheRead = random() < 0.5 ? int(40_000) : 0;
    const cacheWrite = random() < 0.2 ? int(15_000) : 0;
    const record: RefRecord = {
      ts,
      model: choose(MODELS),
      apiType: choose(API_TYPES),
      channel: choose(CHANNELS),
      success,
      inputTokens: int(random() < 0.2 ? 70_000 : 3_000),
      outputTokens: int(4_000),
      cacheReadTokens: cacheRead,
      cacheWriteTokens: cacheWrite,
      // A small pool of ids, so some repeat (retries of the same report).
      requestId: random() < 0.3 ? `req-${int(700)}` : null,
    };
    out.push(record);
  }
  return out;
}

function toInput(r: RefRecord, random: () => number, failure: FailureClass): RequestRecordInput {
  const input: RequestRecordInput = {
    ts: random() < 0.1 ? new Date(r.ts).toISOString() : r.ts,
    model: r.model,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    success: r.success,
  };
  if (r.apiType !== null) input.apiType = r.apiType;
  if (r.channel !== null) input.channel = r.channel;
  if (r.requestId !== null) input.requestId = r.requestId;
  if (!r.success) input.failureClass = failure;
  if (random() < 0.7) input.latencyMs = Math.floor(random() * 30_000);
  return input;
}

/** Sends records in batches of random size, each batch shuffled: arrivals are out of order. */
async function ingestShuffled(h: Harness, records: RefRecord[], random: () => number): Promise<void> {
  let i = 0;
  while (i < records.length) {
    const size = 1 + Math.floor(random() * 400);
    const batch = records.slice(i, i + size);
    for (let j = batch.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [batch[j], batch[k]] = [batch[k]!, batch[j]!];
    }
    // The order the ledger sees decides which copy of a repeated requestId is kept.
    records.splice(i, batch.length, ...batch);
    await h.service.ingestRequests(batch.map((r) => toInput(r, random, FAILURES[Math.floor(random() * FAILURES.length)]!)));
    i += size;
  }
}

/** What is stored: the first copy of each requestId, priced by the version in force at its time. */
function expectedStore(sent: RefRecord[]): Priced[] {
  const seen = new Set<string>();
  const kept: Priced[] = [];
  for (const r of sent) {
    if (r.requestId !== null) {
      if (seen.has(r.requestId)) continue;
      seen.add(r.requestId);
    }
    kept.push(refPrice(r, VERSIONS[r.model]!));
  }
  return kept;
}

function withZone<T>(tz: string, work: () => Promise<T>): Promise<T> {
  const previous = process.env.TZ;
  process.env.TZ = tz;
  return work().finally(() => {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  });
}

interface Query {
  from: number;
  to: number;
  interval: number | 'auto';
  model?: string;
  apiType?: string;
  metricsKey?: string;
  groupBy?: 'model';
}

function randomQueries(random: () => number, count: number, align: (ts: number) => number = (ts) => ts): Query[] {
  const intervals: (number | 'auto')[] = ['auto', 60, 300, 900, 3600, 7200, 86_400, 172_800, 7, 90, 2700, 5400, 129_600];
  const queries: Query[] = [];
  while (queries.length < count) {
    const interval = intervals[Math.floor(random() * intervals.length)]!;
    const maxSpan = interval === 'auto' ? 4 * DAY : Math.min(4 * DAY, interval * 1000 * (MAX_BUCKETS - 2));
    const from = align(START - HOUR + Math.floor(random() * (3 * DAY + 2 * HOUR)));
    const to = align(from + 1 + Math.floor(random() ** 2 * maxSpan));
    if (to <= from) continue;
    const query: Query = { from, to, interval };
    const filter = random();
    if (filter < 0.15) query.model = MODELS[Math.floor(random() * MODELS.length)]!;
    else if (filter < 0.25) query.apiType = random() < 0.5 ? 'openai' : 'anthropic';
    else if (filter < 0.35) query.metricsKey = CHANNELS[Math.floor(random() * 3)]!;
    else if (filter < 0.4) {
      query.metricsKey = CHANNELS[Math.floor(random() * 3)]!;
      query.apiType = 'anthropic';
    }
    if (random() < 0.3) query.groupBy = 'model';
    queries.push(query);
  }
  return queries;
}

function matches(r: Priced, q: Query): boolean {
  if (q.model !== undefined && r.model !== q.model) return false;
  if (q.apiType !== undefined && r.apiType !== q.apiType) return false;
  if (q.metricsKey !== undefined && r.channel !== q.metricsKey) return false;
  return true;
}

let h: Harness;
let stored: Priced[];
const random = prng(20_241_027);

beforeAll(async () => {
  h = new Harness(NOW);
  const { service } = h;
  await service.addPriceVersion({ model: 'alpha', version: { method: 'tokens', currency: 'USD', tiers: ALPHA_V1 } });
  await service.addPriceVersion({ model: 'gamma', version: { method: 'tokens', currency: 'CNY', tiers: GAMMA } });
  await service.addPriceVersion({ model: '模型-ü', version: { method: 'none' } });
  const records = generate(5_000, random);
  const first = records.slice(0, 2_500);
  const second = records.slice(2_500);
  await ingestShuffled(h, first, random);
  // Prices set midway: beta's first version from a date (earlier requests stay unpriced), and a
  // second version of alpha from a later date (its window is re-priced).
  await service.addPriceVersion({ model: 'beta', version: { method: 'tokens', currency: 'USD', effectiveFrom: MID1, tiers: BETA } });
  await service.addPriceVersion({ model: 'alpha', version: { method: 'tokens', effectiveFrom: new Date(MID2).toISOString(), tiers: ALPHA_V2 } });
  await ingestShuffled(h, second, random);
  stored = expectedStore([...first, ...second]);
}, 60_000);

afterAll(() => h.close());

describe('the randomized ledger', () => {
  it('stores each request once, priced by the version in force at its time', async () => {
    expect(stored.length).toBeGreaterThan(4_000);
    expect(stored.length).toBeLessThan(5_000);
    const rows: { ts: number; model: string; cost: number | null; currency: string | null; requestId: string | null }[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await h.service.listRequests({ from: 0, to: NOW, limit: 5_000, ...(before ? { before } : {}) });
      rows.push(...page.requests);
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    const key = (r: { ts: number; model: string; requestId: string | null }) => `${r.ts}|${r.model}|${r.requestId}`;
    const actual = rows.map((r) => `${key(r)}|${r.cost}|${r.currency}`).sort();
    const expected = stored.map((r) => `${key(r)}|${r.costNanos === null ? null : r.costNanos / 1e9}|${r.currency}`).sort();
    expect(actual).toEqual(expected);
  });

  it('keeps the day, hour and minute rollups equal to the raw rows', () => {
    const sums = 'sum(requests), sum(failures), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_nanos)';
    const group = (table: string, bucket: number) =>
      h.ledger.db
        .prepare(
          `SELECT bucket - (bucket % ${bucket}) AS b, model_id, channel_id, api_type_id, currency_id, ${sums} FROM ${table}
           GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
        )
        .raw()
        .all();
    const raw = h.ledger.db
      .prepare<[], { id: number }>(`SELECT id FROM requests`)
      .all()
      .map((row) => tsOfId(row.id));
    expect(raw.length).toBe(stored.length);
    expect(group('rollup_day', DAY)).toEqual(group('rollup_hour', DAY));
    expect(group('rollup_hour', HOUR)).toEqual(group('rollup_minute', HOUR));
    const fromRaw = h.ledger.db
      .prepare(
        `SELECT (id >> 10) - ((id >> 10) % ${MINUTE}) AS b, model_id, coalesce(channel_id, 0), coalesce(api_type_id, 0), coalesce(currency_id, 0),
                count(*), sum(success = 0), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), coalesce(sum(cost_nanos), 0)
         FROM requests GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
      )
      .raw()
      .all();
    expect(group('rollup_minute', MINUTE)).toEqual(fromRaw);
  });

  for (const tz of ZONES) {
    it(`answers summaries and every history bucket as sums of the records (${tz})`, async () => {
      await withZone(tz, async () => {
        const queries = randomQueries(random, 120);
        // A few ranges aligned to hours, days and minutes, read mostly from rollups.
        queries.push(...randomQueries(random, 20, (ts) => Math.floor(ts / HOUR) * HOUR));
        queries.push(...randomQueries(random, 10, (ts) => Math.floor(ts / MINUTE) * MINUTE));
        queries.push({ from: START - DAY, to: END + DAY, interval: 86_400 }, { from: START - DAY, to: END + DAY, interval: 'auto', groupBy: 'model' });
        for (const q of queries) await checkQuery(q, stored);
      });
    });
  }

  it('answers per-model summary rows: figures, pricing method, and cost (null when nothing is priced)', async () => {
    const queries = randomQueries(random, 40);
    // Only unpriced beta requests before its first price: beta's cost is null, not zero.
    queries.push({ from: START, to: MID1, interval: 'auto' }, { from: MID1 - HOUR, to: MID1 + HOUR, interval: 'auto' });
    for (const q of queries) {
      const summary = await h.service.getSummary({ from: q.from, to: q.to });
      const inRange = stored.filter((r) => r.ts >= q.from && r.ts < q.to);
      const expected = MODELS.map((model) => {
        const mine = inRange.filter((r) => r.model === model);
        if (mine.length === 0) return null;
        const totals = refTotals(mine);
        const priced = mine.some((r) => r.currency !== null);
        const methods: Record<string, string | null> = { alpha: 'tokens', beta: 'tokens', gamma: 'tokens', delta: null, '模型-ü': 'none' };
        return { model, ...totals, cost: priced ? totals.cost : null, pricingMethod: methods[model], running: false, runtimeSeconds: 0 };
      }).filter((row) => row !== null);
      const actual = summary.models.map((row) => ({ ...row }));
      expect(actual.sort((a, b) => a.model.localeCompare(b.model))).toEqual(expected.sort((a, b) => a.model.localeCompare(b.model)));
    }
  });
});

async function checkQuery(q: Query, records: readonly Priced[]): Promise<void> {
  const label = JSON.stringify(q);
  const selected = records.filter((r) => matches(r, q));
  if (q.model === undefined && q.apiType === undefined && q.metricsKey === undefined) {
    const summary = await h.service.getSummary({ from: q.from, to: q.to });
    const expected = refTotals(selected.filter((r) => r.ts >= q.from && r.ts < q.to));
    expect(pick(summary.totals), `summary ${label}`).toEqual(expected);
    expect(summary.totals.runtimeSeconds).toBe(0);
  }
  const history = await h.service.getHistory({
    from: q.from,
    to: q.to,
    interval: q.interval,
    ...(q.model !== undefined ? { model: q.model } : {}),
    ...(q.apiType !== undefined ? { apiType: q.apiType } : {}),
    ...(q.metricsKey !== undefined ? { metricsKey: q.metricsKey } : {}),
    ...(q.groupBy !== undefined ? { groupBy: q.groupBy } : {}),
  });
  if (q.interval !== 'auto') expect(history.interval).toBe(q.interval);
  const starts = refBucketStarts(q.from, q.to, history.interval);
  if (q.groupBy === 'model') {
    const models = [...new Set(selected.filter((r) => r.ts >= q.from && r.ts < q.to).map((r) => r.model))];
    const expected: (RefTotals & { ts: number; model: string })[] = [];
    const perModel = new Map(models.map((model) => [model, refHistory(selected.filter((r) => r.model === model), q.from, q.to, starts)]));
    starts.forEach((ts, i) => {
      for (const model of models) expected.push({ ts, model, ...perModel.get(model)![i]! });
    });
    const actual = history.buckets.map((bucket) => ({ ts: bucket.ts, model: bucket.model!, ...pick(bucket) }));
    const order = (a: { ts: number; model: string }, b: { ts: number; model: string }) => a.ts - b.ts || a.model.localeCompare(b.model);
    expect(actual.sort(order), `history ${label}`).toEqual(expected.sort(order));
  } else {
    const expected = refHistory(selected, q.from, q.to, starts).map((totals, i) => ({ ts: starts[i]!, ...totals }));
    expect(history.buckets.map((bucket) => ({ ts: bucket.ts, ...pick(bucket) })), `history ${label}`).toEqual(expected);
  }
}

describe('after raw rows expire', () => {
  const BEFORE = START + DAY + 5 * HOUR + 17 * MINUTE + 29_123;

  beforeAll(async () => {
    await h.service.cleanup({ before: BEFORE });
  });

  it('has deleted exactly the raw rows older than the cut', () => {
    const oldest = h.ledger.db.prepare<[], { id: number }>(`SELECT min(id) AS id FROM requests`).get()!.id;
    expect(tsOfId(oldest)).toBeGreaterThanOrEqual(BEFORE);
    const left = h.ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM requests`).get()!.n;
    expect(left).toBe(stored.filter((r) => r.ts >= BEFORE).length);
  });

  for (const tz of ZONES) {
    it(`keeps the totals of ranges aligned to whole hours, from the rollups (${tz})`, async () => {
      await withZone(tz, async () => {
        const hour = (ts: number) => Math.floor(ts / HOUR) * HOUR;
        for (const q of randomQueries(random, 60, hour)) {
          await checkQuery({ ...q, interval: q.interval === 'auto' || q.interval % 3600 !== 0 || q.interval % 86_400 === 0 ? 3600 : q.interval }, stored);
        }
      });
    });
  }

  it('keeps minute-aligned ranges exact while minute rollups are kept, and ranges after the cut exact at any grain', async () => {
    const minute = (ts: number) => Math.floor(ts / MINUTE) * MINUTE;
    for (const q of randomQueries(random, 40, minute)) await checkQuery({ ...q, interval: 60 * (1 + Math.floor(random() * 30)) }, stored);
    for (const q of randomQueries(random, 60)) {
      if (q.from < BEFORE) continue;
      await checkQuery(q, stored);
    }
  });

  it('keeps hour-aligned totals once minute rollups are trimmed too', async () => {
    h.ledger.maintenance.trimMinuteRollups(NOW);
    expect(h.ledger.ctx.coverage.minuteFrom).toBeGreaterThan(START);
    const hour = (ts: number) => Math.floor(ts / HOUR) * HOUR;
    for (const q of randomQueries(random, 40, hour)) {
      await checkQuery({ ...q, interval: [3600, 7200, 10_800, 21_600][Math.floor(random() * 4)]! }, stored);
    }
    await checkQuery({ from: hour(START), to: hour(NOW), interval: 3600 }, stored);
  });

  it('answers any range and interval over expired data, its history buckets adding up to the summary', async () => {
    for (const tz of ZONES) {
      await withZone(tz, async () => {
        for (const q of randomQueries(random, 80)) {
          const summary = await h.service.getSummary({ from: q.from, to: q.to });
          const history = await h.service.getHistory({ from: q.from, to: q.to, interval: q.interval });
          const sum = (field: 'requests' | 'inputTokens' | 'unpricedRequests') => history.buckets.reduce((acc, b) => acc + b[field], 0);
          const label = `${tz} ${JSON.stringify(q)}`;
          expect(sum('requests'), label).toBe(summary.totals.requests);
          expect(sum('inputTokens'), label).toBe(summary.totals.inputTokens);
          expect(sum('unpricedRequests'), label).toBe(summary.totals.unpricedRequests);
        }
      });
    }
  });
});

describe('a batch that fails part-way', () => {
  it('leaves no trace: neither raw rows nor rollups of its records, in later commits either', async () => {
    const t = new Harness(NOW);
    try {
      // A storage failure on one record, after others of the same batch were written.
      t.ledger.db.exec(`CREATE TRIGGER fail_666 BEFORE INSERT ON requests WHEN NEW.input_tokens = 666 BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`);
      const ok = (ts: number, inputTokens = 1): RequestRecordInput => ({ ts, model: 'm', inputTokens, channel: CHANNELS[0]!, apiType: 'openai' });
      await expect(t.service.ingestRequests([ok(START), ok(START + MINUTE), ok(START + 2 * MINUTE, 666)])).rejects.toThrow('disk trouble');
      // Concurrent batches share a commit; the failing one must not take the others down or leak into them.
      const results = await Promise.allSettled([
        t.service.ingestRequests([ok(START + 3 * MINUTE)]),
        t.service.ingestRequests([ok(START + 4 * MINUTE), ok(START + 5 * MINUTE, 666)]),
        t.service.ingestRequests([ok(START + 6 * MINUTE)]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      await t.service.ingestRequests([ok(START + 7 * MINUTE)]);

      const raw = t.ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM requests`).get()!.n;
      expect(raw).toBe(3);
      for (const table of ['rollup_minute', 'rollup_hour', 'rollup_day']) {
        const n = t.ledger.db.prepare<[], { n: number | null }>(`SELECT sum(requests) AS n FROM ${table}`).get()!.n;
        expect(n, table).toBe(3);
      }
      const summary = await t.service.getSummary({ from: START - HOUR, to: START + HOUR });
      expect(summary.totals.requests).toBe(3);
      const m0 = Math.floor(START / MINUTE) * MINUTE;
      const history = await t.service.getHistory({ from: m0, to: m0 + 8 * MINUTE, interval: 60 });
      expect(history.buckets.map((b) => b.requests)).toEqual([0, 0, 0, 1, 0, 0, 1, 1]);
    } finally {
      t.close();
    }
  });
});
