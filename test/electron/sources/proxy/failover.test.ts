import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsKey } from '../../../../electron/ledger/channels/metrics-key.js';
import type { FailureClass } from '../../../../shared/schemas/request-record.js';
import { startFakeUpstream, type Fault, type FakeUpstream } from './support/upstreams.js';
import { chatBody, rawRequest, refusedUrl, removeDataDir, startProxyServer, type ProxyServer } from './harness.js';

let server: ProxyServer;
let a: FakeUpstream;
let b: FakeUpstream;

beforeEach(async () => {
  server = await startProxyServer();
  a = await startFakeUpstream();
  b = await startFakeUpstream();
});
afterEach(async () => {
  await server.close();
  await Promise.all([a.close(), b.close()]);
  removeDataDir(server.dataDir);
});

const chat = (route = 'main') => rawRequest(`${server.url}/r/${route}/v1/chat/completions`, { body: chatBody(), headers: { 'content-type': 'application/json' } });
const keyOf = (url: string) => metricsKey(url, '');

describe('metering proxy: failover before the first byte', () => {
  const retryable: { name: string; fault: Fault; failureClass: FailureClass; status: number | null }[] = [
    { name: '500', fault: { kind: 'status', status: 500 }, failureClass: 'retryable', status: 500 },
    { name: '503', fault: { kind: 'status', status: 503 }, failureClass: 'retryable', status: 503 },
    { name: '429 rate limit', fault: { kind: 'status', status: 429 }, failureClass: 'retryable', status: 429 },
    { name: '529 overloaded', fault: { kind: 'status', status: 529 }, failureClass: 'overloaded', status: 529 },
    { name: 'a reset before the headers', fault: { kind: 'reset-before-headers' }, failureClass: 'retryable', status: null },
  ];
  for (const { name, fault, failureClass, status } of retryable) {
    it(`moves to the next channel on ${name}, and records both attempts`, async () => {
      await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: a.url, label: 'first' }, { baseUrl: b.url, label: 'second' }] });
      a.setFault(fault);
      const got = await chat();
      expect(got.status).toBe(200);
      expect(JSON.parse(got.text)).toMatchObject({ object: 'chat.completion' });
      expect(a.requests).toHaveLength(1);
      expect(b.requests).toHaveLength(1);
      const records = await server.records(2);
      expect(records.map((r) => [r.channel, r.success, r.failureClass, r.statusCode])).toEqual([
        [keyOf(a.url), false, failureClass, status],
        [keyOf(b.url), true, null, 200],
      ]);
      expect(records[1]!.inputTokens).toBe(b.reported[0]!.usage!.inputTokens);
      expect(server.logs.some((line) => line.includes('first failed') && line.includes('trying second'))).toBe(true);
    });
  }

  it('moves on when the connection is refused', async () => {
    const dead = await refusedUrl();
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: dead }, { baseUrl: b.url }] });
    const got = await chat();
    expect(got.status).toBe(200);
    const records = await server.records(2);
    expect(records.map((r) => [r.channel, r.failureClass, r.statusCode])).toEqual([
      [keyOf(dead), 'retryable', null],
      [keyOf(b.url), null, 200],
    ]);
  });

  it('moves on when no headers come within the route timeout', async () => {
    await server.saveRoute('main', { protocol: 'openai', timeoutSeconds: 1, channels: [{ baseUrl: a.url }, { baseUrl: b.url }] });
    a.setFault({ kind: 'hang' });
    const started = Date.now();
    const got = await chat();
    expect(got.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const records = await server.records(2);
    expect(records[0]).toMatchObject({ channel: keyOf(a.url), success: false, failureClass: 'retryable', statusCode: null });
    expect(records[0]!.latencyMs).toBeGreaterThanOrEqual(950);
  });

  it('does not fail over on a 400: the client gets it as it is', async () => {
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: a.url }, { baseUrl: b.url }] });
    const body = '{"error":{"message":"bad messages","type":"invalid_request_error"}}';
    a.setFault({ kind: 'status', status: 400, body });
    const got = await chat();
    expect(got.status).toBe(400);
    expect(got.text).toBe(body);
    expect(b.requests).toHaveLength(0);
    const [record] = await server.records(1);
    expect(record).toMatchObject({ success: false, failureClass: 'non_retryable', statusCode: 400 });
    expect((await server.circuit(keyOf(a.url)))!.consecutiveFailures).toBe(0);
  });

  it('a 429 that says the quota is used up is `quota`: it fails over but never trips the breaker', async () => {
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: a.url }, { baseUrl: b.url }] });
    const body = JSON.stringify({ error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } });
    a.setFault({ kind: 'status', status: 429, body });
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    const records = await server.records(12);
    expect(records.filter((r) => r.channel === keyOf(a.url)).map((r) => r.failureClass)).toEqual(Array(6).fill('quota'));
    const circuit = await server.circuit(keyOf(a.url));
    expect(circuit).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(a.requests).toHaveLength(6);
  });

  it('when every channel fails with an answer, the client gets the last one', async () => {
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: a.url }, { baseUrl: b.url }] });
    a.setFault({ kind: 'status', status: 500, body: '{"error":"a is down"}' });
    b.setFault({ kind: 'status', status: 503, body: '{"error":"b is down"}', headers: { 'retry-after': '7' } });
    const got = await chat();
    expect(got.status).toBe(503);
    expect(got.text).toBe('{"error":"b is down"}');
    expect(got.headers['retry-after']).toBe('7');
    expect((await server.records(2)).map((r) => r.statusCode)).toEqual([500, 503]);
  });

  it('when no channel answers at all, the client gets 502 naming the channels (504 on a timeout)', async () => {
    const dead1 = await refusedUrl();
    const dead2 = await refusedUrl();
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: dead1, label: 'alpha' }, { baseUrl: dead2, label: 'beta' }] });
    const got = await chat();
    expect(got.status).toBe(502);
    const error = (JSON.parse(got.text) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('bad_gateway');
    expect(error.message).toContain('alpha: connection refused');
    expect(error.message).toContain('beta: connection refused');

    await server.saveRoute('slow', { protocol: 'openai', timeoutSeconds: 1, channels: [{ baseUrl: a.url, label: 'gamma' }] });
    a.setFault({ kind: 'hang' });
    const late = await chat('slow');
    expect(late.status).toBe(504);
    expect(JSON.parse(late.text)).toMatchObject({ error: { code: 'gateway_timeout' } });
  });
});

