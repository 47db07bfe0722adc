import { describe, expect, it } from 'vitest';
import { EXPORT_TOTAL_HEADER } from '../../../../shared/app.js';
import type { CleanupPreview, CleanupResult, ExportRow, ModelDeleteResult, StorageInfo, ModelPricing, RequestPage, RequestRow, Run, Summary } from '../../../../shared/types.js';
import { parseCsv } from './csv.js';
import { expectError, HOUR, MINUTE, qs, type TestServer, useServerPerTest } from './helpers.js';

const T0 = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
const RANGE = { from: T0 - HOUR, to: T0 + 5 * HOUR };

let server: TestServer;
useServerPerTest((started) => (server = started));

const summary = () => server.get<Summary>(`/api/v1/summary${qs(RANGE)}`);
const log = async (query: Record<string, string | number | undefined> = {}): Promise<RequestRow[]> =>
  (await server.get<RequestPage>(`/api/v1/requests${qs({ from: 0, limit: 5000, ...query })}`)).requests;

async function seed(): Promise<void> {
  await server.put('/api/v1/pricing/alpha', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] });
  await server.post('/api/v1/requests', [
    { ts: T0, model: 'alpha', apiType: 'openai', inputTokens: 1_000_000, outputTokens: 10, requestId: 'a-1', latencyMs: 900, ttftMs: 100 },
    { ts: T0 + HOUR, model: 'alpha', inputTokens: 20, success: false, failureClass: 'quota', statusCode: 429, requestId: 'a-2' },
    { ts: T0 + 2 * HOUR, model: 'beta, "the quoted"', inputTokens: 30, source: 'script', requestId: 'b-1' },
    { ts: T0 + 3 * HOUR, model: 'Qwen/Qwen3-32B', inputTokens: 40, requestId: 'q-1' },
  ]);
  await server.post('/api/v1/runs', { model: 'alpha', event: 'start', ts: T0 });
  await server.post('/api/v1/runs', { model: 'alpha', event: 'stop', ts: T0 + HOUR });
  await server.post('/api/v1/runs', { model: 'Qwen/Qwen3-32B', event: 'start', ts: T0 });
}

describe('DELETE /api/v1/models/{model}', () => {
  it('removes all of a model\'s data and answers what it removed', async () => {
    await seed();
    const answer = await server.call<ModelDeleteResult>('DELETE', '/api/v1/models/alpha');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({ model: 'alpha', requests: 2, runs: 1, priceVersions: 1 });

    expect((await log()).map((r) => r.model).sort()).toEqual(['Qwen/Qwen3-32B', 'beta, "the quoted"']);
    expect(await log({ model: 'alpha' })).toEqual([]);
    const after = await summary();
    expect(after.models.map((m) => m.model).sort()).toEqual(['Qwen/Qwen3-32B', 'beta, "the quoted"']);
    expect(after.totals).toMatchObject({ requests: 2, inputTokens: 70, cost: {} });
    expect(await server.get<Run[]>(`/api/v1/runs${qs({ model: 'alpha' })}`)).toEqual([]);
    expect(await server.get<ModelPricing>('/api/v1/pricing/alpha')).toEqual({ model: 'alpha', versions: [] });
    const history = await server.get<{ buckets: { requests: number }[] }>(`/api/v1/history${qs({ ...RANGE, interval: 3600, model: 'alpha' })}`);
    expect(history.buckets.every((b) => b.requests === 0)).toBe(true);
  });

  it('takes a model name with "/" in the path, encoded or not', async () => {
    await seed();
    const answer = await server.call<ModelDeleteResult>('DELETE', '/api/v1/models/Qwen/Qwen3-32B');
    expect(answer.body).toEqual({ model: 'Qwen/Qwen3-32B', requests: 1, runs: 1, priceVersions: 0 });
    expect((await summary()).models.find((m) => m.model === 'Qwen/Qwen3-32B')).toBeUndefined();
    expectError(await server.call('DELETE', `/api/v1/models/${encodeURIComponent('Qwen/Qwen3-32B')}`), 404, 'not_found');
    const encoded = await server.call<ModelDeleteResult>('DELETE', `/api/v1/models/${encodeURIComponent('beta, "the quoted"')}`);
    expect(encoded.body).toMatchObject({ model: 'beta, "the quoted"', requests: 1 });
  });

  it('lets the same name be recorded again afterwards, from zero', async () => {
    await seed();
    await server.del('/api/v1/models/alpha');
    const again = await server.call('POST', '/api/v1/requests', { json: { ts: T0 + 4 * HOUR, model: 'alpha', inputTokens: 5, requestId: 'a-1' } });
    expect(again.body).toEqual({ accepted: 1, duplicates: 0 });
    expect((await summary()).models.find((m) => m.model === 'alpha')).toMatchObject({ requests: 1, inputTokens: 5, cost: null });
    const run = await server.post<Run>('/api/v1/runs', { model: 'alpha', event: 'start', ts: T0 + 4 * HOUR });
    expect(run.model).toBe('alpha');
  });

  it('answers 404 for a model it does not know, and 400 for an invalid name', async () => {
    expectError(await server.call('DELETE', '/api/v1/models/nobody'), 404, 'not_found');
    expect((await server.call('DELETE', `/api/v1/models/${'x'.repeat(257)}`)).status).toBe(400);
    expect((await server.call('DELETE', '/api/v1/models/')).status).toBeGreaterThanOrEqual(400);
  });
});

