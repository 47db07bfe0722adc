import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { calcPrice, type ModelPrice, type Provider } from '@pydantic/genai-prices';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CATALOGUE_URL_ENV } from '../../../../electron/app/catalogue-update-service.js';
import { startCore, type RunningCore } from '../../../../electron/hosts/core/start-core.js';
import { allProviders } from '../../../../electron/ledger/pricing/catalogue-search.js';
import { CATALOGUE_FILE } from '../../../../electron/ledger/store/catalogue-file.js';
import type { ErrorBody } from '../../../../shared/errors.js';
import type {
  CatalogueRepricePreview,
  CatalogueRepriceResult,
  CatalogueSearchResult,
  CatalogueStatus,
  CatalogueUpdateCheck,
  ModelPricing,
  RequestPage,
} from '../../../../shared/types.js';
import { HOUR, startServer, type TestServer } from './helpers.js';

// A loopback stand-in for the package's published data file: nothing here reaches the internet.
let served: { status: number; body: string; lastModified?: string } = { status: 200, body: '[]' };
const dataServer = http.createServer((_request, response) => {
  response.writeHead(served.status, { 'content-type': 'application/json', ...(served.lastModified ? { 'last-modified': served.lastModified } : {}) });
  response.end(served.body);
});
let previousUrl: string | undefined;

beforeAll(async () => {
  await new Promise<void>((resolve) => dataServer.listen(0, '127.0.0.1', resolve));
  previousUrl = process.env[CATALOGUE_URL_ENV];
  process.env[CATALOGUE_URL_ENV] = `http://127.0.0.1:${(dataServer.address() as AddressInfo).port}/data.json`;
});
afterAll(async () => {
  if (previousUrl === undefined) delete process.env[CATALOGUE_URL_ENV];
  else process.env[CATALOGUE_URL_ENV] = previousUrl;
  await new Promise<void>((resolve) => dataServer.close(() => resolve()));
});

const MODEL = 'claude-sonnet-4-5';

function doubled(prices: ModelPrice): ModelPrice {
  const out: ModelPrice = {};
  for (const [key, value] of Object.entries(prices)) {
    out[key] = typeof value === 'number' ? value * 2 : value === undefined ? undefined : ({ base: value.base * 2, tiers: value.tiers.map((t) => ({ ...t, price: t.price * 2 })) } as never);
  }
  return out;
}

/** The bundled data with every price of claude-sonnet-4-5 doubled, as a published data file would be. */
function modifiedData(): Provider[] {
  const providers = JSON.parse(JSON.stringify(allProviders())) as Provider[];
  const model = providers.find((p) => p.id === 'anthropic')!.models.find((m) => m.id === MODEL)!;
  model.prices = Array.isArray(model.prices) ? model.prices.map((period) => ({ ...period, prices: doubled(period.prices) })) : doubled(model.prices);
  return providers;
}

const USAGE = { inputTokens: 1200, cacheReadTokens: 30_000, cacheWriteTokens: 8000, cacheWrite1hTokens: 2000, outputTokens: 700 };

/** The package's own price for USAGE at `ts`, from the bundled data or a provider handed to it. */
function packagePrice(ts: number, provider?: Provider): number {
  const usage = {
    input_tokens: USAGE.inputTokens + USAGE.cacheReadTokens + USAGE.cacheWriteTokens,
    cache_read_tokens: USAGE.cacheReadTokens,
    cache_write_tokens: USAGE.cacheWriteTokens,
    cache_write_1h_tokens: USAGE.cacheWrite1hTokens,
    output_tokens: USAGE.outputTokens,
  };
  const result = calcPrice(usage, MODEL, { ...(provider ? { provider } : { providerId: 'anthropic' }), timestamp: new Date(ts) });
  return result!.total_price;
}

let server: TestServer;
let restarted: RunningCore | null = null;
beforeEach(async () => {
  served = { status: 200, body: JSON.stringify(modifiedData()), lastModified: 'Tue, 01 Dec 2026 08:00:00 GMT' };
  server = await startServer();
});
afterEach(async () => {
  await restarted?.close();
  restarted = null;
  await server.close();
});

