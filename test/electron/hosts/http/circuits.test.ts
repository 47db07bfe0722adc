import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskKey } from '../../../../electron/ledger/channels/metrics-key.js';
import type { CircuitsResult } from '../../../../shared/schemas/circuit.js';
import type { ChannelsDeleteResult, Circuit, CircuitEvent, RequestPage, Summary } from '../../../../shared/types.js';
import { expectError, HOUR, MINUTE, qs, type TestServer, useServerPerTest } from './helpers.js';

/** metricsKey as the product defines it: first 16 hex of sha256(normalizedBaseUrl + "|" + apiKey). */
function expectedKey(normalizedBaseUrl: string, apiKey: string): string {
  return createHash('sha256').update(`${normalizedBaseUrl}|${apiKey}`).digest('hex').slice(0, 16);
}

const KEY_1 = '1111111111111111';
const KEY_2 = '2222222222222222';
const KEY_3 = '3333333333333333';
const SECRET = 'sk-live-VERY-secret-0123456789abcdefXYZ';
const T0 = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;

let server: TestServer;
useServerPerTest((started) => (server = started));

const put = (json: unknown) => server.call<CircuitsResult>('PUT', '/api/v1/circuits', { json });

type Sent = { metricsKey?: string; channel?: { baseUrl: string; apiKey?: string; keyMask?: string }; apiType: string };

/**
 * A PUT that must succeed: it answers counts (never an echo of the states), so the states are read
 * back from GET /circuits, in the order they were sent.
 */
const putOk = async (json: unknown): Promise<Circuit[]> => {
  const answer = await put(json);
  expect(answer.status, answer.text).toBe(200);
  const sent = (Array.isArray(json) ? json : 'circuits' in (json as object) ? (json as { circuits: unknown[] }).circuits : [json]) as Sent[];
  expect(answer.body).toMatchObject({ updated: sent.length });
  const stored = await circuits();
  return sent.map((item) => {
    const key = item.metricsKey;
    const mask = item.channel?.keyMask ?? (item.channel?.apiKey === undefined ? undefined : maskKey(item.channel.apiKey));
    const found = stored.find((c) => c.apiType === item.apiType && (key !== undefined ? c.metricsKey === key : c.keyMask === mask));
    expect(found, JSON.stringify(item)).toBeDefined();
    return found!;
  });
};
const circuits = (apiType?: string) => server.get<Circuit[]>(`/api/v1/circuits${qs({ apiType })}`);
const events = (query: Record<string, string | number | undefined> = {}) => server.get<CircuitEvent[]>(`/api/v1/circuits/events${qs(query)}`);
const find = (list: Circuit[], metricsKey: string, apiType: string) => list.find((c) => c.metricsKey === metricsKey && c.apiType === apiType);

