import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OtlpPushStatus, Summary } from '../../../../shared/types.js';
import { expectError, useServerPerTest, type TestServer } from './helpers.js';

/** OTLP/HTTP JSON, as much of it as the assertions read. */
interface KeyValue {
  key: string;
  value: { stringValue?: string };
}
interface DataPoint {
  attributes: KeyValue[];
  count?: number | string;
  sum?: number;
  asDouble?: number;
  asInt?: number | string;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  histogram?: { dataPoints: DataPoint[] };
  sum?: { dataPoints: DataPoint[]; isMonotonic?: boolean };
}
interface ExportRequest {
  resourceMetrics: { resource: { attributes: KeyValue[] }; scopeMetrics: { metrics: OtlpMetric[] }[] }[];
}

/** A loopback OTLP/HTTP collector: decodes every JSON export it is sent and answers success. */
async function collector(): Promise<{ url: string; exports: ExportRequest[]; headers: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const exports: ExportRequest[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      headers.push(request.headers);
      expect(request.headers['content-type']).toContain('application/json');
      exports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`,
    exports,
    headers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const attribute = (point: DataPoint, key: string) => point.attributes.find((a) => a.key === key)?.value.stringValue;

/** The points of one metric in the latest export that has it (cumulative: it holds everything so far). */
function latestPoints(exports: ExportRequest[], name: string): DataPoint[] {
  for (let i = exports.length - 1; i >= 0; i--) {
    for (const resource of exports[i]!.resourceMetrics) {
      for (const scope of resource.scopeMetrics) {
        const metric = scope.metrics.find((m) => m.name === name);
        if (metric) return (metric.histogram ?? metric.sum)!.dataPoints;
      }
    }
  }
  return [];
}

interface Sent {
  model: string;
  provider?: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  latencyMs?: number;
  success?: boolean;
  ts?: number;
}

/** What the token histogram must hold per model and token type: the count and the sum of the values recorded. */
function expectedTokens(sent: Sent[]): Map<string, { count: number; sum: number }> {
  const expected = new Map<string, { count: number; sum: number }>();
  const add = (key: string, value: number) => {
    const entry = expected.get(key) ?? { count: 0, sum: 0 };
    entry.count++;
    entry.sum += value;
    expected.set(key, entry);
  };
  for (const record of sent) {
    add(`${record.model}|input`, record.inputTokens);
    add(`${record.model}|output`, record.outputTokens);
    if (record.cacheReadTokens) add(`${record.model}|cache_read`, record.cacheReadTokens);
  }
  return expected;
}

function tokenPoints(points: DataPoint[]): Map<string, { count: number; sum: number }> {
  return new Map(points.map((point) => [`${attribute(point, 'gen_ai.request.model')}|${attribute(point, 'gen_ai.token.type')}`, { count: Number(point.count), sum: point.sum ?? 0 }]));
}

describe('OTLP metrics push', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('is off by default', async () => {
    const settings = await server.get<{ otlpEnabled: boolean; otlpUrl: string | null }>('/api/v1/settings');
    expect(settings.otlpEnabled).toBe(false);
    expect(settings.otlpUrl).toBeNull();
    expect(server.core.service.metrics.pushing).toBe(false);
  });

  it('pushes what was ingested while on, as GenAI instruments, with the headers set, and stops when switched off', async () => {
    const sink = await collector();
    closers.push(sink.close);
    await server.put('/api/v1/pricing/alpha', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 2, output: 4 }] });
    // Stored before the push starts: history, never pushed.
    await server.post('/api/v1/requests', { model: 'alpha', inputTokens: 999_999, outputTokens: 1 });

    await server.call('PATCH', '/api/v1/settings', { json: { otlpEnabled: true, otlpUrl: sink.url, otlpHeaders: { 'x-collector-key': 'k-123' }, otlpIntervalSeconds: 1 } });
    await until(() => server.core.service.metrics.pushing, 'the push to start');

    const now = Date.now();
    const sent: Sent[] = [];
    for (let i = 0; i < 9; i++) {
      sent.push({ model: i % 3 === 0 ? 'beta' : 'alpha', provider: 'openai', inputTokens: 100 * (i + 1), outputTokens: 7 * i, cacheReadTokens: i % 2 ? 30 : 0, latencyMs: 250 * (i + 1), success: i !== 4, ts: now + i });
    }
    await server.post('/api/v1/requests', sent.slice(0, 6));
    await server.post('/api/v1/requests', sent.slice(6));
    // Reported late: its own time lies before the requests already pushed (a long stream's start).
    const late: Sent = { model: 'alpha', provider: 'openai', inputTokens: 11, outputTokens: 13, latencyMs: 120_000, ts: now - 120_000 };
    await new Promise((resolve) => setTimeout(resolve, 600));
    await server.post('/api/v1/requests', [late]);
    const all = [...sent, late];

    const expected = expectedTokens(all);
    await until(() => JSON.stringify([...tokenPoints(latestPoints(sink.exports, 'gen_ai.client.token.usage'))].sort()) === JSON.stringify([...expected].sort()), 'the pushed token usage to match');

    const tokens = latestPoints(sink.exports, 'gen_ai.client.token.usage');
    expect(tokens.every((point) => attribute(point, 'gen_ai.provider.name') === 'openai')).toBe(true);

    const durations = latestPoints(sink.exports, 'gen_ai.client.operation.duration');
    const durationSum = durations.reduce((sum, point) => sum + (point.sum ?? 0), 0);
    expect(durationSum).toBeCloseTo(all.reduce((sum, record) => sum + (record.latencyMs ?? 0) / 1000, 0), 9);
    expect(durations.reduce((n, point) => n + Number(point.count), 0)).toBe(all.length);
    expect(durations.filter((point) => attribute(point, 'error.type') !== undefined).reduce((n, point) => n + Number(point.count), 0)).toBe(1);

    // Cost: alpha is priced (USD), beta is not; the pushed cost equals what the ledger stored for them.
    const costs = latestPoints(sink.exports, 'modelmeter.cost');
    expect(costs.map((point) => [attribute(point, 'gen_ai.request.model'), attribute(point, 'currency')])).toEqual([['alpha', 'USD']]);
    const summary = await server.get<Summary>('/api/v1/summary?from=0&to=7258118400000');
    const historyCost = (999_999 * 2 + 1 * 4) / 1e6;
    expect(costs[0]!.asDouble).toBeCloseTo(summary.models.find((m) => m.model === 'alpha')!.cost!['USD']! - historyCost, 9);

    expect(sink.headers.every((headers) => headers['x-collector-key'] === 'k-123')).toBe(true);
    const resource = sink.exports.at(-1)!.resourceMetrics[0]!.resource.attributes;
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('modelmeter');

    await server.call('PATCH', '/api/v1/settings', { json: { otlpEnabled: false } });
    await until(() => !server.core.service.metrics.pushing, 'the push to stop');
    const count = sink.exports.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sink.exports.length).toBe(count);
  });

  it('keeps ingesting and closes promptly while the collector is down', async () => {
    const sink = await collector();
    const url = sink.url;
    await sink.close();
    await server.call('PATCH', '/api/v1/settings', { json: { otlpEnabled: true, otlpUrl: url, otlpIntervalSeconds: 1 } });
    await until(() => server.core.service.metrics.pushing, 'the push to start');
    const answer = await server.post<{ accepted: number }>('/api/v1/requests', { model: 'alpha', inputTokens: 3 });
    expect(answer.accepted).toBe(1);
    // The failed periodic export is visible in the settings answer, not only in a log.
    let status: OtlpPushStatus = { running: false, lastExportAt: null, lastError: null };
    const end = Date.now() + 10_000;
    while (status.lastError === null && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await server.get<{ otlpStatus: OtlpPushStatus }>('/api/v1/settings')).otlpStatus;
    }
    expect(status).toMatchObject({ running: true, lastExportAt: null });
    expect(status.lastError).toMatch(/\S/);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('keeps header values out of the database and the answers, in a 0600 file, and still sends them', async () => {
    const sink = await collector();
    closers.push(sink.close);
    const secret = 'collector-secret-7f3a9c2e51';
    const patched = await server.call('PATCH', '/api/v1/settings', { json: { otlpEnabled: true, otlpUrl: sink.url, otlpHeaders: { 'x-api-key': secret, 'x-tenant': 'team-blue-0001' }, otlpIntervalSeconds: 1 } });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain(secret);
    const settings = await server.call('GET', '/api/v1/settings');
    expect(settings.text).not.toContain(secret);
    expect((JSON.parse(settings.text) as { otlpHeaders: Record<string, string> }).otlpHeaders).toEqual({ 'x-api-key': 'coll…2e51', 'x-tenant': 'team…0001' });

    // A re-save of other settings, and a header list that keeps the key by name (null), keep the value.
    await server.call('PATCH', '/api/v1/settings', { json: { metricsMaxModels: 7 } });
    await server.call('PATCH', '/api/v1/settings', { json: { otlpHeaders: { 'x-api-key': null, 'x-extra': 'plain' } } });
    await until(() => server.core.service.metrics.pushing, 'the push to restart');
    // An export carries data: an empty interval sends nothing.
    await server.post('/api/v1/requests', { model: 'alpha', inputTokens: 5, outputTokens: 1 });
    await until(() => sink.headers.some((headers) => headers['x-extra'] === 'plain'), 'an export with the new header list');
    await until(() => server.core.service.metrics.otlpStatus.lastExportAt !== null, 'the export to be noted');
    expect((await server.get<{ otlpStatus: OtlpPushStatus }>('/api/v1/settings')).otlpStatus).toMatchObject({ running: true, lastError: null });
    const last = sink.headers.at(-1)!;
    expect(last['x-api-key']).toBe(secret);
    expect(last['x-tenant']).toBeUndefined();

    const file = path.join(server.dataDir, 'otlp-headers.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ 'x-api-key': secret, 'x-extra': 'plain' });
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const rows = server.core.service.ledger.ctx.db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings').all();
    expect(rows.some((row) => row.value.includes(secret))).toBe(false);
    expect(rows.some((row) => row.key === 'otlpHeaders' || row.value.includes('x-api-key'))).toBe(false);
    server.core.service.ledger.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const name of fs.readdirSync(server.dataDir).filter((n) => n.startsWith('modelmeter.db'))) {
      expect(fs.readFileSync(path.join(server.dataDir, name)).includes(secret)).toBe(false);
    }
  });

  it('refuses to keep a header it does not hold, and to switch the push on without a collector URL, keeping what is stored', async () => {
    const unknown = await server.call('PATCH', '/api/v1/settings', { json: { otlpHeaders: { 'x-api-key': null } } });
    expect(expectError(unknown, 400, 'validation_failed').message).toContain('otlpHeaders.x-api-key');
    const noUrl = await server.call('PATCH', '/api/v1/settings', { json: { otlpEnabled: true, otlpHeaders: { a: 'b' } } });
    expect(expectError(noUrl, 400, 'validation_failed').message).toContain('otlpUrl');
    const settings = await server.get<{ otlpEnabled: boolean; otlpHeaders: Record<string, string> }>('/api/v1/settings');
    expect(settings.otlpEnabled).toBe(false);
    expect(settings.otlpHeaders).toEqual({});
    expect(fs.existsSync(path.join(server.dataDir, 'otlp-headers.json'))).toBe(false);
    expect(server.core.service.metrics.pushing).toBe(false);
  });

  it('refuses a collector URL that is not http(s), naming the field, and keeps the stored settings', async () => {
    const answer = await server.call('PATCH', '/api/v1/settings', { json: { otlpEnabled: true, otlpUrl: 'ftp://127.0.0.1/x' } });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('otlpUrl');
    const settings = await server.get<{ otlpEnabled: boolean }>('/api/v1/settings');
    expect(settings.otlpEnabled).toBe(false);
  });
});