describe('POST /api/v1/maintenance/cleanup', () => {
  it('removes raw records older than before and keeps the totals', async () => {
    await seed();
    const totalsBefore = (await summary()).totals;
    const answer = await server.post<CleanupResult>('/api/v1/maintenance/cleanup', { before: T0 + 90 * MINUTE });
    expect(answer).toEqual({ before: T0 + 90 * MINUTE, requests: 2 });
    expect((await log()).map((r) => r.requestId).sort()).toEqual(['b-1', 'q-1']);
    // Rollups keep cost and tokens right after raw rows expire.
    expect((await summary()).totals).toEqual(totalsBefore);
  });

  it('accepts before as ISO-8601 and answers 0 when nothing is that old', async () => {
    await seed();
    expect(await server.post<CleanupResult>('/api/v1/maintenance/cleanup', { before: new Date(T0 - HOUR).toISOString() })).toEqual({ before: T0 - HOUR, requests: 0 });
    expect(await log()).toHaveLength(4);
  });

  it('refuses a before in the future, or a bad body, and deletes nothing', async () => {
    await seed();
    expectError(await server.call('POST', '/api/v1/maintenance/cleanup', { json: { before: Date.now() + HOUR } }), 400, 'bad_request');
    for (const json of [{}, { before: 'soon' }, { before: T0, everything: true }]) {
      expectError(await server.call('POST', '/api/v1/maintenance/cleanup', { json }), 400, 'validation_failed');
    }
    expect(await log()).toHaveLength(4);
  });
});

describe('POST /api/v1/maintenance/cleanup/preview', () => {
  it('counts what a cleanup would remove, removing nothing', async () => {
    await seed();
    expect(await server.post<CleanupPreview>('/api/v1/maintenance/cleanup/preview', { before: T0 + 90 * MINUTE })).toEqual({ before: T0 + 90 * MINUTE, requests: 2 });
    expect(await log()).toHaveLength(4);
    const cleaned = await server.post<CleanupResult>('/api/v1/maintenance/cleanup', { before: T0 + 90 * MINUTE });
    expect(cleaned.requests).toBe(2);
  });

  it('counts what a retention setting would remove: rows older than that many days, to the hour', async () => {
    await server.post('/api/v1/requests', [
      { ts: Date.now() - 10 * 24 * HOUR, model: 'old', inputTokens: 1, requestId: 'old-1' },
      { ts: Date.now() - 3 * 24 * HOUR, model: 'old', inputTokens: 1, requestId: 'old-2' },
      { ts: Date.now() - HOUR, model: 'new', inputTokens: 1, requestId: 'new-1' },
    ]);
    const preview = await server.post<CleanupPreview>('/api/v1/maintenance/cleanup/preview', { retentionDays: 7 });
    expect(preview.requests).toBe(1);
    expect(preview.before % HOUR).toBe(0);
    expect((await server.post<CleanupPreview>('/api/v1/maintenance/cleanup/preview', { retentionDays: 1 })).requests).toBe(2);
    expect(await log()).toHaveLength(3);
  });

  it('takes either before or retentionDays', async () => {
    for (const json of [{}, { before: T0, retentionDays: 7 }, { retentionDays: 0 }, { before: 'soon' }]) {
      expectError(await server.call('POST', '/api/v1/maintenance/cleanup/preview', { json }), 400, 'validation_failed');
    }
  });
});

