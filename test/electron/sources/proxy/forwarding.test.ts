import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { metricsKey } from '../../../../electron/ledger/channels/metrics-key.js';
import { startFakeUpstream, type FakeUpstream } from './support/upstreams.js';
import { chatBody, rawRequest, startScriptedUpstream, type ProxyServer, type ScriptedUpstream, useProxyServerPerTest } from './harness.js';

let server: ProxyServer;
const track = useProxyServerPerTest(
  (started) => (server = started),
  () => server,
);

describe('metering proxy: pass-through', () => {
  it('passes a JSON answer through byte for byte, with its status and headers, and records its usage', async () => {
    const answer = JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-test-2025',
      choices: [{ index: 0, message: { role: 'assistant', content: 'héllo' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, prompt_tokens_details: { cached_tokens: 40 } },
    });
    const upstream = track(
      await startScriptedUpstream((_request, response) => {
        // Names' case, a repeated header and an odd status text must all come through (cookies excepted).
        response.writeHead(201, 'Made It', ['Content-Type', 'application/json', 'X-Upstream-Trace', 'abc', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
        response.end(answer);
      }),
    );
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: `${upstream.url}/base` }] });

    const got = await rawRequest(`${server.url}/r/main/v1/chat/completions`, { body: chatBody(), headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client-key-0001' } });

    expect(got.status).toBe(201);
    expect(got.statusMessage).toBe('Made It');
    expect(got.text).toBe(answer);
    expect(got.rawHeaders).toEqual(expect.arrayContaining(['X-Upstream-Trace', 'abc']));
    // Cookies would land on 127.0.0.1 for every local app: never passed back (hardening.test.ts).
    expect(got.headers['set-cookie']).toBeUndefined();
    expect(upstream.requests[0]!.url).toBe('/base/v1/chat/completions');

    const [record] = await server.records(1);
    expect(record).toMatchObject({
      model: 'gpt-test',
      apiType: 'openai',
      inputTokens: 60,
      cacheReadTokens: 40,
      outputTokens: 7,
      success: true,
      failureClass: null,
      statusCode: 201,
      ttftMs: null,
      channel: metricsKey(`${upstream.url}/base`, 'sk-client-key-0001'),
      source: 'proxy:main',
    });
    expect(record!.latencyMs).toBeGreaterThanOrEqual(0);
    // Written once, in-process: no idempotency key is spent on it.
    expect(record!.requestId).toBeNull();
  });

  it('forwards SSE chunks as they arrive, before the upstream has finished', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = 'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n';
    const rest = [
      'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n',
      'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}}\n\n',
      'data: [DONE]\n\n',
    ];
    let upstreamFinished = false;
    const upstream = track(
      await startScriptedUpstream(async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        response.write(first);
        await held;
        for (const chunk of rest) response.write(chunk);
        upstreamFinished = true;
        response.end();
      }),
    );
    await server.saveRoute('stream', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });

    let sawFirstWhileHeld = false;
    const got = await rawRequest(`${server.url}/r/stream/v1/chat/completions`, {
      body: chatBody({ stream: true }),
      headers: { 'content-type': 'application/json' },
      onChunk: (chunk) => {
        if (chunk.toString().includes('"Hel"') && !upstreamFinished) {
          sawFirstWhileHeld = true;
          release();
        }
      },
    });

    expect(sawFirstWhileHeld).toBe(true);
    expect(got.status).toBe(200);
    expect(got.complete).toBe(true);
    expect(got.text).toBe(first + rest.join(''));
    expect(got.headers['content-type']).toBe('text/event-stream');
    const [record] = await server.records(1);
    expect(record).toMatchObject({ success: true, inputTokens: 12, outputTokens: 2, statusCode: 200 });
    expect(record!.ttftMs).not.toBeNull();
    expect(record!.ttftMs!).toBeLessThanOrEqual(record!.latencyMs!);
  });

  it('passes the headers on at once when the upstream sends them alone, before its first chunk', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const upstream = track(
      await startScriptedUpstream(async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.flushHeaders();
        // The body waits until the client has the headers: a proxy holding them back would wait forever.
        await held;
        response.end('data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\ndata: [DONE]\n\n');
      }),
    );
    await server.saveRoute('early', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const target = new URL(`${server.url}/r/early/v1/chat/completions`);
    const body = Buffer.from(chatBody({ stream: true }));
    const text = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the headers did not arrive before the first chunk')), 5_000);
      const request = http.request(
        { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
        (response) => {
          clearTimeout(timer);
          expect(response.headers['content-type']).toBe('text/event-stream');
          release();
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    release();
    expect(text).toContain('[DONE]');
    const [record] = await server.records(1);
    expect(record).toMatchObject({ success: true, inputTokens: 3, outputTokens: 1 });
  });

  it('passes every protocol fake answer through and records the tokens the upstream reported', async () => {
    const fake: FakeUpstream = track(await startFakeUpstream({ usage: { inputTokens: 50, outputTokens: 9, cacheReadTokens: 20, cacheWriteTokens: 0 } }));
    await server.saveRoute('claude', { protocol: 'anthropic', channels: [{ baseUrl: fake.url }] });
    const body = JSON.stringify({ model: 'claude-test', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const got = await rawRequest(`${server.url}/r/claude/v1/messages`, { body, headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-client-0001', 'anthropic-version': '2023-06-01' } });
    expect(got.status).toBe(200);
    expect(got.text).toContain('event: message_stop');
    expect(fake.requests[0]!.headers['x-api-key']).toBe('sk-ant-client-0001');
    expect(fake.requests[0]!.headers['anthropic-version']).toBe('2023-06-01');
    const [record] = await server.records(1);
    const reported = fake.reported[0]!.usage!;
    expect(record).toMatchObject({ model: 'claude-test', apiType: 'anthropic', success: true, ...reported, channel: metricsKey(fake.url, 'sk-ant-client-0001') });
  });

  it('forwards method, path, query and end-to-end headers; drops hop-by-hop ones and sets Host to the upstream', async () => {
    const upstream: ScriptedUpstream = track(
      await startScriptedUpstream((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"data":[]}');
      }),
    );
    await server.saveRoute('q', { protocol: 'openai', channels: [{ baseUrl: `${upstream.url}/v1` }] });
    const got = await rawRequest(`${server.url}/r/q/models?limit=5&after=a%2Fb`, {
      method: 'GET',
      headers: { 'x-custom': 'kept', 'openai-organization': 'org-1', connection: 'keep-alive, x-hop', 'x-hop': 'dropped', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-authorization': 'Basic abc' },
    });
    expect(got.status).toBe(200);
    const seen = upstream.requests[0]!;
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/v1/models?limit=5&after=a%2Fb');
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers['openai-organization']).toBe('org-1');
    expect(seen.headers['host']).toBe(new URL(upstream.url).host);
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-authorization']) expect(seen.headers[name], name).toBeUndefined();
  });

  it('sends a non-JSON body untouched (the API JSON parser does not apply)', async () => {
    const upstream = track(
      await startScriptedUpstream((_request, response, body) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.end(body);
      }),
    );
    await server.saveRoute('bin', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 13, 10]);
    const got = await rawRequest(`${server.url}/r/bin/v1/audio/transcriptions`, { body: bytes, headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
    expect(upstream.requests[0]!.headers['content-type']).toBe('multipart/form-data; boundary=x');
  });

  it('answers 404 for an unknown or disabled route, 400 for dot segments', async () => {
    const upstream = track(await startScriptedUpstream((_request, response) => void response.end('x')));
    await server.saveRoute('off', { protocol: 'openai', enabled: false, channels: [{ baseUrl: upstream.url }] });
    for (const route of ['nope', 'off']) {
      const got = await rawRequest(`${server.url}/r/${route}/v1/models`);
      expect(got.status, route).toBe(404);
      expect(JSON.parse(got.text)).toMatchObject({ error: { code: 'not_found' } });
    }
    await server.saveRoute('on', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    for (const path of ['/r/on/v1/%2e%2e/admin', '/r/on/v1/../admin', '/r/on/./v1']) {
      const climbing = await rawRequest(server.url, { path });
      expect(climbing.status, path).toBe(400);
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('metering proxy: who may call it', () => {
  it('refuses a Host that is not loopback (DNS rebinding) and a foreign Origin, accepts loopback ones', async () => {
    const upstream = track(await startScriptedUpstream((_request, response) => void response.end('{}')));
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const url = `${server.url}/r/main/v1/models`;

    const rebound = await rawRequest(url, { headers: { host: `evil.example:${server.port}` } });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text)).toMatchObject({ error: { code: 'forbidden' } });
    expect((await rawRequest(url, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await rawRequest(url, { headers: { origin: 'null' } })).status).toBe(403);
    expect(upstream.requests).toHaveLength(0);

    expect((await rawRequest(url, { headers: { host: `localhost:${server.port}` } })).status).toBe(200);
    expect((await rawRequest(url, { headers: { host: `[::1]:${server.port}`, origin: 'http://localhost:5173' } })).status).toBe(200);
    expect(upstream.requests).toHaveLength(2);
  });

  it('demands the ModelMeter token when the app holds the key, and puts the key where each protocol wants it', async () => {
    const upstream = track(
      await startScriptedUpstream((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      }),
    );
    const channel = { baseUrl: upstream.url, apiKey: 'sk-held-by-the-app-0001' };
    await server.saveRoute('oa', { protocol: 'openai', channels: [channel] });
    await server.saveRoute('an', { protocol: 'anthropic', channels: [channel] });
    await server.saveRoute('ge', { protocol: 'gemini', channels: [channel] });
    await server.saveRoute('ol', { protocol: 'ollama', channels: [channel] });

    const noToken = await rawRequest(`${server.url}/r/oa/v1/chat/completions`, { body: chatBody(), headers: { authorization: 'Bearer sk-someone-else' } });
    expect(noToken.status).toBe(401);
    expect(JSON.parse(noToken.text)).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await rawRequest(`${server.url}/r/oa/v1/chat/completions`, { body: chatBody() })).status).toBe(401);
    expect(upstream.requests).toHaveLength(0);

    const t = server.token;
    expect((await rawRequest(`${server.url}/r/oa/v1/chat/completions`, { body: chatBody(), headers: { authorization: `Bearer ${t}` } })).status).toBe(200);
    expect((await rawRequest(`${server.url}/r/an/v1/messages`, { body: chatBody(), headers: { 'x-api-key': t } })).status).toBe(200);
    expect((await rawRequest(`${server.url}/r/ge/v1beta/models/gemini-x:generateContent?key=${t}&alt=json`, { body: '{}' })).status).toBe(200);
    expect((await rawRequest(`${server.url}/r/ol/api/chat`, { body: chatBody(), headers: { authorization: `Bearer ${t}` } })).status).toBe(200);

    const [oa, an, ge, ol] = upstream.requests;
    expect(oa!.headers['authorization']).toBe('Bearer sk-held-by-the-app-0001');
    expect(an!.headers['x-api-key']).toBe('sk-held-by-the-app-0001');
    expect(an!.headers['authorization']).toBeUndefined();
    expect(ge!.headers['x-goog-api-key']).toBe('sk-held-by-the-app-0001');
    expect(ge!.url).toBe('/v1beta/models/gemini-x:generateContent?alt=json');
    expect(ol!.headers['authorization']).toBe('Bearer sk-held-by-the-app-0001');
    // The token itself never leaves for an upstream.
    for (const request of upstream.requests) expect(JSON.stringify(request.headers) + request.url).not.toContain(t);

    const records = await server.records(4);
    expect(new Set(records.map((record) => record.channel))).toEqual(new Set([metricsKey(upstream.url, 'sk-held-by-the-app-0001')]));
    const circuits = await server.circuits();
    expect(circuits.map((circuit) => circuit.keyMask)).toEqual(['sk-h…0001', 'sk-h…0001', 'sk-h…0001', 'sk-h…0001']);
    expect(circuits[0]!.baseUrl).toBe(upstream.url);
  });

  it('passes the client credential through untouched when the app holds no key; each key is its own channel', async () => {
    const upstream = track(
      await startScriptedUpstream((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      }),
    );
    await server.saveRoute('open', { protocol: 'openai', channels: [{ baseUrl: upstream.url, label: 'local' }] });
    await rawRequest(`${server.url}/r/open/v1/chat/completions`, { body: chatBody(), headers: { authorization: 'Bearer sk-alice-000000001' } });
    await rawRequest(`${server.url}/r/open/v1/chat/completions`, { body: chatBody(), headers: { authorization: 'Bearer sk-bob-0000000000002' } });
    expect(upstream.requests.map((request) => request.headers['authorization'])).toEqual(['Bearer sk-alice-000000001', 'Bearer sk-bob-0000000000002']);
    const records = await server.records(2);
    expect(records.map((record) => record.channel)).toEqual([metricsKey(upstream.url, 'sk-alice-000000001'), metricsKey(upstream.url, 'sk-bob-0000000000002')]);
    const circuits = await server.circuits();
    expect(circuits.map((circuit) => circuit.label)).toEqual(['local', 'local']);
  });
});
