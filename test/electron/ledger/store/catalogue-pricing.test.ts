import fs from 'node:fs';
import { calcPrice } from '@pydantic/genai-prices';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATALOGUE_PACKAGE, CATALOGUE_VERSION } from '../../../../electron/ledger/pricing/catalogue.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import type { IngestResult, RequestPage } from '../../../../shared/types.js';
import { type TestServer, useServerPerTest } from '../../hosts/http/helpers.js';
import { startProxyServer, startScriptedUpstream } from '../../sources/proxy/harness.js';
import { Harness } from './harness.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2, 19, 0);

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

interface Case {
  name: string;
  record: RequestRecordInput & { ts: number };
  /** How the package is asked: the catalogue's model id and provider, when the record names them differently. */
  as?: { model: string; providerId?: string };
}

const at = (iso: string) => Date.parse(iso);
const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0, cacheWrite1h?: number) => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
  ...(cacheWrite1h === undefined ? {} : { cacheWrite1hTokens: cacheWrite1h }),
});

// Token counts are odd on purpose, so a rounding or a tier off by one shows.
const CASES: Case[] = [
  // OpenAI
  { name: 'gpt-5-mini by apiType', record: { ts: at('2026-06-01T12:00:00Z'), model: 'gpt-5-mini', apiType: 'openai', ...usage(12_345, 6_789, 1_024) } },
  { name: 'gpt-5 by name only', record: { ts: at('2026-06-01T12:00:00Z'), model: 'gpt-5', ...usage(3_001, 17_003, 50_000) } },
  { name: 'gpt-4o with provider', record: { ts: at('2025-11-20T08:00:00Z'), model: 'gpt-4o', provider: 'openai', ...usage(777, 333, 2_048) } },
  { name: 'gpt-4.1 cache writes at the input price', record: { ts: at('2026-02-01T00:00:00Z'), model: 'gpt-4.1', ...usage(10_001, 2_501, 4_096, 999) } },
  { name: 'openai/ prefix', record: { ts: at('2026-06-01T12:00:00Z'), model: 'openai/gpt-5-mini', ...usage(1_111, 2_222) }, as: { model: 'gpt-5-mini', providerId: 'openai' } },
  { name: 'o3 reasoning model', record: { ts: at('2026-06-01T12:00:00Z'), model: 'o3', apiType: 'openai', ...usage(5_555, 44_444, 1_000) } },
  // Anthropic
  { name: 'claude-sonnet-4-5 small prompt', record: { ts: at('2026-06-01T12:00:00Z'), model: 'claude-sonnet-4-5', apiType: 'anthropic', ...usage(1_234, 567, 10_000, 2_000) } },
  { name: 'claude-sonnet-4-5 >200k tier', record: { ts: at('2026-06-01T12:00:00Z'), model: 'claude-sonnet-4-5', apiType: 'anthropic', ...usage(150_001, 4_321, 50_000, 1_000) } },
  { name: 'claude-sonnet-4-5 exactly 200k stays base', record: { ts: at('2026-06-01T12:00:00Z'), model: 'claude-sonnet-4-5', apiType: 'anthropic', ...usage(190_000, 1_001, 9_000, 1_000) } },
  { name: 'claude-sonnet-4-5 1-hour cache writes', record: { ts: at('2026-06-01T12:00:00Z'), model: 'claude-sonnet-4-5', apiType: 'anthropic', ...usage(2_000, 1_000, 0, 8_000, 3_001) } },
  { name: 'claude-sonnet-4-5 1-hour writes over 200k', record: { ts: at('2026-06-01T12:00:00Z'), model: 'claude-sonnet-4-5', apiType: 'anthropic', ...usage(100_000, 2_000, 90_000, 20_000, 12_345) } },
  { name: 'claude dated id', record: { ts: at('2026-01-10T10:00:00Z'), model: 'claude-sonnet-4-5-20250929', ...usage(4_000, 900, 7_000, 1_500) }, as: { model: 'claude-sonnet-4-5-20250929', providerId: 'anthropic' } },
  { name: 'claude on Vertex @date', record: { ts: at('2026-01-10T10:00:00Z'), model: 'claude-sonnet-4-5@20250929', ...usage(4_000, 900, 7_000, 1_500) }, as: { model: 'claude-sonnet-4-5-20250929', providerId: 'anthropic' } },
  { name: 'anthropic/ prefix', record: { ts: at('2026-01-10T10:00:00Z'), model: 'anthropic/claude-haiku-4-5', ...usage(9_999, 1_111, 0, 500, 500) }, as: { model: 'claude-haiku-4-5', providerId: 'anthropic' } },
  { name: 'claude-opus-4-1 cache classes', record: { ts: at('2025-12-01T10:00:00Z'), model: 'claude-opus-4-1', apiType: 'anthropic', ...usage(3_333, 2_222, 44_444, 5_555, 1_111) } },
  { name: 'claude-opus-4-6 before its price change', record: { ts: at('2026-03-12T23:59:00Z'), model: 'claude-opus-4-6', apiType: 'anthropic', ...usage(250_000, 3_000, 1_000, 2_000, 1_000) } },
  { name: 'claude-opus-4-6 after its price change', record: { ts: at('2026-03-13T00:01:00Z'), model: 'claude-opus-4-6', apiType: 'anthropic', ...usage(250_000, 3_000, 1_000, 2_000, 1_000) } },
  // Google
  { name: 'gemini-2.5-pro small', record: { ts: at('2026-06-01T12:00:00Z'), model: 'gemini-2.5-pro', apiType: 'gemini', ...usage(40_000, 3_003, 20_000) } },
  { name: 'gemini-2.5-pro >200k tier', record: { ts: at('2026-06-01T12:00:00Z'), model: 'gemini-2.5-pro', apiType: 'gemini', ...usage(180_000, 3_003, 30_000) } },
  { name: 'models/ prefix', record: { ts: at('2026-06-01T12:00:00Z'), model: 'models/gemini-2.5-flash', apiType: 'gemini', ...usage(12_000, 4_000, 1_000) }, as: { model: 'gemini-2.5-flash', providerId: 'google' } },
  { name: 'gemini-2.0-flash', record: { ts: at('2025-09-01T12:00:00Z'), model: 'gemini-2.0-flash', provider: 'google', ...usage(8_765, 4_321) } },
  // DeepSeek
  { name: 'deepseek-chat by name', record: { ts: at('2026-06-01T12:00:00Z'), model: 'deepseek-chat', ...usage(20_000, 2_000, 30_000) } },
  { name: 'deepseek-chat over the openai protocol', record: { ts: at('2026-06-01T12:00:00Z'), model: 'deepseek-chat', apiType: 'openai', ...usage(20_000, 2_000, 30_000) }, as: { model: 'deepseek-chat', providerId: 'deepseek' } },
  { name: 'deepseek-reasoner', record: { ts: at('2026-06-01T12:00:00Z'), model: 'deepseek-reasoner', provider: 'deepseek', ...usage(3_210, 9_870, 4_000) } },
  { name: 'deepseek-v4-flash peak hour', record: { ts: at('2026-09-02T02:30:00Z'), model: 'deepseek-v4-flash', provider: 'deepseek', ...usage(30_001, 5_001, 7_000) } },
  { name: 'deepseek-v4-flash off-peak', record: { ts: at('2026-09-02T14:30:00Z'), model: 'deepseek-v4-flash', provider: 'deepseek', ...usage(30_001, 5_001, 7_000) } },
  { name: 'deepseek-v4-flash before 2026-08-17', record: { ts: at('2026-08-10T14:30:00Z'), model: 'deepseek-v4-flash', provider: 'deepseek', ...usage(30_001, 5_001, 7_000) } },
  // Mistral
  { name: 'mistral-large-latest', record: { ts: at('2026-06-01T12:00:00Z'), model: 'mistral-large-latest', provider: 'mistral', ...usage(6_000, 1_500) } },
  { name: 'mistral-small by name', record: { ts: at('2026-06-01T12:00:00Z'), model: 'mistral-small-latest', ...usage(60_001, 15_001) }, as: { model: 'mistral-small-latest', providerId: 'mistral' } },
  { name: 'codestral', record: { ts: at('2026-06-01T12:00:00Z'), model: 'codestral-latest', provider: 'mistral', ...usage(22_222, 11_111) } },
  { name: 'mistral/ prefix', record: { ts: at('2026-06-01T12:00:00Z'), model: 'mistral/mistral-medium-latest', ...usage(4_321, 1_234) }, as: { model: 'mistral-medium-latest', providerId: 'mistral' } },
  { name: 'openrouter :free suffix keeps the base price', record: { ts: at('2026-06-01T12:00:00Z'), model: 'deepseek-chat:free', provider: 'deepseek', ...usage(1_000, 1_000) }, as: { model: 'deepseek-chat', providerId: 'deepseek' } },
];