describe('the last cleanup, in GET /api/v1/storage', () => {
  it('is null at first, then says when the last cleanup ran, up to when, and what it removed', async () => {
    await seed();
    expect((await server.get<StorageInfo>('/api/v1/storage')).lastCleanup).toBeNull();
    const startedAt = Date.now();
    await server.post<CleanupResult>('/api/v1/maintenance/cleanup', { before: T0 + 90 * MINUTE });
    const { lastCleanup } = await server.get<StorageInfo>('/api/v1/storage');
    expect(lastCleanup).toMatchObject({ trigger: 'manual', before: T0 + 90 * MINUTE, requests: 2 });
    expect(lastCleanup!.at).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(lastCleanup!.at).toBeLessThanOrEqual(Date.now() + 1000);
  });
});

describe('GET /api/v1/export', () => {
  const COLUMNS = [
    'time',
    'ts',
    'model',
    'apiType',
    'inputTokens',
    'outputTokens',
    'cacheReadTokens',
    'cacheWriteTokens',
    'success',
    'failureClass',
    'statusCode',
    'latencyMs',
    'ttftMs',
    'channel',
    'source',
    'requestId',
    'cost',
    'currency',
    'kind',
    'runtimeMs',
    'channelLabel',
    'route',
    'project',
    'branch',
    'sessionId',
    'responseId',
    'host',
  ];

  it('streams CSV with a header and one line per request, oldest first, then the runs', async () => {
    await seed();
    const answer = await server.call('GET', '/api/v1/export?format=csv');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(answer.headers.get('content-disposition')).toMatch(/^attachment; filename="modelmeter-requests-\d{4}-\d{2}-\d{2}\.csv"$/);
    // How many requests to expect, for a download's progress (the runs are not counted).
    expect(answer.headers.get(EXPORT_TOTAL_HEADER)).toBe('4');
    const [header, ...lines] = parseCsv(answer.text);
    expect(header).toEqual(COLUMNS);
    // alpha's finished run and Qwen's running one follow the requests.
    expect(lines).toHaveLength(6);
    const all = lines.map((line) => Object.fromEntries(COLUMNS.map((column, i) => [column, line[i]])));
    expect(all.map((r) => r['kind'])).toEqual(['request', 'request', 'request', 'request', 'run', 'run']);
    const records = all.filter((r) => r['kind'] === 'request');
    expect(records.map((r) => r['requestId'])).toEqual(['a-1', 'a-2', 'b-1', 'q-1']);
    expect(records[0]).toMatchObject({
      time: new Date(T0).toISOString(),
      ts: String(T0),
      model: 'alpha',
      apiType: 'openai',
      inputTokens: '1000000',
      outputTokens: '10',
      success: 'true',
      latencyMs: '900',
      ttftMs: '100',
      currency: 'USD',
    });
    expect(Number(records[0]!['cost'])).toBeCloseTo(1.00002, 9);
    expect(records[1]).toMatchObject({ success: 'false', failureClass: 'quota', statusCode: '429' });
    expect(records[2]).toMatchObject({ model: 'beta, "the quoted"', source: 'script', cost: '', currency: '' });
  });

  it('defaults to CSV', async () => {
    await seed();
    const answer = await server.call('GET', '/api/v1/export');
    expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(parseCsv(answer.text)).toHaveLength(7);
  });

  it('streams JSON: an array of request rows, then run rows', async () => {
    await seed();
    const answer = await server.call<ExportRow[]>('GET', '/api/v1/export?format=json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('content-disposition')).toMatch(/\.json"$/);
    expect(answer.body).toHaveLength(6);
    const requests = answer.body.filter((r) => r.kind === 'request');
    expect(requests.map(({ kind: _kind, runtimeMs: _runtime, channelLabel: _label, route: _route, ...rest }) => rest)).toEqual(await log().then((rows) => [...rows].reverse()));
    expect(answer.body[0]).toMatchObject({ ts: T0, model: 'alpha', inputTokens: 1_000_000, currency: 'USD' });
  });

  it('answers an empty export for an empty ledger', async () => {
    expect((await server.call<unknown[]>('GET', '/api/v1/export?format=json')).body).toEqual([]);
    expect(parseCsv((await server.call('GET', '/api/v1/export?format=csv')).text).length).toBeLessThanOrEqual(1);
  });

  it('filters by model, from and to', async () => {
    await seed();
    const json = (query: Record<string, string | number>) =>
      server.call<ExportRow[]>('GET', `/api/v1/export${qs({ format: 'json', ...query })}`).then((a) => a.body.filter((r) => r.kind === 'request').map((r) => r.requestId));
    expect(await json({ model: 'alpha' })).toEqual(['a-1', 'a-2']);
    expect(await json({ model: 'Qwen/Qwen3-32B' })).toEqual(['q-1']);
    expect(await json({ model: 'nobody' })).toEqual([]);
    expect(await json({ from: T0 + HOUR })).toEqual(['a-2', 'b-1', 'q-1']);
    expect(await json({ to: T0 + HOUR })).toEqual(['a-1']);
    expect(await json({ from: new Date(T0 + HOUR).toISOString(), to: new Date(T0 + 3 * HOUR).toISOString() })).toEqual(['a-2', 'b-1']);
    expect(await json({ model: 'alpha', from: T0 + 1 })).toEqual(['a-2']);
    const total = async (query: Record<string, string | number>) => (await server.call('GET', `/api/v1/export${qs({ format: 'json', ...query })}`)).headers.get(EXPORT_TOTAL_HEADER);
    expect(await total({ model: 'alpha', from: T0 + 1 })).toBe('1');
    expect(await total({ from: T0 + HOUR })).toBe('3');
    expect(await total({ model: 'nobody' })).toBe('0');
    // A preset ends now, as for the summary (T0 is five to six hours ago).
    expect(await json({ range: '24h' })).toEqual(['a-1', 'a-2', 'b-1', 'q-1']);
    expect(await json({ range: '1h' })).toEqual([]);
    const csv = parseCsv((await server.call('GET', `/api/v1/export${qs({ format: 'csv', model: 'alpha' })}`)).text);
    expect(csv.slice(1).map((line) => [line[15], line[18]])).toEqual([['a-1', 'request'], ['a-2', 'request'], ['', 'run']]);
  });

  it('exports more rows than one internal chunk, each once', async () => {
    const records = Array.from({ length: 12_000 }, (_, i) => ({ ts: T0 + i, model: 'bulk', inputTokens: 1, requestId: `bulk-${i}` }));
    // A POST carries at most 5,000 records (MAX_BATCH_RECORDS).
    for (let start = 0; start < records.length; start += 5_000) await server.post('/api/v1/requests', records.slice(start, start + 5_000));
    const rows = (await server.call<RequestRow[]>('GET', '/api/v1/export?format=json')).body;
    expect(rows).toHaveLength(12_000);
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(12_000);
    const csv = await server.call('GET', '/api/v1/export');
    expect(parseCsv(csv.text)).toHaveLength(12_001);
    expect(csv.headers.get(EXPORT_TOTAL_HEADER)).toBe('12000');
  });

  for (const [what, query] of [
    ['an unknown format', { format: 'xlsx' }],
    ['an unknown parameter', { format: 'csv', apiType: 'openai' }],
    ['from after to', { from: T0 + HOUR, to: T0 }],
    ['a bad time', { from: 'dawn' }],
    ['a range with from', { range: '24h', from: T0 }],
    ['an unknown range', { range: '2w' }],
  ] as const) {
    it(`answers 400 for ${what}`, async () => {
      const answer = await server.call('GET', `/api/v1/export${qs(query)}`);
      expect(answer.status, answer.text).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    });
  }
});
