import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LEDGER_OPERATIONS, type LedgerApi, type LedgerOperation } from '../../../shared/api.js';
import { ModelMeterClient } from '../../../shared/client/index.js';
import { ApiError } from '../../../shared/errors.js';
import type { LedgerEvent } from '../../../shared/types.js';
import { startServer, type TestServer } from '../../electron/hosts/http/helpers.js';

const SLASHED = 'Qwen/Qwen3-Coder-30B-A3B-Instruct';
const UNICODE = 'org/通义千问 3 · 30B/α%2F?#';
const KEY = 'a1b2c3d4e5f60718';

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('ModelMeterClient against a real server', () => {
  let server: TestServer;
  let client: ModelMeterClient;

  beforeAll(async () => {
    server = await startServer();
    // A trailing slash on the base URL must not produce "//api".
    client = new ModelMeterClient({ baseUrl: `${server.url}/`, token: server.token });
  });

  afterAll(async () => {
    await server.close();
  });

  it('implements every ledger operation and reaches each one on the server', async () => {
    const called = new Set<LedgerOperation>();
    // Count the operations the scenario uses, so one left out of it (or of the class) is noticed.
    const api = new Proxy(client, {
      get(target, property, receiver) {
        if ((LEDGER_OPERATIONS as readonly PropertyKey[]).includes(property)) called.add(property as LedgerOperation);
        return Reflect.get(target, property, receiver) as unknown;
      },
    }) as LedgerApi;
    const now = Date.now();

    expect(await api.ingestRequests({ records: [{ ts: now - 60_000, model: SLASHED, inputTokens: 1000, outputTokens: 200, channel: KEY, apiType: 'openai' }] })).toEqual({ accepted: 1, duplicates: 0 });
    const run = await api.reportRun({ model: SLASHED, event: 'start', ts: now - 120_000, source: 'ts-client' });
    expect(run).toMatchObject({ model: SLASHED, source: 'ts-client', running: true, start: now - 120_000 });
    expect(await api.putCircuits([{ metricsKey: KEY, apiType: 'openai', state: 'open', nextRetryAt: now + 30_000 }])).toEqual({ updated: 1, changed: 1 });
    expect((await api.listCircuits({ apiType: 'openai' }))[0]!.state).toBe('open');

    const summary = await api.getSummary({ range: 'today' });
    expect(summary.models.map((model) => model.model)).toEqual([SLASHED]);
    expect((await api.getHistory({ range: '1h', interval: 60, model: SLASHED })).buckets.reduce((sum, bucket) => sum + bucket.inputTokens, 0)).toBe(1000);
    expect((await api.listRuns({ model: SLASHED })).map((item) => item.id)).toEqual([run.id]);
    expect((await api.listProgramRuns({ limit: 1 }))[0]!.running).toBe(true);
    expect((await api.listRequests({ model: SLASHED, limit: 5 })).requests[0]).toMatchObject({ inputTokens: 1000, channel: KEY });
    expect(await api.listProjects({ limit: 10 })).toEqual([]);
    expect((await api.listCircuits({ apiType: 'openai' })).map((circuit) => circuit.metricsKey)).toEqual([KEY]);
    expect((await api.listCircuitEvents({ metricsKey: KEY })).at(-1)!.to).toBe('open');
    expect((await api.resetCircuit({ metricsKey: KEY, apiType: 'openai' })).state).toBe('closed');

    const version = { method: 'tokens' as const, currency: 'USD', tiers: [{ maxPromptTokens: null, input: 2, output: 10 }] };
    expect((await api.previewPriceVersion({ model: SLASHED, version })).after.cost).toEqual({ USD: 0.004 });
    expect((await api.addPriceVersion({ model: SLASHED, version })).repricedRequests).toBe(1);
    expect((await api.getPricing({ model: SLASHED })).versions.map((item) => item.method)).toEqual(['tokens']);
    expect((await api.listPricing()).map((pricing) => pricing.model)).toEqual([SLASHED]);
    expect((await api.deletePricing({ model: SLASHED })).pricing.versions).toEqual([]);
    expect(await api.setSavingsReference({ model: SLASHED, reference: 'openai/gpt-4o-mini' })).toEqual({ model: SLASHED, reference: 'openai/gpt-4o-mini' });
    expect(await api.listSavingsReferences()).toEqual([{ model: SLASHED, reference: 'openai/gpt-4o-mini' }]);
    // 1000 input and 200 output tokens at gpt-4o-mini's 0.15 and 0.6 USD per 1M.
    expect((await api.getSummary({ range: 'today' })).savings!.models[0]).toMatchObject({ model: SLASHED, cloudCost: { USD: 0.00027 } });
    expect(await api.setSavingsReference({ model: SLASHED, reference: null })).toEqual({ model: SLASHED, reference: null });
    expect(await api.listSavingsReferences()).toEqual([]);
    expect((await api.searchCatalogue({ search: 'gpt-5-mini', provider: 'openai' })).entries[0]).toMatchObject({ provider: 'openai', modelId: 'gpt-5-mini' });
    // Catalogue updates: a closed loopback port stands in for the published data file (no internet in tests).
    process.env['MODELMETER_CATALOGUE_URL'] = 'http://127.0.0.1:9/data.json';
    expect((await api.getCatalogueStatus()).active).toEqual({ kind: 'bundled', version: '0.1.8', date: null });
    expect((await rejection(api.checkCatalogueUpdate())).code).toBe('bad_gateway');
    delete process.env['MODELMETER_CATALOGUE_URL'];
    expect((await rejection(api.applyCatalogueUpdate({ version: 'none' }))).code).toBe('conflict');
    expect((await api.resetCatalogue()).active.kind).toBe('bundled');
    expect((await api.previewCatalogueReprice()).affectedRequests).toBe(0);
    expect((await api.repriceCatalogue()).repricedRequests).toBe(0);

    expect((await api.getStorageInfo()).totalRequests).toBe(1);
    expect((await api.updateSettings({ runStaleSeconds: 300 })).runStaleSeconds).toBe(300);
    expect((await api.getSettings()).runStaleSeconds).toBe(300);
    expect(await api.previewCleanup({ before: now - 86_400_000 })).toEqual({ before: now - 86_400_000, requests: 0 });
    expect((await api.cleanup({ before: now - 86_400_000 })).requests).toBe(0);
    expect((await api.deleteChannels({ metricsKeys: [KEY], apiType: 'openai' })).requests).toBe(1);
    expect(await api.deleteModel({ model: SLASHED })).toMatchObject({ model: SLASHED, runs: 1 });

    const route = await api.saveRoute({ name: 'local', route: { protocol: 'openai', channels: [{ baseUrl: 'http://127.0.0.1:9/', apiKey: 'sk-test-0123456789abcdef' }] } });
    expect(route.channels[0]).toMatchObject({ baseUrl: 'http://127.0.0.1:9', hasKey: true, keyMask: 'sk-t…cdef' });
    expect((await api.listRoutes()).map((item) => item.path)).toEqual(['/r/local']);
    expect(await api.deleteRoute({ name: 'local' })).toEqual({ name: 'local' });
    const watcher = await api.saveWatcher({ watcher: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434' } });
    expect(watcher).toMatchObject({ enabled: false, status: { state: 'off' } });
    expect((await api.saveWatcher({ id: watcher.id, watcher: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11435' } })).baseUrl).toBe('http://127.0.0.1:11435');
    expect((await api.listWatchers()).map((item) => item.id)).toEqual([watcher.id]);
    expect(await api.deleteWatcher({ id: watcher.id })).toEqual({ id: watcher.id });
    const notADatabase = await rejection(api.importDatabase({ path: '/nonexistent/monitoring.db' }));
    expect(notADatabase.code).toBe('not_found');
    expect((await api.listAgentSources()).map((agent) => agent.id)).toContain('claude-code');
    expect((await api.previewAgentSource({ id: 'claude-code' })).id).toBe('claude-code');
    expect(await api.setAgentSource({ id: 'claude-code', enabled: false })).toMatchObject({ id: 'claude-code', enabled: false });
    const budget = await api.saveBudget({ id: 'month', budget: { name: 'Month', amount: 50, currency: 'USD', period: 'month', scope: { kind: 'all' } } });
    expect(budget).toMatchObject({ id: 'month', thresholds: [50, 80, 100], status: { spent: 0 } });
    expect((await api.listBudgets()).map((item) => item.id)).toEqual(['month']);
    expect(await api.listBudgetAlerts({ budgetId: 'month' })).toEqual([]);
    expect((await api.getForecast()).daily.length).toBeGreaterThan(27);
    expect(await api.deleteBudget({ id: 'month' })).toEqual({ id: 'month' });
    expect(await api.getForwarding()).toMatchObject({ enabled: false, state: 'off', fromCommandLine: false, tokenMask: null });
    expect((await rejection(api.setForwarding({ enabled: true }))).code).toBe('validation_failed');
    const forwarding = await api.setForwarding({ enabled: false, targetUrl: 'http://127.0.0.1:9', token: 'target-token-0123456789', hostName: 'ts-client' });
    expect(forwarding).toMatchObject({ enabled: false, targetUrl: 'http://127.0.0.1:9', hostName: 'ts-client', state: 'off', tokenMask: 'tar…89' });
    const forwarded = await api.ingestForwarded({ host: 'gpu-box', requests: [{ model: 'remote', inputTokens: 3, requestId: 'gpu-1' }] });
    expect(forwarded).toEqual({ host: 'gpu-box', requests: { accepted: 1, duplicates: 0 }, runs: 0, circuits: 0 });
    expect((await api.listHosts()).map((host) => [host.name, host.requests])).toContainEqual(['gpu-box', 1]);

    expect([...called].sort()).toEqual([...LEDGER_OPERATIONS].sort());
  });

  it('keeps model names with slashes, Unicode and URL-special characters intact in paths', async () => {
    await client.addPriceVersion({ model: UNICODE, version: { method: 'hourly', currency: 'CNY', hourly: 3.5 } });
    const pricing = await client.getPricing({ model: UNICODE });
    expect(pricing.model).toBe(UNICODE);
    expect(pricing.versions.map((item) => [item.method, item.hourly, item.currency])).toEqual([['hourly', 3.5, 'CNY']]);
    // The same name must not alias a neighbour: the encoded "%2F" is part of the name, not a slash.
    expect((await client.getPricing({ model: 'org/通义千问 3 · 30B/α/?#' })).versions).toEqual([]);
    expect((await client.deleteModel({ model: UNICODE })).priceVersions).toBe(1);
  });

  it('rejects with ApiError carrying the code, status and details the server sent', async () => {
    const invalid = await rejection(client.ingestRequests([{ model: 'm', inputTokens: 5 }, { model: 'm', inputTokens: -1 }]));
    expect(invalid.code).toBe('validation_failed');
    expect(invalid.status).toBe(400);
    expect(invalid.details).toEqual(expect.arrayContaining([expect.objectContaining({ index: 1, field: 'inputTokens' })]));
    expect((await client.listRequests({ model: 'm' })).requests).toEqual([]);

    const missing = await rejection(client.deleteModel({ model: 'never/seen' }));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain('never/seen');

    const stranger = new ModelMeterClient({ baseUrl: server.url, token: 'not-the-token-0000' });
    const denied = await rejection(stranger.getSummary());
    expect([denied.code, denied.status]).toEqual(['unauthorized', 401]);
  });

  it('turns an unreachable server, a foreign answer and a timeout into ApiErrors', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = await rejection(new ModelMeterClient({ baseUrl: `http://127.0.0.1:${port}`, token: server.token }).getSettings());
    expect(down.code).toBe('unavailable');
    expect(down.message).toContain(`127.0.0.1:${port}`);

    // A reverse proxy in front of the server answers in HTML: the status still decides the code.
    const proxy = http.createServer((request, response) => {
      if (request.url?.startsWith('/api/v1/summary')) {
        response.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>Bad Gateway</h1>');
      } else if (request.url?.startsWith('/api/v1/settings')) {
        response.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>Not Found</h1>');
      } else {
        // Never answers: the timeout must end the wait.
        request.on('close', () => response.destroy());
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = new ModelMeterClient({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: server.token, timeoutMs: 300 });
    try {
      expect((await rejection(proxied.getSummary())).code).toBe('unavailable');
      expect((await rejection(proxied.getSettings())).code).toBe('not_found');
      const started = Date.now();
      const late = await rejection(proxied.getStorageInfo());
      expect(late.code).toBe('unavailable');
      expect(late.message).toContain('300 ms');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('lets the caller abort a call with its own signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await expect(client.call('getSummary', {}, { signal: controller.signal })).rejects.toThrow('caller gave up');
  });

  it('answers health without needing the token', async () => {
    const health = await new ModelMeterClient({ baseUrl: server.url, token: 'wrong-token-000000' }).health();
    expect(health.status).toBe('ok');
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await client.getAppInfo()).apiUrl).toBe(`${server.url}/api/v1`);
  });
});

describe('ModelMeterClient.export', () => {
  let server: TestServer;
  let client: ModelMeterClient;

  beforeEach(async () => {
    server = await startServer();
    client = new ModelMeterClient({ baseUrl: server.url, token: server.token });
    return () => server.close();
  });

  it('answers the streamed CSV or JSON as a Response, filtered like the query says', async () => {
    const ts = Date.now() - 5_000;
    await client.ingestRequests([
      { ts, model: SLASHED, inputTokens: 11, outputTokens: 7 },
      { ts: ts + 1, model: 'other', inputTokens: 99 },
    ]);
    const csv = await client.export({ format: 'csv', model: SLASHED });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="modelmeter-requests-.*\.csv"/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(SLASHED);
    expect(lines[1]).not.toContain('other');

    const json = await client.export({ format: 'json' });
    const rows = (await json.json()) as { model: string; inputTokens: number }[];
    expect(rows.map((row) => [row.model, row.inputTokens]).sort()).toEqual([[SLASHED, 11], ['other', 99]].sort());
  });

  it('rejects a bad export query with the server error instead of a Response', async () => {
    const error = await rejection(client.export({ format: 'xml' as 'csv' }));
    expect(error.code).toBe('validation_failed');
  });
});

describe('ModelMeterClient.events', () => {
  let server: TestServer;
  let client: ModelMeterClient;

  beforeEach(async () => {
    server = await startServer();
    client = new ModelMeterClient({ baseUrl: server.url, token: server.token });
    return () => server.close();
  });

  it('yields the ledger events of changes made after it opened, in order', async () => {
    const stream = client.events();
    await stream.opened;
    await client.ingestRequests({ model: SLASHED, inputTokens: 3 });
    await client.reportRun({ model: SLASHED, event: 'start' });
    await client.addPriceVersion({ model: UNICODE, version: { method: 'none' } });

    const seen: LedgerEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      if (seen.length === 3) break;
    }
    expect(seen[0]).toEqual({ type: 'requests', count: 1, models: [SLASHED] });
    expect(seen[1]).toMatchObject({ type: 'runs', model: SLASHED, run: { running: true } });
    expect(seen[2]).toEqual({ type: 'pricing', model: UNICODE });
    // Leaving the loop closed the stream: it answers done from now on.
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('ends when the server closes the stream and when the caller aborts', async () => {
    const controller = new AbortController();
    const aborted = client.events({ signal: controller.signal });
    const ended = client.events();
    await Promise.all([aborted.opened, ended.opened]);

    const waiting = aborted.next();
    controller.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });

    const pending = ended.next();
    await server.close();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('rejects with ApiError when the token is wrong, through opened and next()', async () => {
    const stream = new ModelMeterClient({ baseUrl: server.url, token: 'wrong-token-000000' }).events();
    expect((await rejection(stream.opened)).code).toBe('unauthorized');
    expect((await rejection(stream.next())).code).toBe('unauthorized');
  });
});
