import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../../../electron/hosts/http/errors.js';
import { MAX_FORWARD_REQUESTS, type ForwardBatchResult, type HostInfo } from '../../../../shared/schemas/forwarding.js';
import type { RequestPage, Summary } from '../../../../shared/types.js';
import { parseCsv } from './csv.js';
import { expectError, startServer, type TestServer } from './helpers.js';

/** POST /forward and GET /hosts over HTTP, on a real core: size limits, auth, errors, the host filters. */

const DAY0 = Date.now() - 3 * 3_600_000;

/** A forwarded record as a sender holds it: every optional field filled, so the body is as large as they come. */
function fullRecord(i: number): Record<string, unknown> {
  return {
    ts: DAY0 + i * 100,
    model: 'Qwen3-Coder-30B-A3B-Instruct-UD-Q4_K_XL',
    apiType: 'openai',
    provider: 'openai',
    inputTokens: 1200 + i,
    outputTokens: 350,
    cacheReadTokens: 4096,
    cacheWriteTokens: 512,
    cacheWrite1hTokens: 256,
    success: true,
    statusCode: 200,
    latencyMs: 2400,
    ttftMs: 380,
    channel: '00000000000000aa',
    source: 'proxy:local-coder',
    requestId: `gpu-box:req-${i}-${'x'.repeat(40)}`,
    project: `/home/someone/src/projects/a-rather-long-project-folder-name-${i % 12}`,
    branch: 'feature/forwarding-between-modelmeters',
    sessionId: `0b7c4f1e-6a7d-4a8e-9a3c-${String(i).padStart(12, '0')}`,
    responseId: `chatcmpl-${String(i).padStart(8, '0')}-${'y'.repeat(24)}`,
  };
}

describe('POST /forward and GET /hosts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('takes a full batch of 5,000 records, larger than other bodies may be, once', async () => {
    const requests = Array.from({ length: MAX_FORWARD_REQUESTS }, (_, i) => fullRecord(i));
    const body = { host: 'gpu-box', requests, runs: [{ originId: 1, model: 'Qwen3-32B', startAt: DAY0, endAt: null, lastSeenAt: DAY0 + 60_000 }] };
    const text = JSON.stringify(body);
    expect(text.length).toBeGreaterThan(BODY_LIMIT);
    const first = await server.call<ForwardBatchResult>('POST', '/api/v1/forward', { raw: text, contentType: 'application/json' });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ host: 'gpu-box', requests: { accepted: MAX_FORWARD_REQUESTS, duplicates: 0 }, runs: 1, circuits: 0 });
    const again = await server.call<ForwardBatchResult>('POST', '/api/v1/forward', { raw: text, contentType: 'application/json' });
    expect(again.body.requests).toEqual({ accepted: 0, duplicates: MAX_FORWARD_REQUESTS });

    const hosts = await server.get<HostInfo[]>('/api/v1/hosts');
    expect(hosts.map((host) => [host.name, host.requests])).toEqual([
      [null, 0],
      ['gpu-box', MAX_FORWARD_REQUESTS],
    ]);
    const summary = await server.get<Summary>('/api/v1/summary?range=24h&host=gpu-box');
    expect(summary.totals.requests).toBe(MAX_FORWARD_REQUESTS);
    expect(summary.byHost?.map((row) => [row.host, row.requests])).toEqual([['gpu-box', MAX_FORWARD_REQUESTS]]);
    const local = await server.get<Summary>('/api/v1/summary?range=24h&host=%40local');
    expect(local.totals.requests).toBe(0);
    const page = await server.get<RequestPage>('/api/v1/requests?host=gpu-box&limit=2');
    expect(page.requests.map((row) => row.host)).toEqual(['gpu-box', 'gpu-box']);

    const csv = await server.call<string>('GET', '/api/v1/export?format=csv&host=gpu-box');
    const table = parseCsv(csv.text);
    expect(table[0]!.at(-1)).toBe('host');
    expect(table.slice(1).filter((row) => row.length > 1).every((row) => row.at(-1) === 'gpu-box')).toBe(true);
  });

  it('still refuses what is past the forward limit, and other routes keep their 2 MiB', async () => {
    const big = JSON.stringify({ host: 'gpu-box', requests: [{ model: 'm', requestId: 'r', source: 'z'.repeat(4 * BODY_LIMIT) }] });
    expectError(await server.call('POST', '/api/v1/forward', { raw: big, contentType: 'application/json' }), 413, 'payload_too_large');
    const ingest = JSON.stringify(Array.from({ length: 5_000 }, (_, i) => fullRecord(i)));
    expect(ingest.length).toBeGreaterThan(BODY_LIMIT);
    expectError(await server.call('POST', '/api/v1/requests', { raw: ingest, contentType: 'application/json' }), 413, 'payload_too_large');
  });

  it('needs the token, a body and valid fields', async () => {
    expectError(await server.call('POST', '/api/v1/forward', { json: { host: 'x' }, authorization: null }), 401, 'unauthorized');
    expectError(await server.call('GET', '/api/v1/hosts', { authorization: null }), 401, 'unauthorized');
    expectError(await server.call('POST', '/api/v1/forward', {}), 400, 'bad_request');
    const noId = expectError(await server.call('POST', '/api/v1/forward', { json: { host: 'lab', requests: [{ model: 'm' }] } }), 400, 'validation_failed');
    expect(noId.message).toContain('forwarded requests must carry a requestId');
    const badRun = expectError(await server.call('POST', '/api/v1/forward', { json: { host: 'lab', runs: [{ originId: 1, model: 'm', startAt: 'soon', endAt: null, lastSeenAt: 1 }] } }), 400, 'validation_failed');
    expect(badRun.message).toContain('runs.0.startAt');
    const both = expectError(await server.call('GET', '/api/v1/summary?host=lab&project=%2Fsrc'), 400, 'bad_request');
    expect(both.message).toContain('project and host cannot be combined');
    // Nothing of the refused batches was stored.
    expect((await server.get<HostInfo[]>('/api/v1/hosts')).map((host) => host.name)).not.toContain('lab');
  });
});