/** The package's own answer for a case, in nanos (its float total rounded to the nano). */
function expectedNanos(c: Case): number {
  const r = c.record;
  const input = r.inputTokens ?? 0;
  const cacheRead = r.cacheReadTokens ?? 0;
  const cacheWrite = r.cacheWriteTokens ?? 0;
  const price = calcPrice(
    {
      // The package counts input_tokens as the whole prompt, cached parts included.
      input_tokens: input + cacheRead + cacheWrite,
      cache_read_tokens: cacheRead,
      cache_write_tokens: cacheWrite,
      ...(r.cacheWrite1hTokens === undefined ? {} : { cache_write_1h_tokens: r.cacheWrite1hTokens }),
      output_tokens: r.outputTokens ?? 0,
    },
    c.as?.model ?? r.model,
    { timestamp: new Date(r.ts), ...((c.as?.providerId ?? r.provider) ? { providerId: c.as?.providerId ?? r.provider } : {}) },
  );
  if (!price) throw new Error(`the catalogue has no price for ${c.name}`);
  return Math.round(price.total_price * 1e9);
}

interface StoredCost {
  cost_nanos: number | null;
  currency: string | null;
  source: string | null;
}

function storedCosts(model?: string): StoredCost[] {
  return h.ledger.db
    .prepare<[], StoredCost>(
      `SELECT r.cost_nanos, c.code AS currency, p.name AS source FROM requests r
       JOIN models m ON m.id = r.model_id LEFT JOIN currencies c ON c.id = r.currency_id LEFT JOIN price_sources p ON p.id = r.price_source_id
       ${model === undefined ? '' : `WHERE m.name = '${model}'`} ORDER BY r.id`,
    )
    .all();
}

