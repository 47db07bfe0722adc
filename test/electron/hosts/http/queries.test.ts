import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { History, HistoryBucket, IngestResult, ProgramRun, RequestPage, RequestRow, Run, Summary } from '../../../../shared/types.js';
import { DAY, expectError, HOUR, MINUTE, qs, startServer, type TestServer } from './helpers.js';

// Three whole hours, starting four hours ago on an hour boundary: always in the past.
const T0 = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;
const RANGE = { from: T0, to: T0 + 3 * HOUR };
const KEY_A = 'aaaaaaaaaaaaaaaa';
const KEY_B = 'bbbbbbbbbbbbbbbb';

const post = (server: TestServer, json: unknown) => server.post<IngestResult>('/api/v1/requests', json);

describe('GET /api/v1/summary', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    // priced: 1 USD per 1M input, 2 USD per 1M output, cache read at 0.5.
    await server.put('/api/v1/pricing/priced', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2, cacheRead: 0.5 }] });
    // free: explicitly priced at nothing.
    await server.put('/api/v1/pricing/free', { method: 'none', currency: 'USD' });
    // late: priced only from T0 + 2h; its requests before that are unpriced.
    await server.put('/api/v1/pricing/late', { method: 'tokens', currency: 'CNY', effectiveFrom: T0 + 2 * HOUR, tiers: [{ maxPromptTokens: null, input: 10, output: 10 }] });
    await post(server, [
      { ts: T0 + MINUTE, model: 'priced', inputTokens: 1_000_000, outputTokens: 500_000 },
      { ts: T0 + 2 * MINUTE, model: 'priced', inputTokens: 0, cacheReadTokens: 2_000_000, outputTokens: 0, success: false, failureClass: 'retryable' },
      { ts: T0 + 3 * MINUTE, model: 'unpriced', inputTokens: 100, outputTokens: 10 },
      { ts: T0 + 4 * MINUTE, model: 'unpriced', inputTokens: 200, outputTokens: 20, cacheWriteTokens: 5 },
      { ts: T0 + 5 * MINUTE, model: 'free', inputTokens: 1000, outputTokens: 1000 },
      { ts: T0 + 6 * MINUTE, model: 'late', inputTokens: 1_000_000 },
      // outside the range
      { ts: T0 - MINUTE, model: 'priced', inputTokens: 7 },
      { ts: T0 + 3 * HOUR, model: 'priced', inputTokens: 7 },
    ]);
    await server.post('/api/v1/runs', { model: 'loaded', event: 'start', source: 'test' });
  });
  afterAll(async () => {
    await server.close();
  });

  const summaryOf = (query: Record<string, string | number | undefined>) => server.get<Summary>(`/api/v1/summary${qs(query)}`);
  const row = (summary: Summary, model: string) => {
    const found = summary.models.find((m) => m.model === model);
    if (!found) throw new Error(`no row for ${model} in ${JSON.stringify(summary.models.map((m) => m.model))}`);
    return found;
  };

  it('totals every request in [from, to) and nothing outside it', async () => {
    const summary = await summaryOf(RANGE);
    expect(summary.from).toBe(RANGE.from);
    expect(summary.to).toBe(RANGE.to);
    expect(summary.totals).toMatchObject({
      requests: 6,
      failures: 1,
      inputTokens: 1_000_000 + 300 + 1000 + 1_000_000,
      outputTokens: 500_000 + 30 + 1000,
      cacheReadTokens: 2_000_000,
      cacheWriteTokens: 5,
      unpricedRequests: 3,
    });
    // 1 + 1 for the first request, 2M cache reads at 0.5 = 1 for the second; free costs 0.
    expect(summary.totals.cost).toEqual({ USD: 3 });
  });

  it('gives each model its own row with its figures and pricing method', async () => {
    const summary = await summaryOf(RANGE);
    expect(row(summary, 'priced')).toMatchObject({ requests: 2, failures: 1, pricingMethod: 'tokens', running: false, cost: { USD: 3 }, unpricedRequests: 0 });
    expect(row(summary, 'free')).toMatchObject({ requests: 1, pricingMethod: 'none', cost: { USD: 0 }, unpricedRequests: 0 });
  });

  it('shows a model without any price as unpriced: cost null, never 0', async () => {
    const unpriced = row(await summaryOf(RANGE), 'unpriced');
    expect(unpriced).toMatchObject({ requests: 2, unpricedRequests: 2, pricingMethod: null });
    expect(unpriced.cost).toBeNull();
  });

  it('shows requests before a model\'s first price as unpriced, not as zero cost', async () => {
    const late = row(await summaryOf(RANGE), 'late');
    expect(late).toMatchObject({ requests: 1, unpricedRequests: 1, pricingMethod: 'tokens' });
    expect(late.cost).toBeNull();
  });

  it('marks a model with an open run as running, even without requests', async () => {
    const summary = await summaryOf(RANGE);
    expect(row(summary, 'loaded')).toMatchObject({ running: true, requests: 0, pricingMethod: null, cost: null });
    expect(row(summary, 'priced').running).toBe(false);
  });

  it('counts circuits by state', async () => {
    expect((await summaryOf(RANGE)).circuits).toEqual({ closed: 0, open: 0, half_open: 0 });
  });

  it('accepts from/to as ISO-8601 as well as epoch ms, with the same answer', async () => {
    const iso = await summaryOf({ from: new Date(RANGE.from).toISOString(), to: new Date(RANGE.to).toISOString() });
    const ms = await summaryOf(RANGE);
    expect(iso.from).toBe(RANGE.from);
    expect(iso.to).toBe(RANGE.to);
    expect(iso.totals).toEqual(ms.totals);
  });

  it('defaults to today (local midnight until now)', async () => {
    const before = Date.now();
    const summary = await summaryOf({});
    const midnight = new Date(before);
    midnight.setHours(0, 0, 0, 0);
    expect(summary.from).toBe(midnight.getTime());
    expect(summary.to).toBeGreaterThanOrEqual(before);
    expect(summary.to).toBeLessThanOrEqual(Date.now());
  });

  it('rejects from >= to with 400', async () => {
    expectError(await server.call('GET', `/api/v1/summary${qs({ from: T0, to: T0 })}`), 400, 'bad_request');
    expectError(await server.call('GET', `/api/v1/summary${qs({ from: T0 + 1, to: T0 })}`), 400, 'bad_request');
  });

  it('rejects an unknown query parameter with 400 naming it', async () => {
    const error = expectError(await server.call('GET', `/api/v1/summary${qs({ from: T0, model: 'priced' })}`), 400, 'validation_failed');
    expect(error.details).toContainEqual(expect.objectContaining({ field: 'model' }));
  });

  it('rejects a malformed time with 400', async () => {
    expectError(await server.call('GET', `/api/v1/summary${qs({ from: 'last tuesday' })}`), 400, 'validation_failed');
  });
});