describe('PUT /api/v1/circuits', () => {
  it('stores a state by metricsKey with its fields and answers it', async () => {
    const [circuit] = await putOk({
      metricsKey: KEY_1,
      apiType: 'openai',
      state: 'open',
      consecutiveFailures: 5,
      openedAt: T0,
      nextRetryAt: T0 + 30_000,
      backoffLevel: 1,
      lastSuccessAt: T0 - HOUR,
      lastFailureAt: T0,
      label: 'primary',
    });
    expect(circuit).toMatchObject({
      metricsKey: KEY_1,
      apiType: 'openai',
      state: 'open',
      consecutiveFailures: 5,
      openedAt: T0,
      nextRetryAt: T0 + 30_000,
      backoffLevel: 1,
      lastSuccessAt: T0 - HOUR,
      lastFailureAt: T0,
      label: 'primary',
    });
    expect(find(await circuits(), KEY_1, 'openai')).toEqual(circuit);
  });

  it('accepts ISO-8601 times for the time fields', async () => {
    const [circuit] = await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'open', openedAt: new Date(T0).toISOString(), nextRetryAt: new Date(T0 + 60_000).toISOString() });
    expect(circuit).toMatchObject({ openedAt: T0, nextRetryAt: T0 + 60_000 });
  });

  it('derives the metricsKey from channel { baseUrl, apiKey } and never answers the key', async () => {
    const [circuit] = await putOk({ channel: { baseUrl: 'https://api.example.com/v1', apiKey: SECRET }, apiType: 'openai', state: 'half_open' });
    expect(circuit!.metricsKey).toBe(expectedKey('https://api.example.com/v1', SECRET));
    expect(circuit!.baseUrl).toBe('https://api.example.com/v1');
    expect(circuit!.keyMask).toBe('sk-l…fXYZ');
    expect(circuit!.state).toBe('half_open');
  });

  it('normalises the base URL: case, default port, trailing slash, query', async () => {
    const key = expectedKey('https://api.example.com/v1', SECRET);
    for (const baseUrl of ['HTTPS://API.Example.COM:443/v1/', 'https://api.example.com/v1?x=1', 'https://api.example.com/v1//']) {
      const [circuit] = await putOk({ channel: { baseUrl, apiKey: SECRET }, apiType: 'openai', state: 'closed' });
      expect(circuit!.metricsKey, baseUrl).toBe(key);
    }
    expect(await circuits()).toHaveLength(1);
  });

  it('never lets the API key reach an answer or the data folder', async () => {
    const sent = await put({ channel: { baseUrl: 'https://api.example.com', apiKey: SECRET }, apiType: 'openai', state: 'open', reason: 'upstream 529' });
    const key = expectedKey('https://api.example.com', SECRET);
    await server.call('POST', '/api/v1/requests', { json: { model: 'm', channel: key, apiType: 'openai', ts: T0 } });
    const texts = [
      sent.text,
      (await server.call('GET', '/api/v1/circuits')).text,
      (await server.call('GET', '/api/v1/circuits/events')).text,
      (await server.call('GET', '/api/v1/requests')).text,
      (await server.call('GET', '/api/v1/export?format=json')).text,
      (await server.call('GET', '/api/v1/export?format=csv')).text,
      (await server.call('PUT', '/api/v1/circuits', { json: { channel: { baseUrl: 'not a url', apiKey: SECRET }, apiType: 'openai', state: 'open' } })).text,
      (await server.call('POST', `/api/v1/circuits/${key}/reset?apiType=openai`)).text,
    ];
    for (const text of texts) {
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('VERY-secret');
    }
    await server.core.close();
    for (const file of fs.readdirSync(server.dataDir)) {
      const bytes = fs.readFileSync(path.join(server.dataDir, file));
      expect(bytes.includes(Buffer.from('VERY-secret')), file).toBe(false);
    }
  });

  it('finds a known channel by baseUrl and keyMask', async () => {
    const [byKey] = await putOk({ channel: { baseUrl: 'https://api.example.com', apiKey: SECRET }, apiType: 'openai', state: 'closed' });
    const [byMask] = await putOk({ channel: { baseUrl: 'https://api.example.com/', keyMask: byKey!.keyMask! }, apiType: 'openai', state: 'open' });
    expect(byMask!.metricsKey).toBe(byKey!.metricsKey);
    expect(await circuits()).toHaveLength(1);
  });

  it('answers 404 for an unknown channel given by keyMask, and stores nothing of the batch', async () => {
    const answer = await put([
      { metricsKey: KEY_1, apiType: 'openai', state: 'open' },
      { channel: { baseUrl: 'https://nowhere.example.com', keyMask: 'sk-x…abcd' }, apiType: 'openai', state: 'open' },
    ]);
    expectError(answer, 404, 'not_found');
    expect(await circuits()).toEqual([]);
    expect(await events()).toEqual([]);
  });

  it('stores many states at once, as an array or as { circuits: [...] }', async () => {
    const list = await putOk([
      { metricsKey: KEY_1, apiType: 'openai', state: 'open' },
      { metricsKey: KEY_2, apiType: 'openai', state: 'half_open' },
      { metricsKey: KEY_1, apiType: 'anthropic', state: 'closed' },
    ]);
    expect(list.map((c) => [c.metricsKey, c.apiType, c.state])).toEqual([
      [KEY_1, 'openai', 'open'],
      [KEY_2, 'openai', 'half_open'],
      [KEY_1, 'anthropic', 'closed'],
    ]);
    const wrapped = await putOk({ circuits: [{ metricsKey: KEY_3, apiType: 'gemini', state: 'open' }] });
    expect(wrapped).toHaveLength(1);
    expect(await circuits()).toHaveLength(4);
    const summary = await server.get<Summary>('/api/v1/summary');
    expect(summary.circuits).toEqual({ closed: 1, open: 2, half_open: 1 });
  });

  it('filters GET /circuits by apiType', async () => {
    await putOk([
      { metricsKey: KEY_1, apiType: 'openai', state: 'open' },
      { metricsKey: KEY_2, apiType: 'openai', state: 'closed' },
      { metricsKey: KEY_1, apiType: 'anthropic', state: 'half_open' },
    ]);
    expect((await circuits('openai')).map((c) => c.metricsKey).sort()).toEqual([KEY_1, KEY_2]);
    expect((await circuits('anthropic')).map((c) => [c.metricsKey, c.state])).toEqual([[KEY_1, 'half_open']]);
    expect(await circuits('gemini')).toEqual([]);
    expect((await server.call('GET', `/api/v1/circuits${qs({ apiType: 'Not Valid' })}`)).status).toBe(400);
    expect((await server.call('GET', `/api/v1/circuits${qs({ state: 'open' })}`)).status).toBe(400);
  });

  it('keeps fields not given and resets retry fields when closing', async () => {
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'open', consecutiveFailures: 7, openedAt: T0, nextRetryAt: T0 + 60_000, backoffLevel: 2 });
    const [halfOpen] = await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'half_open' });
    expect(halfOpen).toMatchObject({ consecutiveFailures: 7, openedAt: T0, nextRetryAt: T0 + 60_000, backoffLevel: 2 });
    const [closed] = await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'closed', consecutiveFailures: 0 });
    expect(closed).toMatchObject({ state: 'closed', consecutiveFailures: 0, openedAt: null, nextRetryAt: null });
  });

  const invalid: [string, unknown][] = [
    ['neither metricsKey nor channel', { apiType: 'openai', state: 'open' }],
    ['both metricsKey and channel', { metricsKey: KEY_1, channel: { baseUrl: 'https://a.example.com', apiKey: 'k' }, apiType: 'openai', state: 'open' }],
    ['a malformed metricsKey', { metricsKey: 'ABCDEF', apiType: 'openai', state: 'open' }],
    ['an unknown state', { metricsKey: KEY_1, apiType: 'openai', state: 'broken' }],
    ['no apiType', { metricsKey: KEY_1, state: 'open' }],
    ['an unknown field', { metricsKey: KEY_1, apiType: 'openai', state: 'open', failureRate: 0.5 }],
    ['negative consecutive failures', { metricsKey: KEY_1, apiType: 'openai', state: 'open', consecutiveFailures: -1 }],
    ['a channel without apiKey or keyMask', { channel: { baseUrl: 'https://a.example.com' }, apiType: 'openai', state: 'open' }],
    ['a non-http baseUrl', { channel: { baseUrl: 'ftp://a.example.com', apiKey: 'k' }, apiType: 'openai', state: 'open' }],
    ['a bad time', { metricsKey: KEY_1, apiType: 'openai', state: 'open', openedAt: 'at noon' }],
  ];
  for (const [what, json] of invalid) {
    it(`answers 400 for ${what}`, async () => {
      expect((await put(json)).status).toBe(400);
      expect(await circuits()).toEqual([]);
    });
  }

  it('rejects a whole batch with one invalid state, naming its index', async () => {
    const error = expectError(
      await put([
        { metricsKey: KEY_1, apiType: 'openai', state: 'open' },
        { metricsKey: KEY_2, apiType: 'openai', state: 'sideways' },
      ]),
      400,
      'validation_failed',
    );
    expect(error.details).toContainEqual(expect.objectContaining({ index: 1, field: 'state' }));
    expect(await circuits()).toEqual([]);
    expect(await events()).toEqual([]);
  });
});