describe('metering proxy: after the first byte', () => {
  it('an upstream reset mid-stream breaks the client stream (no clean end) and records a retryable failure', async () => {
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: a.url }, { baseUrl: b.url }] });
    a.setFault({ kind: 'reset-mid-stream', afterChunks: 2 });
    const got = await rawRequest(`${server.url}/r/main/v1/chat/completions`, { body: chatBody({ stream: true }), headers: { 'content-type': 'application/json' } });
    expect(got.status).toBe(200);
    expect(got.complete).toBe(false);
    expect(got.text).toContain('data: ');
    expect(b.requests).toHaveLength(0);
    const [record] = await server.records(1);
    expect(record).toMatchObject({ channel: keyOf(a.url), success: false, failureClass: 'retryable', statusCode: 200 });
    expect((await server.circuit(keyOf(a.url)))!.consecutiveFailures).toBe(1);
  });

  it('a stream that stalls longer than the timeout is cut and recorded as retryable', async () => {
    await server.saveRoute('main', { protocol: 'openai', timeoutSeconds: 1, channels: [{ baseUrl: a.url }] });
    a.setFault({ kind: 'slow-chunks', delayMs: 1_500 });
    const got = await rawRequest(`${server.url}/r/main/v1/chat/completions`, { body: chatBody({ stream: true }), headers: { 'content-type': 'application/json' } });
    expect(got.complete).toBe(false);
    const [record] = await server.records(1);
    expect(record).toMatchObject({ success: false, failureClass: 'retryable', statusCode: 200 });
    expect(server.logs.some((line) => line.includes('no data for 1 s'))).toBe(true);
  });

  it('a malformed SSE stream passes through unchanged; its usage is unknown (zero tokens)', async () => {
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: a.url }] });
    a.setFault({ kind: 'malformed-sse' });
    const got = await rawRequest(`${server.url}/r/main/v1/chat/completions`, { body: chatBody({ stream: true }), headers: { 'content-type': 'application/json' } });
    expect(got.status).toBe(200);
    expect(got.complete).toBe(true);
    expect(got.text).toBe(
      ['this is not an event line\n', 'data: {"id":"x","choices":[{"delta":{"content":"Hel\n\n', 'data: not json at all\n\n', ':\n\nevent\ndata\n\n', 'data: [DONE]\n\n'].join(''),
    );
    const [record] = await server.records(1);
    expect(record).toMatchObject({ success: true, model: 'gpt-test', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });
});
