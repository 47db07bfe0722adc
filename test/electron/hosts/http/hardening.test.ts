import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONNECTION_LIMITS } from '../../../../electron/hosts/http/limits.js';
import { MAX_CIRCUIT_UPDATES } from '../../../../shared/schemas/circuit.js';
import type { ErrorBody } from '../../../../shared/errors.js';
import type { Settings } from '../../../../shared/types.js';
import { expectError, type TestServer, useServerPerTest } from './helpers.js';

/**
 * Attacks on the HTTP server itself (issue 11, reliability.md "Attacks tried, and what happens"):
 * every one of these was reproduced against the server before its fix.
 */
let server: TestServer;
useServerPerTest((started) => (server = started));

const sockets: net.Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  vi.restoreAllMocks();
});

/** A raw connection to the server: what it answered and whether the server closed it. */
interface Raw {
  socket: net.Socket;
  received(): string;
  closed: Promise<void>;
}

async function connect(): Promise<Raw> {
  const port = Number(new URL(server.url).port);
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => text, closed };
}

/** The JSON error of a raw HTTP answer. */
function errorOf(raw: string): { status: number; error: ErrorBody } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  expect(raw).toMatch(/content-type: application\/json/i);
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return { status, error: (JSON.parse(body) as { error: ErrorBody }).error };
}