describe('GET /api/v1/circuits/events: the transition log', () => {
  it('logs every change of state, newest first, and nothing for a repeat', async () => {
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'closed', ts: T0 });
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'open', ts: T0 + MINUTE, reason: '5 failures' });
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'open', ts: T0 + 2 * MINUTE, consecutiveFailures: 6 });
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'half_open', ts: T0 + 3 * MINUTE });
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'closed', ts: new Date(T0 + 4 * MINUTE).toISOString() });
    const log = await events({ metricsKey: KEY_1 });
    expect(log.map((e) => [e.ts, e.from, e.to])).toEqual([
      [T0 + 4 * MINUTE, 'half_open', 'closed'],
      [T0 + 3 * MINUTE, 'open', 'half_open'],
      [T0 + MINUTE, 'closed', 'open'],
      [T0, null, 'closed'],
    ]);
    expect(log[2]).toMatchObject({ metricsKey: KEY_1, apiType: 'openai', reason: '5 failures' });
  });

  it('filters by metricsKey, apiType and time', async () => {
    await putOk([
      { metricsKey: KEY_1, apiType: 'openai', state: 'open', ts: T0 },
      { metricsKey: KEY_2, apiType: 'openai', state: 'open', ts: T0 + MINUTE },
      { metricsKey: KEY_1, apiType: 'anthropic', state: 'open', ts: T0 + 2 * MINUTE },
    ]);
    expect((await events({ metricsKey: KEY_1 })).map((e) => e.apiType).sort()).toEqual(['anthropic', 'openai']);
    expect((await events({ metricsKey: KEY_1, apiType: 'openai' })).map((e) => e.ts)).toEqual([T0]);
    expect((await events({ apiType: 'openai' })).map((e) => e.metricsKey)).toEqual([KEY_2, KEY_1]);
    expect((await events({ from: T0 + MINUTE })).map((e) => e.ts)).toEqual([T0 + 2 * MINUTE, T0 + MINUTE]);
    expect((await events({ from: new Date(T0).toISOString(), to: new Date(T0 + MINUTE).toISOString() })).map((e) => e.ts)).toEqual([T0]);
    expect(await events({ metricsKey: KEY_3 })).toEqual([]);
    expect((await events({ limit: 1 })).map((e) => e.ts)).toEqual([T0 + 2 * MINUTE]);
  });

  it('answers 400 for bad event queries', async () => {
    for (const query of [{ metricsKey: 'nope' }, { from: T0 + MINUTE, to: T0 }, { state: 'open' }, { limit: 0 }]) {
      expect((await server.call('GET', `/api/v1/circuits/events${qs(query)}`)).status, JSON.stringify(query)).toBe(400);
    }
  });
});