describe('catalogue pricing at ingest', () => {
  it('uses the package version the project depends on', () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies[CATALOGUE_PACKAGE]).toBe(CATALOGUE_VERSION);
  });

  it.each(CASES)('$name: the stored cost is the package’s own calculation', async (c) => {
    await h.service.ingestRequests(c.record);
    h.service.flush();
    const [row] = storedCosts();
    expect(row?.cost_nanos).toBe(expectedNanos(c));
    expect(row?.currency).toBe('USD');
    expect(row?.source).toMatch(new RegExp(`^${CATALOGUE_PACKAGE}@${CATALOGUE_VERSION.replace(/\./g, '\\.')} [a-z0-9-]+/`));
  });

  it('the price-change cases are priced differently on either side of the date', () => {
    const byName = (name: string) => expectedNanos(CASES.find((c) => c.name === name)!);
    expect(byName('claude-opus-4-6 before its price change')).not.toBe(byName('claude-opus-4-6 after its price change'));
    expect(byName('deepseek-v4-flash peak hour')).not.toBe(byName('deepseek-v4-flash off-peak'));
    expect(byName('claude-sonnet-4-5 >200k tier')).toBeGreaterThan(byName('claude-sonnet-4-5 small prompt') * 10);
  });

  it('a model the catalogue does not know stays unpriced', async () => {
    await h.service.ingestRequests({ ts: NOW - DAY, model: 'my-own-finetune', inputTokens: 100, outputTokens: 100 });
    h.service.flush();
    expect(storedCosts()).toEqual([{ cost_nanos: null, currency: null, source: null }]);
  });

  it('stores the provider and the 1-hour cache writes of a record', async () => {
    await h.service.ingestRequests({ ts: NOW - DAY, model: 'claude-sonnet-4-5', provider: 'anthropic', cacheWriteTokens: 10, cacheWrite1hTokens: 4 });
    h.service.flush();
    const row = h.ledger.db
      .prepare<[], { provider: string; oneHour: number }>(
        `SELECT p.name AS provider, r.cache_write_1h_tokens AS oneHour FROM requests r JOIN providers p ON p.id = r.provider_id`,
      )
      .get();
    expect(row).toEqual({ provider: 'anthropic', oneHour: 4 });
  });

  it('refuses more 1-hour cache writes than cache writes', async () => {
    await expect(h.service.ingestRequests({ model: 'claude-sonnet-4-5', cacheWriteTokens: 1, cacheWrite1hTokens: 2 })).rejects.toThrow(/cacheWrite1hTokens/);
  });
});

