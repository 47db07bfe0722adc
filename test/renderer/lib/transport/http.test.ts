// @vitest-environment node
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LEDGER_OPERATIONS, type LedgerOperation } from '../../../../shared/api.js';
import { EXPORT_TOTAL_HEADER } from '../../../../shared/app.js';
import { ApiError } from '../../../../shared/errors.js';
import type { ExportProgress, LedgerEvent } from '../../../../shared/types.js';
import { EXPORT_PART_BYTES, httpClient } from '../../../../renderer/src/lib/transport/http.js';
import type { ConnectionState, ModelMeterClient } from '../../../../renderer/src/lib/transport/client.js';
import { startServer, type TestServer } from '../../../electron/hosts/http/helpers.js';
import { buildUnifiedLayout, MODEL_GLM, MODEL_QWEN, removeTempDirs, tempDir } from '../../../electron/sources/importers/fixtures.js';

function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
    clear: () => map.clear(),
    key: (index) => [...map.keys()][index] ?? null,
    get length() {
      return map.size;
    },
  };
}

const MODEL = 'org/Qwen3-Coder-30B';
const KEY = 'a1b2c3d4e5f60718';

describe('the browser transport over HTTP API v1', () => {
  let server: TestServer;
  let client: ModelMeterClient;
  const called = new Set<LedgerOperation>();
  let call: ModelMeterClient['call'];

  beforeAll(async () => {
    server = await startServer();
    client = httpClient({ token: server.token, baseUrl: server.url, storage: memoryStorage() });
    // Record which ledger operations the scenario exercised, so a route missing from it is noticed.
    call = ((operation: LedgerOperation, ...input: unknown[]) => {
      called.add(operation);
      return (client.call as (op: string, ...rest: unknown[]) => Promise<unknown>)(operation, ...input);
    }) as ModelMeterClient['call'];
  });

  afterAll(async () => {
    client.close();
    await server.close();
    removeTempDirs();
  });

  it('reaches every ledger operation through the shared route table', async () => {
    const now = Date.now();
    expect(await call('ingestRequests', [{ ts: now - 60_000, model: MODEL, inputTokens: 1000, outputTokens: 200, channel: KEY, apiType: 'openai' }])).toEqual({ accepted: 1, duplicates: 0 });
    const run = await call('reportRun', { model: MODEL, event: 'start', ts: now - 120_000, source: 'test' });
    expect(run.running).toBe(true);
    await call('putCircuits', { metricsKey: KEY, apiType: 'openai', state: 'open', nextRetryAt: now + 30_000 });

    const summary = await call('getSummary', { range: 'today' });
    expect(summary.totals.requests).toBe(1);
    expect((await call('getHistory', { range: '1h', interval: 60 })).buckets.some((bucket) => bucket.requests === 1)).toBe(true);
    expect(await call('listRuns', { model: MODEL })).toHaveLength(1);
    expect((await call('listProgramRuns', {})).length).toBeGreaterThan(0);
    expect((await call('listRequests', { model: MODEL, limit: 10 })).requests).toHaveLength(1);
    expect(await call('listProjects', { limit: 10 })).toEqual([]);
    expect((await call('listCircuits', {}))[0]!.state).toBe('open');
    expect((await call('listCircuitEvents', { metricsKey: KEY })).map((event) => event.to)).toContain('open');
    expect((await call('resetCircuit', { metricsKey: KEY, apiType: 'openai' })).state).toBe('closed');

    const version = { method: 'tokens' as const, currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] };
    const preview = await call('previewPriceVersion', { model: MODEL, version });
    expect(preview.affectedRequests).toBe(1);
    const change = await call('addPriceVersion', { model: MODEL, version });
    expect(change.repricedRequests).toBe(1);
    expect((await call('getPricing', { model: MODEL })).versions).toHaveLength(1);
    expect((await call('listPricing')).map((pricing) => pricing.model)).toEqual([MODEL]);
    expect((await call('deletePricing', { model: MODEL })).pricing.versions).toHaveLength(0);
    expect((await call('searchCatalogue', { search: 'gpt-5-mini', provider: 'openai' })).entries[0]?.modelId).toBe('gpt-5-mini');
    // Catalogue updates: a closed loopback port stands in for the published data file (no internet in tests).
    process.env['MODELMETER_CATALOGUE_URL'] = 'http://127.0.0.1:9/data.json';
    expect((await call('getCatalogueStatus')).active.kind).toBe('bundled');
    await expect(call('checkCatalogueUpdate')).rejects.toMatchObject({ code: 'bad_gateway' });
    delete process.env['MODELMETER_CATALOGUE_URL'];
    await expect(call('applyCatalogueUpdate', { version: 'none' })).rejects.toMatchObject({ code: 'conflict' });
    expect((await call('resetCatalogue')).active.kind).toBe('bundled');
    expect((await call('previewCatalogueReprice')).affectedRequests).toBe(0);
    expect((await call('repriceCatalogue')).repricedRequests).toBe(0);
    expect(await call('setSavingsReference', { model: MODEL, reference: 'openai/gpt-4o-mini' })).toEqual({ model: MODEL, reference: 'openai/gpt-4o-mini' });
    expect(await call('listSavingsReferences')).toEqual([{ model: MODEL, reference: 'openai/gpt-4o-mini' }]);
    expect((await call('setSavingsReference', { model: MODEL, reference: null })).reference).toBeNull();

    expect((await call('getStorageInfo')).totalRequests).toBe(1);
    expect((await call('updateSettings', { retentionDays: 30 })).retentionDays).toBe(30);
    expect((await call('getSettings')).retentionDays).toBe(30);
    expect((await call('previewCleanup', { retentionDays: 1 })).requests).toBe(0);
    expect((await call('cleanup', { before: now - 86_400_000 })).requests).toBe(0);
    expect((await call('deleteChannels', { metricsKeys: [KEY], apiType: 'openai' })).requests).toBe(1);
    expect((await call('deleteModel', { model: MODEL })).runs).toBe(1);

    const route = await call('saveRoute', {
      name: 'openai',
      route: { protocol: 'openai', channels: [{ baseUrl: 'http://127.0.0.1:8080/v1', label: 'local', apiKey: 'sk-held-key-0001' }] },
    });
    expect([route.path, route.channels[0]!.hasKey, JSON.stringify(route)]).toEqual(['/r/openai', true, expect.not.stringContaining('sk-held-key-0001')]);
    // Saving again without a key keeps the one held for that channel id.
    const kept = await call('saveRoute', { name: 'openai', route: { protocol: 'openai', channels: [{ id: route.channels[0]!.id, baseUrl: 'http://127.0.0.1:8080/v1' }] } });
    expect(kept.channels[0]!.keyMask).toBe(route.channels[0]!.keyMask);
    expect((await call('listRoutes')).map((item) => item.name)).toEqual(['openai']);
    expect(await call('deleteRoute', { name: 'openai' })).toEqual({ name: 'openai' });

    const watcher = await call('saveWatcher', { watcher: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434' } });
    expect([watcher.enabled, watcher.status.state]).toEqual([false, 'off']);
    expect((await call('saveWatcher', { id: watcher.id, watcher: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434', label: 'gpu' } })).label).toBe('gpu');
    expect((await call('listWatchers')).map((item) => item.id)).toEqual([watcher.id]);
    expect(await call('deleteWatcher', { id: watcher.id })).toEqual({ id: watcher.id });

    const source = buildUnifiedLayout(tempDir());
    const report = await call('importDatabase', { path: source.file });
    expect([report.format, [...report.models].sort()]).toEqual(['llm-manager-unified', [MODEL_QWEN, MODEL_GLM].sort()]);
    expect(report.requests.accepted).toBe(source.requests[MODEL_QWEN]!.length + source.requests[MODEL_GLM]!.length);

    expect((await call('listAgentSources')).map((agent) => agent.id)).toContain('claude-code');
    expect((await call('previewAgentSource', { id: 'claude-code' })).id).toBe('claude-code');
    expect((await call('setAgentSource', { id: 'claude-code', enabled: false })).enabled).toBe(false);
    expect((await call('saveBudget', { id: 'month', budget: { name: 'Month', amount: 50, currency: 'USD', period: 'month', scope: { kind: 'all' } } })).id).toBe('month');
    expect((await call('listBudgets')).map((item) => item.id)).toEqual(['month']);
    expect(await call('listBudgetAlerts', { budgetId: 'month' })).toEqual([]);
    expect((await call('getForecast')).daily.length).toBeGreaterThan(27);
    expect(await call('deleteBudget', { id: 'month' })).toEqual({ id: 'month' });

    // Forwarding between ModelMeters: a batch from another machine, the machines, this one's sender (left off).
    const batch = await call('ingestForwarded', { host: 'gpu-box', requests: [{ model: 'forwarded-model', inputTokens: 10, outputTokens: 5, requestId: 'fwd-1' }] });
    expect([batch.host, batch.requests.accepted]).toEqual(['gpu-box', 1]);
    expect((await call('listHosts')).map((host) => host.name)).toContain('gpu-box');
    expect((await call('getForwarding')).enabled).toBe(false);
    expect((await call('setForwarding', { enabled: false, targetUrl: 'http://127.0.0.1:9' })).enabled).toBe(false);

    const missing = LEDGER_OPERATIONS.filter((operation) => !called.has(operation));
    expect(missing).toEqual([]);
  });

  it('turns error answers into ApiErrors with their code and details', async () => {
    const failure = await call('ingestRequests', [{ ts: Date.now(), model: '', inputTokens: -1 }]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).code).toBe('validation_failed');
    expect((failure as ApiError).details?.some((detail) => detail.field.includes('model'))).toBe(true);

    const wrongToken = httpClient({ token: 'not-the-token', baseUrl: server.url, storage: memoryStorage() });
    await expect(wrongToken.call('getSettings')).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('says the server is unreachable rather than failing obscurely', async () => {
    const gone = httpClient({ token: 'x', baseUrl: 'http://127.0.0.1:9', storage: memoryStorage() });
    await expect(gone.call('getSummary', {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('answers host facts from the server and keeps the language choice in the browser', async () => {
    const storage = memoryStorage();
    const browser = httpClient({ token: server.token, baseUrl: server.url, storage });
    const info = await browser.call('getAppInfo');
    expect(info.host).toBe('headless');
    expect(info.apiUrl).toBe(`${server.url}/api/v1`);
    expect(info.language).toBeNull();
    expect((await browser.call('setLanguage', { language: 'zh-CN' })).language).toBe('zh-CN');
    expect(storage.getItem('modelmeter.language')).toBe('zh-CN');
    await expect(browser.call('setLaunchAtLogin', { enabled: true })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('reads the event stream with fetch and reports the connection live', async () => {
    const live = httpClient({ token: server.token, baseUrl: server.url, storage: memoryStorage() });
    const states: ConnectionState[] = [];
    live.onConnection((state) => states.push(state));
    const events: LedgerEvent[] = [];
    live.subscribe((event) => events.push(event));
    await expect.poll(() => states.at(-1)).toBe('live');
    await live.call('ingestRequests', { ts: Date.now(), model: 'm-live', inputTokens: 1, outputTokens: 1 });
    await expect.poll(() => events.find((event) => event.type === 'requests')).toMatchObject({ type: 'requests', count: 1, models: ['m-live'] });
    live.close();
  });
});

/**
 * A server whose export the test writes chunk by chunk. Like a real fetch, the body errors with an
 * AbortError when the request's signal aborts; the event stream stays open and quiet.
 */
function exportServer(headers: Record<string, string>) {
  const encoder = new TextEncoder();
  let body: ReadableStreamDefaultController<Uint8Array> | undefined;
  let ended = false;
  const exports: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const signal = init?.signal ?? undefined;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const events = url.endsWith('/api/v1/events');
    if (!events) {
      exports.push(url);
      body = controller;
    }
    signal?.addEventListener(
      'abort',
      () => {
        if (!events && ended) return;
        controller.error(new DOMException('This operation was aborted', 'AbortError'));
      },
      { once: true },
    );
    const type = events ? 'text/event-stream' : 'text/csv; charset=utf-8';
    return new Response(stream, { headers: { 'Content-Type': type, 'Content-Disposition': 'attachment; filename="modelmeter-requests-2026-03-01.csv"', ...headers } });
  };
  return {
    fetch,
    /** The export URLs asked for. */
    exports,
    /** Waits until the transport asked for the export, so its body can be written. */
    started: () => expect.poll(() => body !== undefined).toBe(true),
    send(text: string) {
      body!.enqueue(encoder.encode(text));
    },
    end() {
      ended = true;
      body!.close();
    },
  };
}

/** Lets the transport read what was sent so far (reads of queued chunks settle within a task). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('the browser transport’s export download', () => {
  let client: ModelMeterClient | undefined;
  let saved: Blob[];
  let link: { href: string; download: string; click: () => void; remove: () => void };

  function exportingClient(server: ReturnType<typeof exportServer>): { client: ModelMeterClient; progress: ExportProgress[] } {
    client = httpClient({ token: 't', baseUrl: 'http://modelmeter.test', fetch: server.fetch, storage: memoryStorage() });
    const progress: ExportProgress[] = [];
    client.subscribe((event) => {
      if (event.type === 'export') progress.push(event.progress);
    });
    return { client, progress };
  }

  beforeEach(() => {
    // Only the clock is faked, to step past the 200 ms between progress events; timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 2, 1, 9));
    saved = [];
    link = { href: '', download: '', click: vi.fn(), remove: vi.fn() };
    // This file runs in Node: the page's DOM is stood in for by the little a download touches.
    vi.stubGlobal('document', { createElement: () => link, body: { append: () => {} } });
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      saved.push(blob as Blob);
      return 'blob:modelmeter-export';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
  });

  afterEach(() => {
    client?.close();
    client = undefined;
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('downloads a CSV export, telling its listeners the total at once, then rows and bytes at most every 200 ms, then the final count', async () => {
    const server = exportServer({ [EXPORT_TOTAL_HEADER]: '3' });
    const { client, progress } = exportingClient(server);
    const saving = client.call('saveExport', { format: 'csv', model: 'gpt-5-mini' });
    await server.started();
    await expect.poll(() => progress).toEqual([{ requests: 0, total: 3, bytes: 0 }]);

    // Within 200 ms of the last event: read, but not told.
    server.send('time,model\nr1,gpt-5-mini\nr2,');
    server.send('gpt-5-mini\n');
    await settle();
    expect(progress).toHaveLength(1);

    vi.setSystemTime(Date.now() + 250);
    server.send('r3,gpt');
    await expect.poll(() => progress).toHaveLength(2);
    // Three lines ended: the header and two rows; the third row has not.
    expect(progress[1]).toEqual({ requests: 2, total: 3, bytes: 45 });

    server.send('-5-mini\n');
    server.end();
    expect(await saving).toEqual({ file: 'modelmeter-requests-2026-03-01.csv' });
    expect(progress.at(-1)).toEqual({ requests: 3, total: 3, bytes: 53 });
    expect(progress).toHaveLength(3);
    expect(server.exports).toEqual(['http://modelmeter.test/api/v1/export?format=csv&model=gpt-5-mini']);
    expect(saved).toHaveLength(1);
    expect(await saved[0]!.text()).toBe('time,model\nr1,gpt-5-mini\nr2,gpt-5-mini\nr3,gpt-5-mini\n');
    expect([link.download, link.href]).toEqual(['modelmeter-requests-2026-03-01.csv', 'blob:modelmeter-export']);
    expect(link.click).toHaveBeenCalledOnce();
  });

  it('hands what it receives to blob parts as it goes, so the saved file is every byte in order', async () => {
    const server = exportServer({ [EXPORT_TOTAL_HEADER]: '40' });
    const { client } = exportingClient(server);
    const saving = client.call('saveExport', { format: 'csv' });
    await server.started();
    // 40 lines of 1 MiB: past two parts' worth.
    const line = (i: number) => `${String(i).padStart(8, '0')},${'x'.repeat(1024 * 1024 - 10)}\n`;
    for (let i = 0; i < 40; i++) server.send(line(i));
    server.end();
    expect(await saving).toEqual({ file: 'modelmeter-requests-2026-03-01.csv' });
    const blob = saved[0]!;
    expect(blob.size).toBe(40 * 1024 * 1024);
    expect(blob.size).toBeGreaterThan(2 * EXPORT_PART_BYTES);
    const text = await blob.text();
    expect(Array.from({ length: 40 }, (_, i) => text.slice(i * 1024 * 1024, i * 1024 * 1024 + 8))).toEqual(Array.from({ length: 40 }, (_, i) => String(i).padStart(8, '0')));
  });

  /** A JSON export whose whole body arrives at once; what its listeners were told. */
  async function wholeJsonExport(headers: Record<string, string>, body: string): Promise<ExportProgress[]> {
    const server = exportServer(headers);
    const { client, progress } = exportingClient(server);
    const saving = client.call('saveExport', { format: 'json' });
    await server.started();
    server.send(body);
    server.end();
    await saving;
    return progress;
  }

  it('counts JSON rows by their lines, not the closing bracket, and stops at the total when runs follow the requests', async () => {
    const progress = await wholeJsonExport({ [EXPORT_TOTAL_HEADER]: '2' }, '[\n{"kind":"request","model":"a"},\n{"kind":"request","model":"b"},\n{"kind":"run","model":"a"}\n]\n');
    expect(progress.at(-1)).toEqual({ requests: 2, total: 2, bytes: 95 });
  });

  it('without a total, counts every row received and says the total is unknown', async () => {
    const progress = await wholeJsonExport({}, '[\n{"model":"a"},\n{"model":"b"}\n]\n');
    expect(progress[0]).toEqual({ requests: 0, total: null, bytes: 0 });
    expect(progress.at(-1)).toEqual({ requests: 2, total: null, bytes: 33 });
  });

  it('cancels the running export: saveExport answers no file, nothing is downloaded, and a second cancel finds none', async () => {
    const server = exportServer({ [EXPORT_TOTAL_HEADER]: '1000' });
    const { client, progress } = exportingClient(server);
    const saving = client.call('saveExport', { format: 'csv' });
    await server.started();
    server.send('time,model\nr1,a\n');
    await settle();

    expect(await client.call('cancelExport')).toEqual({ cancelled: true });
    expect(await saving).toEqual({ file: null });
    expect(saved).toEqual([]);
    expect(link.click).not.toHaveBeenCalled();
    // No final event: the export did not finish.
    expect(progress).toEqual([{ requests: 0, total: 1000, bytes: 0 }]);
    expect(await client.call('cancelExport')).toEqual({ cancelled: false });
  });

  it('answers that nothing was cancelled when no export is running', async () => {
    const { client } = exportingClient(exportServer({}));
    expect(await client.call('cancelExport')).toEqual({ cancelled: false });
  });

  it('runs one export at a time per tab', async () => {
    const server = exportServer({});
    const { client } = exportingClient(server);
    const saving = client.call('saveExport', { format: 'csv' });
    await expect(client.call('saveExport', { format: 'json' })).rejects.toMatchObject({ code: 'conflict' });
    await server.started();
    server.send('time\n');
    server.end();
    expect(await saving).toEqual({ file: 'modelmeter-requests-2026-03-01.csv' });
  });
});