describe('POST /api/v1/circuits/{metricsKey}/reset', () => {
  it('closes an open circuit, clears its counters and logs the transition', async () => {
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'open', consecutiveFailures: 9, openedAt: T0, nextRetryAt: T0 + 60_000, backoffLevel: 3, ts: T0 });
    await putOk({ metricsKey: KEY_1, apiType: 'anthropic', state: 'open', ts: T0 });
    const answer = await server.call<Circuit>('POST', `/api/v1/circuits/${KEY_1}/reset?apiType=openai`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ metricsKey: KEY_1, apiType: 'openai', state: 'closed', consecutiveFailures: 0, openedAt: null, nextRetryAt: null, backoffLevel: 0 });
    expect(find(await circuits(), KEY_1, 'openai')!.state).toBe('closed');
    // The same key in another api type is a different circuit.
    expect(find(await circuits(), KEY_1, 'anthropic')!.state).toBe('open');
    const [latest] = await events({ metricsKey: KEY_1, apiType: 'openai' });
    expect(latest).toMatchObject({ from: 'open', to: 'closed', reason: 'manual reset' });
    expect(latest!.ts).toBeGreaterThanOrEqual(T0);
  });

  it('answers 404 for a circuit it does not know', async () => {
    expectError(await server.call('POST', `/api/v1/circuits/${KEY_3}/reset?apiType=openai`), 404, 'not_found');
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'open' });
    expectError(await server.call('POST', `/api/v1/circuits/${KEY_1}/reset?apiType=gemini`), 404, 'not_found');
  });

  it('answers 400 without apiType or with a malformed metricsKey', async () => {
    await putOk({ metricsKey: KEY_1, apiType: 'openai', state: 'open' });
    expect((await server.call('POST', `/api/v1/circuits/${KEY_1}/reset`)).status).toBe(400);
    expect((await server.call('POST', `/api/v1/circuits/not-a-key/reset?apiType=openai`)).status).toBe(400);
    expect(find(await circuits(), KEY_1, 'openai')!.state).toBe('open');
  });
});