describe('GET /api/v1/history', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    await server.put('/api/v1/pricing/alpha', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] });
    await post(server, [
      { ts: T0 + 1 * MINUTE, model: 'alpha', apiType: 'openai', channel: KEY_A, inputTokens: 1_000_000 },
      { ts: T0 + 11 * MINUTE, model: 'alpha', apiType: 'openai', channel: KEY_A, inputTokens: 10, success: false, failureClass: 'quota' },
      { ts: T0 + 12 * MINUTE, model: 'beta', apiType: 'anthropic', channel: KEY_B, inputTokens: 20, cacheReadTokens: 3, cacheWriteTokens: 4, outputTokens: 5 },
      { ts: T0 + 65 * MINUTE, model: 'beta', apiType: 'openai', channel: KEY_B, inputTokens: 30 },
      { ts: T0 + 125 * MINUTE, model: 'alpha', inputTokens: 40 },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  const historyOf = (query: Record<string, string | number | undefined>) => server.get<History>(`/api/v1/history${qs(query)}`);
  const at = (history: History, ts: number, model?: string): HistoryBucket => {
    const bucket = history.buckets.find((b) => b.ts === ts && (model === undefined || b.model === model));
    if (!bucket) throw new Error(`no bucket at ${ts} ${model ?? ''}`);
    return bucket;
  };

  it('buckets by an interval in seconds, aligned to multiples since the epoch', async () => {
    const history = await historyOf({ ...RANGE, interval: 600 });
    expect(history.interval).toBe(600);
    expect(history.from).toBe(RANGE.from);
    expect(history.to).toBe(RANGE.to);
    expect(history.buckets).toHaveLength(18);
    expect(history.buckets.map((b) => b.ts)).toEqual(Array.from({ length: 18 }, (_, i) => T0 + i * 10 * MINUTE));
    expect(at(history, T0)).toMatchObject({ requests: 1, inputTokens: 1_000_000, cost: { USD: 1 } });
    expect(at(history, T0 + 10 * MINUTE)).toMatchObject({ requests: 2, failures: 1, inputTokens: 30, outputTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 4, unpricedRequests: 1 });
    expect(at(history, T0 + 60 * MINUTE)).toMatchObject({ requests: 1, inputTokens: 30 });
    expect(at(history, T0 + 120 * MINUTE)).toMatchObject({ requests: 1, inputTokens: 40 });
    expect(at(history, T0 + 30 * MINUTE)).toMatchObject({ requests: 0, inputTokens: 0, cost: {} });
    expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(5);
  });

  it('starts the first bucket at or before from when from is not aligned', async () => {
    const history = await historyOf({ from: T0 + 5 * MINUTE, to: T0 + 60 * MINUTE, interval: 1800 });
    expect(history.buckets.map((b) => b.ts)).toEqual([T0, T0 + 30 * MINUTE]);
    // The request at T0 + 1 min is before from: not counted.
    expect(at(history, T0).requests).toBe(2);
  });

  it('chooses the interval itself with interval=auto (and by default)', async () => {
    for (const query of [{ ...RANGE, interval: 'auto' }, RANGE]) {
      const history = await historyOf(query);
      // Three hours in at most ~150 buckets: 2-minute steps are not offered, so 5 minutes.
      expect(history.interval).toBe(300);
      expect(history.buckets).toHaveLength(36);
      expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(5);
    }
  });

  it('aligns day buckets to local midnight', async () => {
    const history = await historyOf({ from: T0 - 2 * DAY, to: T0 + 3 * HOUR, interval: 86_400 });
    const midnight = new Date(T0 - 2 * DAY);
    midnight.setHours(0, 0, 0, 0);
    expect(history.buckets[0]!.ts).toBe(midnight.getTime());
    for (const bucket of history.buckets) {
      const d = new Date(bucket.ts);
      expect([d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()]).toEqual([0, 0, 0, 0]);
    }
    expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(5);
  });

  it('splits buckets per model with groupBy=model', async () => {
    const history = await historyOf({ ...RANGE, interval: 3600, groupBy: 'model' });
    for (const bucket of history.buckets) expect(['alpha', 'beta']).toContain(bucket.model);
    expect(at(history, T0, 'alpha')).toMatchObject({ requests: 2, inputTokens: 1_000_010 });
    expect(at(history, T0, 'beta')).toMatchObject({ requests: 1, inputTokens: 20 });
    expect(at(history, T0 + HOUR, 'beta')).toMatchObject({ requests: 1 });
    expect(at(history, T0 + HOUR, 'alpha')).toMatchObject({ requests: 0 });
    expect(at(history, T0 + 2 * HOUR, 'alpha')).toMatchObject({ requests: 1 });
    expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(5);
  });

  it('splits buckets per channel with groupBy=channel: metricsKey and apiType (null for none), in the order channels were first seen', async () => {
    const history = await historyOf({ ...RANGE, interval: 86_400 * 2, groupBy: 'channel' });
    const rows = history.buckets.map((b) => ({ metricsKey: b.metricsKey, apiType: b.apiType, requests: b.requests, failures: b.failures }));
    expect(rows).toEqual([
      { metricsKey: null, apiType: null, requests: 1, failures: 0 },
      { metricsKey: KEY_A, apiType: 'openai', requests: 2, failures: 1 },
      { metricsKey: KEY_B, apiType: 'anthropic', requests: 1, failures: 0 },
      { metricsKey: KEY_B, apiType: 'openai', requests: 1, failures: 0 },
    ]);
    expect(history.buckets.every((b) => b.model === undefined)).toBe(true);
    expect((await historyOf({ ...RANGE, interval: 86_400 * 2 })).buckets[0]).toMatchObject({ requests: 5, failures: 1 });
  });

  it('filters by model', async () => {
    const history = await historyOf({ ...RANGE, interval: 3600, model: 'beta' });
    expect(history.buckets.map((b) => b.requests)).toEqual([1, 1, 0]);
    expect(history.buckets.every((b) => b.model === undefined)).toBe(true);
  });

  it('filters by metricsKey, and by metricsKey within an apiType', async () => {
    expect((await historyOf({ ...RANGE, interval: 3600, metricsKey: KEY_A })).buckets.map((b) => b.requests)).toEqual([2, 0, 0]);
    expect((await historyOf({ ...RANGE, interval: 3600, metricsKey: KEY_B })).buckets.map((b) => b.requests)).toEqual([1, 1, 0]);
    expect((await historyOf({ ...RANGE, interval: 3600, metricsKey: KEY_B, apiType: 'openai' })).buckets.map((b) => b.requests)).toEqual([0, 1, 0]);
  });

  it('filters by apiType', async () => {
    expect((await historyOf({ ...RANGE, interval: 3600, apiType: 'openai' })).buckets.map((b) => b.requests)).toEqual([2, 1, 0]);
    expect((await historyOf({ ...RANGE, interval: 3600, apiType: 'anthropic' })).buckets.map((b) => b.requests)).toEqual([1, 0, 0]);
  });

  it('answers zero buckets for a model, channel or apiType it has never seen', async () => {
    for (const filter of [{ model: 'nobody' }, { metricsKey: 'ffffffffffffffff' }, { apiType: 'gemini' }]) {
      const history = await historyOf({ ...RANGE, interval: 3600, ...filter });
      expect(history.buckets.map((b) => b.requests)).toEqual([0, 0, 0]);
    }
  });

  it('accepts ISO-8601 from/to', async () => {
    const history = await historyOf({ from: new Date(RANGE.from).toISOString(), to: new Date(RANGE.to).toISOString(), interval: 3600 });
    expect(history.buckets.map((b) => b.requests)).toEqual([3, 1, 1]);
  });

  const bad: [string, Record<string, string | number>][] = [
    ['from equal to to', { from: T0, to: T0 }],
    ['from after to', { from: T0 + HOUR, to: T0 }],
    ['an unknown parameter', { ...RANGE, bucket: 60 }],
    ['a zero interval', { ...RANGE, interval: 0 }],
    ['a fractional interval', { ...RANGE, interval: 1.5 }],
    ['a word for an interval', { ...RANGE, interval: 'hourly' }],
    ['groupBy of an unknown split', { ...RANGE, groupBy: 'source' }],
    ['a malformed metricsKey', { ...RANGE, metricsKey: 'XYZ' }],
    ['too many buckets', { from: 0, to: T0, interval: 60 }],
    ['both range and from', { range: '24h', from: T0 }],
  ];
  for (const [what, query] of bad) {
    it(`answers 400 for ${what}`, async () => {
      const answer = await server.call('GET', `/api/v1/history${qs(query)}`);
      expect(answer.status, answer.text).toBe(400);
      expect((answer.body as { error: { code: string } }).error.code).toMatch(/^(bad_request|validation_failed|too_many_buckets)$/);
    });
  }
});