describe('never a cloud price for a local model', () => {
  const cloudLike = { inputTokens: 10_000, outputTokens: 2_000 };

  it('a model with runs is not catalogue-priced, even under a cloud name', async () => {
    await h.service.reportRun({ model: 'gpt-4o', event: 'start', source: 'my-launcher' });
    await h.service.ingestRequests({ ts: NOW - 1000, model: 'gpt-4o', apiType: 'openai', ...cloudLike });
    h.service.flush();
    expect(storedCosts('gpt-4o')).toEqual([{ cost_nanos: null, currency: null, source: null }]);
  });

  it.each([
    ['a llama.cpp api type', { model: 'gpt-oss-120b', apiType: 'llama.cpp' }],
    ['an ollama api type', { model: 'deepseek-chat', apiType: 'ollama' }],
    ['a launcher watcher source', { model: 'gpt-5-mini', source: 'llama-cpp@192.168.1.20:8080' }],
    ['a source on a loopback host', { model: 'gpt-5-mini', source: 'script@127.0.0.1:9000' }],
    ['a GGUF quantisation in the name', { model: 'DeepSeek-R1-Distill-Qwen-32B-Q5_K_M' }],
    ['an Ollama tag in the name', { model: 'deepseek-r1:32b' }],
    ['a bare watcher source', { model: 'gpt-5-mini', source: 'llama-swap' }],
  ])('%s is never catalogue-priced', async (_label, record) => {
    expect(calcPrice({ input_tokens: 1 }, record.model)).not.toBeNull();
    await h.service.ingestRequests({ ts: NOW - 1000, ...record, ...cloudLike });
    h.service.flush();
    expect(storedCosts()).toEqual([{ cost_nanos: null, currency: null, source: null }]);
  });

  it('a proxied request to a loopback or private upstream is never catalogue-priced', async () => {
    const ctx = h.ledger.ctx;
    const key = (n: number) => n.toString(16).padStart(16, '0');
    h.ledger.write(() => {
      ctx.channels.ensure(key(1), ctx.apiTypes.ensure('openai'), { baseUrl: 'http://127.0.0.1:11434/v1' });
      ctx.channels.ensure(key(2), ctx.apiTypes.ensure('openai'), { baseUrl: 'http://10.0.0.7:8000/v1' });
      ctx.channels.ensure(key(3), ctx.apiTypes.ensure('openai'), { baseUrl: 'https://api.openai.com/v1' });
    });
    for (const n of [1, 2, 3]) await h.service.ingestRequests({ ts: NOW - 1000 + n, model: 'gpt-4o', apiType: 'openai', channel: key(n), ...cloudLike });
    h.service.flush();
    const costs = storedCosts().map((row) => row.cost_nanos);
    expect(costs.slice(0, 2)).toEqual([null, null]);
    expect(costs[2]).toBeGreaterThan(0);
  });

  it('a channel named before its base URL is priced until it turns out local, here or through another connection', async () => {
    const ctx = h.ledger.ctx;
    const key = (n: number) => n.toString(16).padStart(16, '0');
    let n = 0;
    const send = async (channel: string) => {
      await h.service.ingestRequests({ ts: NOW - 1000 + ++n, model: 'gpt-4o', apiType: 'openai', channel, ...cloudLike });
      h.service.flush();
    };
    // An unknown upstream: the cloud model's name decides, and the route's decision is kept between requests.
    await send(key(1));
    await send(key(1));
    h.ledger.write(() => ctx.channels.ensure(key(1), ctx.apiTypes.ensure('openai'), { baseUrl: 'http://127.0.0.1:8080/v1' }));
    await send(key(1));
    await send(key(2));
    // Described by another connection (the proxy's, say): this one learns it when its mirrors are dropped.
    h.ledger.db.prepare(`UPDATE channels SET base_url = ? WHERE metrics_key = ?`).run('http://192.168.1.9:8000/v1', key(2));
    await send(key(2));
    ctx.refreshMirrors();
    await send(key(2));
    const priced = storedCosts().map((row) => row.cost_nanos !== null);
    expect(priced).toEqual([true, true, false, true, true, false]);
  });
});

