import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { proxyTokenFor } from '../../../../electron/sources/proxy/proxy-token.js';
import { KEY_FILE } from '../../../../electron/sources/secrets/key-vault.js';
import { chatBody, rawRequest, refusedUrl, startProxyServer, startScriptedUpstream, type ProxyServer, type ScriptedUpstream, useProxyServerPerTest } from './harness.js';

/** Attacks on the metering proxy (issue 11), each replayed against real loopback upstreams. */

let server: ProxyServer;
const track = useProxyServerPerTest(
  (started) => (server = started),
  () => server,
);
const jsonUpstream = async (): Promise<ScriptedUpstream> =>
  track(
    await startScriptedUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    }),
  );

/**
 * Sends a request head announcing `declared` body bytes but only `sent` of them, and answers what the
 * server replied before the rest came (or null when it waited for the body, as a buffering server does).
 */
function headThenStall(port: number, head: string, sent: number, waitMs: number): Promise<{ answer: string | null; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer: answer || null, closed });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('end', () => {
      closed = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: answer || null, closed });
    });
    socket.on('error', reject);
    socket.write(head);
    socket.write(Buffer.alloc(sent, 0x61));
  });
}

describe('hardening: a caller without the token', () => {
  it('gets 401 before the body is read, and the connection closes instead of draining the upload (11.4)', async () => {
    const upstream = await jsonUpstream();
    await server.saveRoute('held', { protocol: 'openai', channels: [{ baseUrl: upstream.url, apiKey: 'sk-held-0000000000001' }] });
    const declared = 30 * 1024 * 1024;
    const head = `POST /r/held/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`;
    const { answer, closed } = await headThenStall(server.port, head, 64 * 1024, 3_000);
    expect(answer, 'answered while the upload was still coming').not.toBeNull();
    expect(answer!).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer!.toLowerCase()).toContain('connection: close');
    expect(closed).toBe(true);
    expect(upstream.requests).toHaveLength(0);
  });

  it('is refused the same way with a chunked upload', async () => {
    const upstream = await jsonUpstream();
    await server.saveRoute('held', { protocol: 'openai', channels: [{ baseUrl: upstream.url, apiKey: 'sk-held-0000000000001' }] });
    const head = `POST /r/held/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n`;
    const { answer, closed } = await headThenStall(server.port, head, 1000, 3_000);
    expect(answer ?? '').toMatch(/^HTTP\/1\.1 401 /);
    expect(closed).toBe(true);
  });
});