const within = (ms: number, what: Promise<void>) =>
  Promise.race([what.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('11.4 bodies are not read for callers who may not send them', () => {
  it('answers 401 to an unauthenticated 30 MiB upload before its body and closes the connection', async () => {
    const raw = await connect();
    raw.socket.write(`POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${30 * 1_048_576}\r\n\r\n`);
    raw.socket.write(Buffer.alloc(256 * 1024, 0x20));
    // Without the fix the server answered, then kept reading (and discarding) the 30 MiB.
    expect(await within(3_000, raw.closed)).toBe(true);
    const { status, error } = errorOf(raw.received());
    expect(status).toBe(401);
    expect(error.code).toBe('unauthorized');
  });

  it(`reads at most ${CONNECTION_LIMITS.maxLargeUploads} large bodies at once; one more waits, unread, and is answered once a place frees`, async () => {
    const holders: Raw[] = [];
    for (let i = 0; i < CONNECTION_LIMITS.maxLargeUploads; i++) {
      const raw = await connect();
      raw.socket.write(`POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[`);
      holders.push(raw);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const big = JSON.stringify(Array.from({ length: 2_000 }, (_, i) => ({ model: 'm', requestId: `r-${i}-${'x'.repeat(40)}` })));
    expect(big.length).toBeGreaterThan(CONNECTION_LIMITS.largeUploadBytes);
    let answered = false;
    const waiting = server.call('POST', '/api/v1/requests', { raw: big, contentType: 'application/json' }).then((response) => {
      answered = true;
      return response;
    });
    // Small bodies are never held back.
    expect((await server.call('POST', '/api/v1/requests', { json: { model: 'small' } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    // One holder goes: the waiting body is read, stored and answered.
    holders[0]!.socket.destroy();
    const response = await waiting;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ accepted: 2_000, duplicates: 0 });
    for (const raw of holders) raw.socket.destroy();
    await Promise.all(holders.map((raw) => raw.closed));
  });
});

describe('11.7 idle connections are closed', () => {
  it('closes a keep-alive connection that stays idle after its answer', async () => {
    const raw = await connect();
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    expect(await within(CONNECTION_LIMITS.keepAliveTimeoutMs + 3_000, raw.closed)).toBe(true);
    expect(raw.received()).toMatch(/^HTTP\/1\.1 200/);
  });

  it(
    'closes connections past the cap at once and idle ones that never send a request, so /healthz answers again',
    async () => {
      const extra = 40;
      const raws = await Promise.all(Array.from({ length: CONNECTION_LIMITS.maxConnections + extra }, () => connect()));
      const closedAtOnce = await Promise.all(raws.map((raw) => within(1_000, raw.closed)));
      expect(closedAtOnce.filter(Boolean).length).toBeGreaterThanOrEqual(extra);
      const idleLimit = CONNECTION_LIMITS.headersTimeoutMs + CONNECTION_LIMITS.checkIntervalMs + 2_000;
      const closedLater = await Promise.all(raws.map((raw) => within(idleLimit, raw.closed)));
      expect(closedLater.every(Boolean)).toBe(true);
      expect((await server.call('GET', '/healthz')).status).toBe(200);
    },
    40_000,
  );
});

describe('11.11 internal errors are logged with a request id the answer carries', () => {
  it('writes the error and its request id to stderr and answers the same id', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    vi.spyOn(server.core.service, 'getStorageInfo').mockRejectedValue(new Error('disk on fire'));
    const error = expectError(await server.call('GET', '/api/v1/storage'), 500, 'internal');
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const line = written.find((text) => text.includes('disk on fire'));
    expect(line).toBeDefined();
    expect(line).toContain(error.requestId!);
    expect(line).toContain('GET /api/v1/storage');
  });
});

describe('11.14 validation gaps', () => {
  it.each([
    ['minResults above windowSize in one patch', { breaker: { windowSize: 10, minResults: 20 } }, 'breaker.minResults'],
    ['baseBackoffSeconds above maxBackoffSeconds in one patch', { breaker: { baseBackoffSeconds: 600, maxBackoffSeconds: 60 } }, 'breaker.baseBackoffSeconds'],
  ])('refuses breaker settings with %s', async (_what, patch, field) => {
    const before = await server.get<Settings>('/api/v1/settings');
    const error = expectError(await server.call('PATCH', '/api/v1/settings', { json: patch }), 400, 'validation_failed');
    expect(error.details?.map((d) => d.field)).toContain(field);
    expect(await server.get<Settings>('/api/v1/settings')).toEqual(before);
  });

  it('refuses a patch that contradicts a stored breaker setting', async () => {
    await server.call('PATCH', '/api/v1/settings', { json: { breaker: { windowSize: 10, minResults: 5, maxBackoffSeconds: 120, baseBackoffSeconds: 30 } } });
    expectError(await server.call('PATCH', '/api/v1/settings', { json: { breaker: { windowSize: 4 } } }), 400, 'validation_failed');
    expectError(await server.call('PATCH', '/api/v1/settings', { json: { breaker: { maxBackoffSeconds: 10 } } }), 400, 'validation_failed');
    // Agreeing values are still taken, the stored ones included.
    expect((await server.call('PATCH', '/api/v1/settings', { json: { breaker: { windowSize: 5, maxBackoffSeconds: 30 } } })).status).toBe(200);
  });

  it.each([
    ['a right-to-left override', 'gpt\u202Eini-m'],
    ['an isolate', 'a\u2066b\u2069'],
    ['NUL', 'gpt\u0000'],
    ['a newline', 'gpt\nmini'],
    ['only a zero-width space', '\u200B'],
    ['only joiners and a BOM', '\u200D\uFEFF\u2060'],
    ['only a Hangul filler', '\u3164'],
    ['only a combining mark', '\u0301'],
  ])('refuses a model name with %s, in records, runs and prices', async (_what, model) => {
    const error = expectError(await server.call('POST', '/api/v1/requests', { json: { model } }), 400, 'validation_failed');
    expect(error.details?.[0]?.field).toBe('model');
    expectError(await server.call('POST', '/api/v1/runs', { json: { model, event: 'start' } }), 400, 'validation_failed');
    expect((await server.get<{ requests: unknown[] }>('/api/v1/requests')).requests).toEqual([]);
  });

  it('still takes names in any script, with emoji and joiners between visible characters', async () => {
    for (const model of ['模型-ü', 'Qwen/Qwen3-32B', '👩\u200D💻-coder', 'العربية']) {
      expect((await server.call('POST', '/api/v1/requests', { json: { model } })).status, model).toBe(200);
    }
  });

  it('answers a URL with a broken percent-escape in the JSON error shape', async () => {
    const answer = await server.call('GET', '/api/v1/pricing/%E0%A4%A');
    expectError(answer, 400, 'bad_request');
  });

  it('answers bytes that are not HTTP in the JSON error shape', async () => {
    const raw = await connect();
    raw.socket.write('HELLO THERE\r\n\r\n');
    await within(3_000, raw.closed);
    const { status, error } = errorOf(raw.received());
    expect(status).toBe(400);
    expect(error.code).toBe('bad_request');
  });

  it('answers a URL longer than the header limit with a JSON 413, not a reset', async () => {
    const raw = await connect();
    let reset = false;
    raw.socket.on('error', () => (reset = true));
    raw.socket.write(`GET /api/v1/pricing/${'a'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await within(4_000, raw.closed);
    expect(reset).toBe(false);
    const { status, error } = errorOf(raw.received());
    expect(status).toBe(413);
    expect(error.code).toBe('payload_too_large');
  });
});

describe('12.15 a JSON content type with no body', () => {
  const asJson = { raw: '', contentType: 'application/json' };

  it('is fine on routes that take no body: circuit reset, deleting a model', async () => {
    await server.put('/api/v1/circuits', { metricsKey: 'abcdefabcdefabcd', apiType: 'openai', state: 'open' });
    const reset = await server.call('POST', '/api/v1/circuits/abcdefabcdefabcd/reset?apiType=openai', asJson);
    expect(reset.status, reset.text).toBe(200);
    await server.post('/api/v1/requests', { model: 'gone' });
    const deleted = await server.call('DELETE', '/api/v1/models/gone', asJson);
    expect(deleted.status, deleted.text).toBe(200);
  });

  it.each([
    ['POST', '/api/v1/requests'],
    ['POST', '/api/v1/runs'],
    ['PUT', '/api/v1/circuits'],
    ['PATCH', '/api/v1/settings'],
    ['PUT', '/api/v1/pricing/m'],
  ])('%s %s still says the body is missing', async (method, route) => {
    for (const options of [asJson, {}]) {
      const error = expectError(await server.call(method, route, options), 400, 'bad_request');
      expect(error.message).toMatch(/body is empty/);
    }
  });
});

describe('11.5 no single legal request holds the server', () => {
  it(`refuses more than ${MAX_CIRCUIT_UPDATES} circuit states in one PUT and stores none`, async () => {
    const circuits = Array.from({ length: MAX_CIRCUIT_UPDATES + 1 }, (_, i) => ({ metricsKey: i.toString(16).padStart(16, '0'), apiType: 'openai', state: 'open' }));
    expectError(await server.call('PUT', '/api/v1/circuits', { json: circuits }), 413, 'payload_too_large');
    expect(await server.get('/api/v1/circuits')).toEqual([]);
  });

  it('answers a PUT of circuit states with counts, not an echo of every state', async () => {
    const circuits = Array.from({ length: 3 }, (_, i) => ({ metricsKey: i.toString(16).padStart(16, '0'), apiType: 'openai', state: i === 0 ? 'closed' : 'open' }));
    expect((await server.call('PUT', '/api/v1/circuits', { json: circuits })).body).toEqual({ updated: 3, changed: 3 });
    circuits[1]!.state = 'half_open';
    expect((await server.call('PUT', '/api/v1/circuits', { json: circuits })).body).toEqual({ updated: 3, changed: 1 });
  });

  it('refuses 10 MB of nested brackets by size, and deep nesting within the size limit before parsing it', async () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expectError(await server.call('POST', '/api/v1/requests', { raw: nested(5_000_000), contentType: 'application/json' }), 413, 'payload_too_large');
    const started = performance.now();
    const error = expectError(await server.call('POST', '/api/v1/requests', { raw: nested(1_000_000), contentType: 'application/json' }), 413, 'payload_too_large');
    expect(error.message).toMatch(/nested deeper/);
    // JSON.parse took over a second for this body; the shape check is one pass.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