describe('the user always wins', () => {
  const record = { model: 'gpt-4o', apiType: 'openai', inputTokens: 1_000_000, outputTokens: 0 };

  it('a user version prices from its effective date; removing it falls back to the catalogue', async () => {
    const catalogue = expectedNanos({ name: 'gpt-4o', record: { ts: NOW - 3 * DAY, ...record } });
    await h.service.ingestRequests([
      { ts: NOW - 3 * DAY, ...record },
      { ts: NOW - DAY, ...record },
    ]);
    h.service.flush();
    expect(storedCosts().map((row) => row.cost_nanos)).toEqual([catalogue, catalogue]);

    await h.service.addPriceVersion({
      model: 'gpt-4o',
      version: { method: 'tokens', currency: 'EUR', effectiveFrom: NOW - 2 * DAY, tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] },
    });
    expect(storedCosts()).toEqual([
      { cost_nanos: catalogue, currency: 'USD', source: expect.stringContaining('openai/gpt-4o') },
      { cost_nanos: 1e9, currency: 'EUR', source: null },
    ]);
    await h.service.ingestRequests({ ts: NOW - 1000, ...record });
    h.service.flush();
    expect(storedCosts()[2]).toEqual({ cost_nanos: 1e9, currency: 'EUR', source: null });

    await h.service.deletePricing({ model: 'gpt-4o' });
    expect(storedCosts().map((row) => [row.cost_nanos, row.currency])).toEqual([
      [catalogue, 'USD'],
      [catalogue, 'USD'],
      [catalogue, 'USD'],
    ]);
  });
});

describe('through the HTTP ingest API', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));

  it('a cloud model is priced out of the box, a local one is not', async () => {
    const ts = Date.now() - 60_000;
    const cases = CASES.filter((c) => ['claude-sonnet-4-5 1-hour writes over 200k', 'gpt-5-mini by apiType', 'models/ prefix', 'deepseek-chat by name', 'mistral-large-latest'].includes(c.name)).map((c) => ({
      ...c,
      record: { ...c.record, ts },
    }));
    const answer = await server.call<IngestResult>('POST', '/api/v1/requests', {
      json: [...cases.map((c) => c.record), { ts, model: 'gpt-4o', apiType: 'ollama', inputTokens: 1000 }],
    });
    expect(answer.body).toEqual({ accepted: cases.length + 1, duplicates: 0 });
    const page = await server.get<RequestPage>(`/api/v1/requests?from=0&limit=100`);
    const rows = page.requests.reverse();
    for (const [i, c] of cases.entries()) {
      expect(rows[i]!.currency, c.name).toBe('USD');
      expect(Math.round(rows[i]!.cost! * 1e9), c.name).toBe(expectedNanos(c));
    }
    expect(rows[cases.length]).toMatchObject({ model: 'gpt-4o', cost: null, currency: null });
  });
});

describe('through the proxy', () => {
  it('an upstream on this machine is local: no catalogue price, whatever the model is called', async () => {
    const usage = { input_tokens: 20, cache_creation_input_tokens: 3000, cache_read_input_tokens: 0, cache_creation: { ephemeral_1h_input_tokens: 2000 }, output_tokens: 7 };
    const upstream = await startScriptedUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage }));
    });
    const proxy = await startProxyServer();
    try {
      await proxy.saveRoute('claude', { protocol: 'anthropic', channels: [{ baseUrl: upstream.url }] });
      const answer = await fetch(`${proxy.url}/r/claude/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-client-0001', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(answer.status).toBe(200);
      const [row] = await proxy.records(1);
      expect(row).toMatchObject({ model: 'claude-sonnet-4-5', cacheWriteTokens: 3000, cost: null });
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