describe('GET /api/v1/runs and /api/v1/program-runs', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('lists runs newest first, filtered by model and range, limited', async () => {
    await server.post('/api/v1/runs', { model: 'a', event: 'start', ts: T0 });
    await server.post('/api/v1/runs', { model: 'a', event: 'stop', ts: T0 + HOUR });
    await server.post('/api/v1/runs', { model: 'b', event: 'start', ts: T0 + 2 * HOUR });
    await server.post('/api/v1/runs', { model: 'a', event: 'start', ts: T0 + 2 * HOUR + MINUTE });

    const all = await server.get<Run[]>('/api/v1/runs');
    expect(all.map((r) => [r.model, r.start])).toEqual([
      ['a', T0 + 2 * HOUR + MINUTE],
      ['b', T0 + 2 * HOUR],
      ['a', T0],
    ]);
    expect(all[2]).toMatchObject({ end: T0 + HOUR, running: false, durationSeconds: 3600 });
    expect(all[0]).toMatchObject({ end: null, running: true });

    expect((await server.get<Run[]>(`/api/v1/runs${qs({ model: 'a' })}`)).map((r) => r.start)).toEqual([T0 + 2 * HOUR + MINUTE, T0]);
    expect((await server.get<Run[]>(`/api/v1/runs${qs({ model: 'nobody' })}`))).toEqual([]);
    expect((await server.get<Run[]>(`/api/v1/runs${qs({ limit: 1 })}`)).map((r) => r.model)).toEqual(['a']);
    // A range overlapping only the first run of a.
    const early = await server.get<Run[]>(`/api/v1/runs${qs({ from: new Date(T0 + 30 * MINUTE).toISOString(), to: T0 + 90 * MINUTE })}`);
    expect(early.map((r) => r.start)).toEqual([T0]);
  });

  it('counts runtime in the summary as the overlap of runs with the range', async () => {
    await server.post('/api/v1/runs', { model: 'a', event: 'start', ts: T0 });
    await server.post('/api/v1/runs', { model: 'a', event: 'stop', ts: T0 + HOUR });
    const summary = await server.get<Summary>(`/api/v1/summary${qs({ from: T0 + 30 * MINUTE, to: T0 + 3 * HOUR })}`);
    expect(summary.totals.runtimeSeconds).toBe(1800);
    expect(summary.models.find((m) => m.model === 'a')!.runtimeSeconds).toBe(1800);
  });

  it('shows ModelMeter\'s own open program run', async () => {
    const runs = await server.get<ProgramRun[]>('/api/v1/program-runs');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ end: null, running: true });
    expect(runs[0]!.start).toBeLessThanOrEqual(Date.now());
    expect(await server.get<ProgramRun[]>(`/api/v1/program-runs${qs({ limit: 1 })}`)).toHaveLength(1);
  });

  it('rejects bad run queries with 400', async () => {
    for (const query of [{ limit: 0 }, { limit: 'ten' }, { sort: 'asc' }, { from: T0, to: T0 - 1, x: 1 }]) {
      expect((await server.call('GET', `/api/v1/runs${qs(query)}`)).status, JSON.stringify(query)).toBe(400);
    }
    expect((await server.call('GET', `/api/v1/program-runs${qs({ model: 'a' })}`)).status).toBe(400);
    expect((await server.call('GET', `/api/v1/program-runs${qs({ limit: -1 })}`)).status).toBe(400);
  });
});