describe('hardening: web pages', () => {
  it('refuses Sec-Fetch-Site cross-site and same-site before the upstream sees anything (11.8)', async () => {
    const upstream = await jsonUpstream();
    await server.saveRoute('open', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const url = `${server.url}/r/open/v1/models`;
    for (const site of ['cross-site', 'same-site']) {
      const got = await rawRequest(url, { headers: { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' } });
      expect(got.status, site).toBe(403);
      expect(JSON.parse(got.text)).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect(upstream.requests).toHaveLength(0);
    // The app's own dashboard (same-origin) and a typed address (none) still work.
    expect((await rawRequest(url, { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
    expect((await rawRequest(url, { headers: { 'sec-fetch-site': 'none' } })).status).toBe(200);
    await server.records(2);
  });

  it('sends every proxied answer sandboxed and unsniffable, an HTML one included (11.8)', async () => {
    const page = '<html><script>fetch("/api/v1/routes")</script></html>';
    let status = 200;
    const upstream = track(
      await startScriptedUpstream((_request, response) => {
        response.writeHead(status, ['Content-Type', 'text/html', 'X-Content-Type-Options', 'whatever']);
        response.end(page);
      }),
    );
    await server.saveRoute('open', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const passed = await rawRequest(`${server.url}/r/open/page`);
    status = 503; // a failed answer is kept and replayed at the end: the same headers apply
    const kept = await rawRequest(`${server.url}/r/open/page`);
    for (const got of [passed, kept]) {
      expect(got.text).toBe(page);
      expect(got.headers['content-security-policy']).toBe('sandbox');
      expect(got.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(kept.status).toBe(503);
  });
});

describe('hardening: cookies of other local apps (11.9)', () => {
  it('strips Cookie going out and Set-Cookie coming back', async () => {
    const upstream = track(
      await startScriptedUpstream((_request, response) => {
        response.writeHead(200, ['Content-Type', 'application/json', 'Set-Cookie', 'session=upstream; Path=/', 'set-cookie2', 'old=1']);
        response.end('{}');
      }),
    );
    await server.saveRoute('open', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const got = await rawRequest(`${server.url}/r/open/v1/chat/completions`, { body: chatBody(), headers: { cookie: 'jupyter-session=secret; grafana_session=abc', 'content-type': 'application/json' } });
    expect(got.status).toBe(200);
    expect(upstream.requests[0]!.headers['cookie']).toBeUndefined();
    expect(got.headers['set-cookie']).toBeUndefined();
    expect(got.headers['set-cookie2']).toBeUndefined();
  });
});

describe('hardening: paths that climb out of the base path (11.13)', () => {
  it('refuses encoded slashes, backslashes and ;params around dot segments', async () => {
    const upstream = await jsonUpstream();
    await server.saveRoute('on', { protocol: 'openai', channels: [{ baseUrl: `${upstream.url}/base` }] });
    for (const climb of ['..%2fadmin', '..%2Fadmin', '..%5cadmin', '..\\admin', '..;/admin', '%2e%2e%2fadmin', '%252e%252e/admin', 'v1/..;x/admin', '.%2e/admin']) {
      const got = await rawRequest(server.url, { path: `/r/on/v1/${climb}` });
      expect(got.status, climb).toBe(400);
    }
    expect(upstream.requests).toHaveLength(0);
    // Dots inside names and encoded slashes elsewhere are not dot segments.
    for (const fine of ['/r/on/v1/models/gpt-4.1', '/r/on/v1/files/a%2fb', '/r/on/v1/x..y']) expect((await rawRequest(server.url, { path: fine })).status, fine).toBe(200);
  });
});

describe('hardening: a held key that cannot be sent (11.6)', () => {
  it('is a failed channel that fails over, never a 500', async () => {
    const healthy = await jsonUpstream();
    const broken = await jsonUpstream();
    await server.saveRoute('held', {
      protocol: 'openai',
      channels: [
        { baseUrl: broken.url, apiKey: 'sk-first-000000000001', label: 'broken' },
        { baseUrl: healthy.url, apiKey: 'sk-second-00000000002', label: 'healthy' },
      ],
    });
    // A key saved before keys were checked: it holds a line break.
    const [first] = server.service.integrations.route('held')!.channels;
    const keyFile = path.join(server.dataDir, KEY_FILE);
    const stored = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as Record<string, string>;
    stored[first!.id] = 'sk-first-0000\r\nX-Injected: 1';
    fs.writeFileSync(keyFile, JSON.stringify(stored));
    await server.close();
    const restarted = await startProxyServer({ dataDir: server.dataDir, token: server.token });
    server = restarted;

    const got = await rawRequest(`${server.url}/r/held/v1/chat/completions`, { body: chatBody(), headers: { authorization: `Bearer ${server.token}` } });
    expect(got.status).toBe(200);
    expect(broken.requests).toHaveLength(0);
    expect(healthy.requests[0]!.headers['authorization']).toBe('Bearer sk-second-00000000002');
    const [failed, ok] = await server.records(2);
    expect(failed).toMatchObject({ success: false, failureClass: 'retryable', statusCode: null });
    expect(ok).toMatchObject({ success: true });
    expect(server.logs.join('\n')).toContain('could not be sent');
    expect(server.logs.join('\n')).not.toContain('X-Injected');
  });

  it('answers 502 naming the channel when it is the only one', async () => {
    const broken = await jsonUpstream();
    await server.saveRoute('held', { protocol: 'anthropic', channels: [{ baseUrl: broken.url, apiKey: 'sk-first-000000000001' }] });
    const keyFile = path.join(server.dataDir, KEY_FILE);
    const [id] = Object.keys(JSON.parse(fs.readFileSync(keyFile, 'utf8')) as object);
    fs.writeFileSync(keyFile, JSON.stringify({ [id!]: 'sk-bad\u0000key' }));
    await server.close();
    server = await startProxyServer({ dataDir: server.dataDir, token: server.token });
    const got = await rawRequest(`${server.url}/r/held/v1/messages`, { body: chatBody(), headers: { 'x-api-key': server.token } });
    expect(got.status).toBe(502);
    expect(JSON.parse(got.text)).toMatchObject({ error: { code: 'bad_gateway' } });
    expect(got.text).toContain('could not be sent');
  });
});

describe('hardening: a held key follows its host, not its channel id (11.2)', () => {
  it('is not sent to a new host when an edit moves the channel to another origin', async () => {
    const trusted = await jsonUpstream();
    const attacker = await jsonUpstream();
    await server.saveRoute('held', { protocol: 'openai', channels: [{ baseUrl: trusted.url, apiKey: 'sk-precious-00000001' }] });
    const [channel] = server.service.integrations.route('held')!.channels;
    // Same id, new base URL (another port is another origin), no key given: the edit keeps nothing.
    await server.saveRoute('held', { protocol: 'openai', channels: [{ id: channel!.id, baseUrl: `${attacker.url}/v1` }] });
    expect(server.service.integrations.route('held')!.channels[0]!.apiKey).toBeNull();
    await rawRequest(`${server.url}/r/held/v1/chat/completions`, { body: chatBody(), headers: { authorization: `Bearer ${server.token}` } });
    expect(JSON.stringify(attacker.requests)).not.toContain('sk-precious');
    expect(fs.readFileSync(path.join(server.dataDir, KEY_FILE), 'utf8')).not.toContain('sk-precious');
  });

  it('stays when only the path changes, and a key given with the move is held for the new host', async () => {
    const upstream = await jsonUpstream();
    const other = await refusedUrl();
    await server.saveRoute('held', { protocol: 'openai', channels: [{ baseUrl: upstream.url, apiKey: 'sk-precious-00000001' }] });
    const id = server.service.integrations.route('held')!.channels[0]!.id;
    await server.saveRoute('held', { protocol: 'openai', channels: [{ id, baseUrl: `${upstream.url}/proxy/` }] });
    expect(server.service.integrations.route('held')!.channels[0]!.apiKey).toBe('sk-precious-00000001');
    await server.saveRoute('held', { protocol: 'openai', channels: [{ id, baseUrl: other, apiKey: 'sk-for-the-new-host1' }] });
    expect(server.service.integrations.route('held')!.channels[0]!.apiKey).toBe('sk-for-the-new-host1');
  });

  it('refuses one channel id listed twice', async () => {
    const upstream = await jsonUpstream();
    await server.saveRoute('held', { protocol: 'openai', channels: [{ baseUrl: upstream.url, apiKey: 'sk-precious-00000001' }] });
    const id = server.service.integrations.route('held')!.channels[0]!.id;
    await expect(server.saveRoute('held', { protocol: 'openai', channels: [{ id, baseUrl: upstream.url }, { id, baseUrl: 'https://evil.example' }] })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ field: 'channels.1.id' })],
    });
    expect(server.service.integrations.route('held')!.channels.map((channel) => channel.baseUrl)).toEqual([upstream.url]);
  });
});

describe('hardening: the proxy token (11.2)', () => {
  it('unlocks held keys on the proxy but not the API, and never reaches an upstream', async () => {
    const upstream = await jsonUpstream();
    await server.saveRoute('held', { protocol: 'gemini', channels: [{ baseUrl: upstream.url, apiKey: 'sk-held-0000000000001' }] });
    const proxyToken = proxyTokenFor(server.token);
    expect(proxyToken).not.toContain(server.token);
    const got = await rawRequest(`${server.url}/r/held/v1beta/models/gemini-x:generateContent?key=${proxyToken}`, { body: '{}' });
    expect(got.status).toBe(200);
    expect(upstream.requests[0]!.headers['x-goog-api-key']).toBe('sk-held-0000000000001');
    expect(JSON.stringify(upstream.requests[0]!.headers) + upstream.requests[0]!.url).not.toContain(proxyToken);
    // A near miss is still refused; the API does not take the proxy token.
    expect((await rawRequest(`${server.url}/r/held/v1beta/models/gemini-x:generateContent`, { body: '{}', headers: { 'x-goog-api-key': `${proxyToken}x` } })).status).toBe(401);
    expect((await rawRequest(`${server.url}/api/v1/routes`, { headers: { authorization: `Bearer ${proxyToken}` } })).status).toBe(401);
    // The API token keeps working for the proxy.
    expect((await rawRequest(`${server.url}/r/held/v1beta/models/gemini-x:generateContent`, { body: '{}', headers: { 'x-goog-api-key': server.token } })).status).toBe(200);
  });
});