async function call<T>(base: string, method: string, route: string, json?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function ok<T>(base: string, method: string, route: string, json?: unknown): Promise<T> {
  const answer = await call<T>(base, method, route, json);
  if (answer.status !== 200) throw new Error(`${method} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function ingest(base: string, requestId: string, ts: number): Promise<void> {
  await ok(base, 'POST', '/requests', { model: MODEL, provider: 'anthropic', ts, requestId, ...USAGE });
}

async function costs(base: string): Promise<Record<string, number | null>> {
  const page = await ok<RequestPage>(base, 'GET', `/requests?model=${MODEL}&limit=50`);
  return Object.fromEntries(page.requests.map((row) => [row.requestId!, row.cost]));
}

async function restart(): Promise<string> {
  await (restarted ?? server.core).close();
  restarted = await startCore({ dataDir: server.dataDir, port: 0, token: server.token });
  return restarted.url;
}

const T1 = Date.now() - 3 * HOUR;
const T2 = Date.now() - 2 * HOUR;
const T3 = Date.now() - HOUR;

describe('catalogue updates (issue 14, item 5)', () => {
  it('check shows the differences and changes nothing; apply prices new requests only; re-pricing goes through preview and confirm; a restart keeps the download', async () => {
    const base = server.url;
    const anthropic = modifiedData().find((p) => p.id === 'anthropic')!;
    await ingest(base, 'a', T1);
    const bundledCost = packagePrice(T1);
    expect((await costs(base))['a']).toBeCloseTo(bundledCost, 9);

    const before = await ok<CatalogueStatus>(base, 'GET', '/catalogue/status');
    expect(before).toMatchObject({ active: { kind: 'bundled', version: '0.1.8', date: null }, warning: null, otherVersion: 0 });
    expect(before.pricedBy).toEqual([{ version: '0.1.8', requests: 1 }]);

    const check = await ok<CatalogueUpdateCheck>(base, 'POST', '/catalogue/update-check');
    expect(check.candidate.date).toBe('2026-12-01');
    expect(check.candidate.version).toMatch(/^0\.1\.8\+data\.2026-12-01\.[0-9a-f]{8}$/);
    expect(check.current.version).toBe('0.1.8');
    expect(check).toMatchObject({ changed: 1, added: 0, removed: 0 });
    const example = check.examples.find((e) => e.entry === `anthropic/${MODEL}`)!;
    expect(example.after.output!.base).toBe(example.before.output!.base * 2);

    // Checked, not confirmed: new requests keep the bundled price and nothing is kept on disk.
    await ingest(base, 'b', T2);
    expect((await costs(base))['b']).toBeCloseTo(packagePrice(T2), 9);
    expect(fs.existsSync(path.join(server.dataDir, CATALOGUE_FILE))).toBe(false);
    expect((await ok<CatalogueStatus>(base, 'GET', '/catalogue/status')).active.kind).toBe('bundled');

    // Applying needs the version the check answered.
    const wrong = await call<{ error: ErrorBody }>(base, 'POST', '/catalogue/update', { version: '0.1.8+data.1999-01-01.00000000' });
    expect(wrong.status).toBe(409);
    expect((await call<{ error: ErrorBody }>(base, 'POST', '/catalogue/update', {})).status).toBe(400);
    const applied = await ok<CatalogueStatus>(base, 'POST', '/catalogue/update', { version: check.candidate.version });
    expect(applied.active).toEqual({ kind: 'downloaded', version: check.candidate.version, date: '2026-12-01' });
    expect(fs.existsSync(path.join(server.dataDir, CATALOGUE_FILE))).toBe(true);
    // The catalogue search shows the prices in use now.
    const searched = await ok<CatalogueSearchResult>(base, 'GET', `/catalogue?search=${MODEL}&provider=anthropic`);
    expect(searched.version).toBe(check.candidate.version);
    expect(searched.entries[0]!.prices.output!.base).toBe(example.after.output!.base);

    // From now on: the new price, equal to the package's own calculation with the downloaded data.
    await ingest(base, 'c', T3);
    let now = await costs(base);
    expect(now['c']).toBeCloseTo(packagePrice(T3, anthropic), 9);
    expect(now['c']).not.toBeCloseTo(packagePrice(T3), 6);
    // The past is not rewritten.
    expect(now['a']).toBeCloseTo(bundledCost, 9);
    expect(now['b']).toBeCloseTo(packagePrice(T2), 9);
    const source = (await ok<ModelPricing[]>(base, 'GET', '/pricing')).find((p) => p.model === MODEL)!.source;
    expect(source).toMatchObject({ kind: 'catalogue', version: check.candidate.version, downloaded: '2026-12-01', modelId: MODEL });

    const stale = await ok<CatalogueStatus>(base, 'GET', '/catalogue/status');
    expect(stale.otherVersion).toBe(2);

    // The preview says what re-pricing would do and writes nothing.
    const preview = await ok<CatalogueRepricePreview>(base, 'POST', '/catalogue/reprice/preview');
    expect(preview.version).toBe(check.candidate.version);
    expect(preview.affectedRequests).toBe(2);
    expect(preview.models).toHaveLength(1);
    const row = preview.models[0]!;
    expect(row.model).toBe(MODEL);
    expect(row.requests).toBe(2);
    expect(row.before.cost['USD']).toBeCloseTo(bundledCost + packagePrice(T2) + packagePrice(T3, anthropic), 8);
    expect(row.after.cost['USD']).toBeCloseTo(packagePrice(T1, anthropic) + packagePrice(T2, anthropic) + packagePrice(T3, anthropic), 8);
    now = await costs(base);
    expect(now['a']).toBeCloseTo(bundledCost, 9);
    expect((await ok<CatalogueStatus>(base, 'GET', '/catalogue/status')).otherVersion).toBe(2);

    const repriced = await ok<CatalogueRepriceResult>(base, 'POST', '/catalogue/reprice');
    expect(repriced).toEqual({ version: check.candidate.version, repricedRequests: 2, models: [MODEL] });
    now = await costs(base);
    expect(now['a']).toBeCloseTo(packagePrice(T1, anthropic), 9);
    expect(now['b']).toBeCloseTo(packagePrice(T2, anthropic), 9);
    expect((await ok<CatalogueStatus>(base, 'GET', '/catalogue/status')).otherVersion).toBe(0);
    // The summary's totals follow (the rollups were re-priced too).
    const summary = await ok<{ totals: { cost: Record<string, number> } }>(base, 'GET', `/summary?from=${T1 - HOUR}&to=${Date.now() + 1000}`);
    expect(summary.totals.cost['USD']).toBeCloseTo(row.after.cost['USD']!, 8);

    // A restart loads the kept download.
    const again = await restart();
    expect((await ok<CatalogueStatus>(again, 'GET', '/catalogue/status')).active.version).toBe(check.candidate.version);
    await ingest(again, 'd', T3 + 1000);
    expect((await costs(again))['d']).toBeCloseTo(packagePrice(T3 + 1000, anthropic), 9);

    // Back to the bundled data: the file goes, new requests get the bundled price.
    const reset = await ok<CatalogueStatus>(again, 'DELETE', '/catalogue/update');
    expect(reset.active.kind).toBe('bundled');
    expect(fs.existsSync(path.join(server.dataDir, CATALOGUE_FILE))).toBe(false);
    await ingest(again, 'e', T3 + 2000);
    expect((await costs(again))['e']).toBeCloseTo(packagePrice(T3 + 2000), 9);
  });

  it('savings vs cloud use the applied download for the reference price', async () => {
    const base = server.url;
    const local = 'Qwen3-Coder-30B-A3B-Q4_K_M';
    await ok(base, 'POST', '/requests', { model: local, ts: T1, inputTokens: 1200, cacheReadTokens: 30_000, cacheWriteTokens: 8000, cacheWrite1hTokens: 2000, outputTokens: 700 });
    await ok(base, 'PUT', `/savings/references/${local}`, { reference: `anthropic/${MODEL}` });
    const range = `/summary?from=${T1 - HOUR}&to=${Date.now() + 1000}`;
    type WithSavings = { savings: { models: { catalogue: string; cloudCost: Record<string, number> }[] } };
    const before = (await ok<WithSavings>(base, 'GET', range)).savings.models[0]!;
    expect(before.catalogue).toBe('@pydantic/genai-prices@0.1.8');
    expect(before.cloudCost['USD']).toBeCloseTo(packagePrice(T1), 9);

    const check = await ok<CatalogueUpdateCheck>(base, 'POST', '/catalogue/update-check');
    await ok(base, 'POST', '/catalogue/update', { version: check.candidate.version });
    const after = (await ok<WithSavings>(base, 'GET', range)).savings.models[0]!;
    expect(after.catalogue).toBe(`@pydantic/genai-prices@${check.candidate.version}`);
    expect(after.cloudCost['USD']).toBeCloseTo(packagePrice(T1, modifiedData().find((p) => p.id === 'anthropic')!), 9);
  });

  it('a corrupt kept file falls back to the bundled catalogue, with a warning', async () => {
    fs.writeFileSync(path.join(server.dataDir, CATALOGUE_FILE), '{"format":1,"version":"x"');
    const base = await restart();
    const status = await ok<CatalogueStatus>(base, 'GET', '/catalogue/status');
    expect(status.active.kind).toBe('bundled');
    expect(status.warning).toMatch(/could not be read.*bundled catalogue/);
    await ingest(base, 'a', T1);
    expect((await costs(base))['a']).toBeCloseTo(packagePrice(T1), 9);
  });

  it.each([
    ['not JSON', { status: 200, body: '<html>rate limited</html>' }, /not JSON/],
    ['the wrong shape', { status: 200, body: JSON.stringify([{ id: 'openai', name: 'OpenAI', models: 'none' }]) }, /api_pattern|models/],
    ['no providers', { status: 200, body: '[]' }, /no providers/],
    ['a bad date constraint', { status: 200, body: JSON.stringify([{ id: 'x', name: 'X', api_pattern: 'x', models: [{ id: 'm', match: { equals: 'm' }, prices: [{ constraint: { start_date: 'soon' }, prices: { input_mtok: 1 } }] }] }]) }, /provider "x"/],
    ['an HTTP error', { status: 503, body: '{}' }, /HTTP 503/],
  ])('a download with %s is refused with a clear error and nothing changes', async (_what, answer, message) => {
    const base = server.url;
    await ingest(base, 'a', T1);
    served = answer;
    const refused = await call<{ error: ErrorBody }>(base, 'POST', '/catalogue/update-check');
    expect(refused.status, JSON.stringify(refused.body)).toBe(502);
    expect(refused.body.error.code).toBe('bad_gateway');
    expect(refused.body.error.message).toMatch(message);
    expect(refused.body.error.message).toMatch(/current prices stay in use/);
    // Nothing was taken: no candidate to apply, no file, same prices.
    expect((await call(base, 'POST', '/catalogue/update', { version: 'anything' })).status).toBe(409);
    expect(fs.existsSync(path.join(server.dataDir, CATALOGUE_FILE))).toBe(false);
    await ingest(base, 'b', T2);
    const now = await costs(base);
    expect(now['a']).toBeCloseTo(packagePrice(T1), 9);
    expect(now['b']).toBeCloseTo(packagePrice(T2), 9);
  });

  it('an unreachable catalogue URL is a clear error; the app keeps working offline', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const saved = process.env[CATALOGUE_URL_ENV];
    process.env[CATALOGUE_URL_ENV] = `http://127.0.0.1:${port}/data.json`;
    try {
      const refused = await call<{ error: ErrorBody }>(server.url, 'POST', '/catalogue/update-check');
      expect(refused.status).toBe(502);
      expect(refused.body.error.message).toMatch(/could not download the price catalogue/);
    } finally {
      process.env[CATALOGUE_URL_ENV] = saved;
    }
    await ingest(server.url, 'a', T1);
    expect((await costs(server.url))['a']).toBeCloseTo(packagePrice(T1), 9);
  });
});