describe('GET /api/v1/requests: the request log', () => {
  let server: TestServer;
  const TOTAL = 57;
  beforeAll(async () => {
    server = await startServer();
    // Spread over three hours, some sharing a millisecond; every fourth is model "b".
    const records = Array.from({ length: TOTAL }, (_, i) => ({
      ts: T0 + Math.floor(i / 2) * 6 * MINUTE,
      model: i % 4 === 0 ? 'b' : 'a',
      apiType: i % 3 === 0 ? 'anthropic' : 'openai',
      channel: i % 5 === 0 ? KEY_A : KEY_B,
      inputTokens: i,
      requestId: `r-${i}`,
    }));
    // Send them out of order: the log is ordered by time, not by arrival.
    await post(server, records.slice(30));
    await post(server, records.slice(0, 30));
  });
  afterAll(async () => {
    await server.close();
  });

  const page = (query: Record<string, string | number | undefined>) => server.get<RequestPage>(`/api/v1/requests${qs(query)}`);

  async function walk(query: Record<string, string | number | undefined>, limit: number): Promise<{ rows: RequestRow[]; pages: number }> {
    const rows: RequestRow[] = [];
    let before: string | undefined;
    let pages = 0;
    for (;;) {
      const answer = await page({ ...query, limit, before });
      pages++;
      expect(answer.requests.length).toBeLessThanOrEqual(limit);
      rows.push(...answer.requests);
      if (answer.nextBefore === null) break;
      expect(answer.requests).toHaveLength(limit);
      before = answer.nextBefore;
      if (pages > 100) throw new Error('paging does not end');
    }
    return { rows, pages };
  }

  function expectNewestFirst(rows: RequestRow[]): void {
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i - 1]!.ts).toBeGreaterThanOrEqual(rows[i]!.ts);
      expect(BigInt(rows[i - 1]!.id) > BigInt(rows[i]!.id)).toBe(true);
    }
  }

  it('pages through every row exactly once, newest first', async () => {
    const { rows, pages } = await walk({}, 10);
    expect(pages).toBe(6);
    expect(rows).toHaveLength(TOTAL);
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(TOTAL);
    expectNewestFirst(rows);
    expect(rows[0]!.requestId).toBe('r-56');
    expect(rows[rows.length - 1]!.ts).toBe(T0);
  });

  it('answers a null cursor when a page holds the last row exactly', async () => {
    const { rows, pages } = await walk({}, TOTAL);
    expect(pages).toBe(1);
    expect(rows).toHaveLength(TOTAL);
    const bigger = await page({ limit: TOTAL + 1 });
    expect(bigger.nextBefore).toBeNull();
  });

  it('pages through one model exactly once', async () => {
    const { rows } = await walk({ model: 'b' }, 4);
    expect(rows.map((r) => r.requestId).sort()).toEqual(
      Array.from({ length: TOTAL }, (_, i) => i).filter((i) => i % 4 === 0).map((i) => `r-${i}`).sort(),
    );
    expect(rows.every((r) => r.model === 'b')).toBe(true);
    expectNewestFirst(rows);
  });

  it('pages within a time range given as ISO or ms', async () => {
    const from = T0 + HOUR;
    const to = T0 + 2 * HOUR;
    const expected = Array.from({ length: TOTAL }, (_, i) => i).filter((i) => {
      const ts = T0 + Math.floor(i / 2) * 6 * MINUTE;
      return ts >= from && ts < to;
    });
    const byMs = await walk({ from, to }, 7);
    const byIso = await walk({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }, 7);
    expect(byMs.rows.map((r) => r.requestId).sort()).toEqual(expected.map((i) => `r-${i}`).sort());
    expect(byIso.rows).toEqual(byMs.rows);
  });

  it('filters by apiType and metricsKey', async () => {
    const anthropic = await walk({ apiType: 'anthropic' }, 100);
    expect(anthropic.rows).toHaveLength(Array.from({ length: TOTAL }, (_, i) => i).filter((i) => i % 3 === 0).length);
    expect(anthropic.rows.every((r) => r.apiType === 'anthropic')).toBe(true);
    const keyA = await walk({ metricsKey: KEY_A }, 100);
    expect(keyA.rows).toHaveLength(Array.from({ length: TOTAL }, (_, i) => i).filter((i) => i % 5 === 0).length);
    expect(keyA.rows.every((r) => r.channel === KEY_A)).toBe(true);
  });

  it('answers an empty page for an unknown model', async () => {
    expect(await page({ model: 'nobody' })).toEqual({ requests: [], nextBefore: null });
  });

  it('defaults to 100 rows', async () => {
    expect((await page({})).requests).toHaveLength(TOTAL);
  });

  const bad: [string, Record<string, string | number>][] = [
    ['limit 0', { limit: 0 }],
    ['limit above 5000', { limit: 5001 }],
    ['a non-numeric cursor', { before: 'abc' }],
    ['an unknown parameter', { page: 2 }],
    ['from after to', { from: T0 + HOUR, to: T0 }],
  ];
  for (const [what, query] of bad) {
    it(`answers 400 for ${what}`, async () => {
      const answer = await server.call('GET', `/api/v1/requests${qs(query)}`);
      expect(answer.status, answer.text).toBe(400);
    });
  }
});