describe('POST /api/v1/channels/delete', () => {
  it('removes the channels\' records and circuit states in one api type, nothing else', async () => {
    await putOk([
      { metricsKey: KEY_1, apiType: 'openai', state: 'open', ts: T0 },
      { metricsKey: KEY_2, apiType: 'openai', state: 'open', ts: T0 },
      { metricsKey: KEY_1, apiType: 'anthropic', state: 'half_open', ts: T0 },
    ]);
    await server.post('/api/v1/requests', [
      { ts: T0, model: 'm', apiType: 'openai', channel: KEY_1, inputTokens: 1 },
      { ts: T0 + 1, model: 'm', apiType: 'openai', channel: KEY_1, inputTokens: 2 },
      { ts: T0 + 2, model: 'm', apiType: 'openai', channel: KEY_2, inputTokens: 4 },
      { ts: T0 + 3, model: 'm', apiType: 'anthropic', channel: KEY_1, inputTokens: 8 },
    ]);

    const removed = await server.post<ChannelsDeleteResult>('/api/v1/channels/delete', { metricsKeys: [KEY_1], apiType: 'openai' });
    expect(removed).toEqual({ requests: 2, circuits: 1, circuitEvents: 1 });

    expect(find(await circuits(), KEY_1, 'openai')).toBeUndefined();
    expect(find(await circuits(), KEY_2, 'openai')?.state).toBe('open');
    expect(find(await circuits(), KEY_1, 'anthropic')?.state).toBe('half_open');
    const log = await server.get<RequestPage>(`/api/v1/requests${qs({ from: 0 })}`);
    expect(log.requests.map((r) => r.inputTokens).sort((a, b) => a - b)).toEqual([4, 8]);
    const summary = await server.get<Summary>(`/api/v1/summary${qs({ from: T0 - HOUR, to: T0 + HOUR })}`);
    expect(summary.totals).toMatchObject({ requests: 2, inputTokens: 12 });
    expect((await events({ metricsKey: KEY_1 })).map((e) => e.apiType)).toEqual(['anthropic']);
  });

  it('deletes several keys at once and answers zeros for unknown ones', async () => {
    await putOk([
      { metricsKey: KEY_1, apiType: 'openai', state: 'open' },
      { metricsKey: KEY_2, apiType: 'openai', state: 'open' },
    ]);
    expect(await server.post<ChannelsDeleteResult>('/api/v1/channels/delete', { metricsKeys: [KEY_1, KEY_2], apiType: 'openai' })).toMatchObject({ circuits: 2 });
    expect(await circuits()).toEqual([]);
    expect(await server.post<ChannelsDeleteResult>('/api/v1/channels/delete', { metricsKeys: [KEY_3], apiType: 'openai' })).toEqual({ requests: 0, circuits: 0, circuitEvents: 0 });
  });

  it('answers 400 for a bad body', async () => {
    for (const json of [{ metricsKeys: [], apiType: 'openai' }, { metricsKeys: [KEY_1] }, { metricsKeys: ['bad'], apiType: 'openai' }, { metricsKeys: [KEY_1], apiType: 'openai', all: true }]) {
      expect((await server.call('POST', '/api/v1/channels/delete', { json })).status, JSON.stringify(json)).toBe(400);
    }
  });
});