describe('range presets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    const now = Date.now();
    await post(server, [
      { ts: now - 30 * MINUTE, model: 'm', requestId: 'half-hour-ago' },
      { ts: now - 3 * HOUR, model: 'm', requestId: 'three-hours-ago' },
      { ts: now - 2 * DAY, model: 'm', requestId: 'two-days-ago' },
      { ts: now - 10 * DAY, model: 'm', requestId: 'ten-days-ago' },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  const cases: [string, number, number][] = [
    ['1h', HOUR, 1],
    ['6h', 6 * HOUR, 2],
    ['24h', DAY, 2],
    ['7d', 7 * DAY, 3],
    ['30d', 30 * DAY, 4],
  ];
  for (const [range, span, requests] of cases) {
    it(`range=${range} ends now and spans ${span / HOUR} hours`, async () => {
      const before = Date.now();
      const summary = await server.get<Summary>(`/api/v1/summary${qs({ range })}`);
      expect(summary.to).toBeGreaterThanOrEqual(before);
      expect(summary.to - summary.from).toBe(span);
      expect(summary.totals.requests).toBe(requests);
      const history = await server.get<History>(`/api/v1/history${qs({ range })}`);
      expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(requests);
    });
  }

  it('range=today starts at local midnight', async () => {
    const summary = await server.get<Summary>(`/api/v1/summary${qs({ range: 'today' })}`);
    const midnight = new Date(summary.to);
    midnight.setHours(0, 0, 0, 0);
    expect(summary.from).toBe(midnight.getTime());
  });

  it('rejects an unknown preset', async () => {
    expect((await server.call('GET', `/api/v1/summary${qs({ range: '2w' })}`)).status).toBe(400);
  });
});

describe('malformed query strings', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    await post(server, { ts: T0, model: 'm', channel: KEY_A, apiType: 'openai' });
  });
  afterAll(async () => {
    await server.close();
  });

  const routes = ['/api/v1/summary', '/api/v1/history', '/api/v1/runs', '/api/v1/program-runs', '/api/v1/requests', '/api/v1/circuits', '/api/v1/circuits/events', '/api/v1/export'];
  const keys = ['from', 'to', 'range', 'interval', 'model', 'metricsKey', 'apiType', 'groupBy', 'limit', 'before', 'format'];
  const values = ['', '-1', '1e3', '9999999999999999', 'NaN', 'Infinity', '2024-01-01T00:00:00+14:00', '\u0000', 'x'.repeat(300), '1.5', ' 5', '0x10'];

  for (const route of routes) {
    it(`GET ${route} answers 2xx or a 4xx JSON error, never 5xx, for odd values and repeated keys`, async () => {
      for (const key of keys) {
        for (const value of values) {
          const answer = await server.call('GET', `${route}?${key}=${encodeURIComponent(value)}`);
          expect(answer.status, `${key}=${JSON.stringify(value)}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
          if (answer.status >= 400) expect((answer.body as { error?: { code?: string } }).error?.code, `${key}=${JSON.stringify(value)}`).toBeTypeOf('string');
        }
        const repeated = await server.call('GET', `${route}?${key}=1&${key}=2`);
        expect(repeated.status, `${key} repeated`).toBeLessThan(500);
      }
    });
  }
});
