import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { rawRequest, startProxyServer, startScriptedUpstream, type ProxyServer } from '../../sources/proxy/harness.js';
import { builtDashboard, useDashboardServers } from './dashboard-server.js';

// Big enough to be worth compressing, and compressible.
const SCRIPT = `export const rows = [${Array.from({ length: 2_000 }, (_, i) => `{ id: ${i}, name: "row ${i}" }`).join(', ')}];\n`;

describe('compression', () => {
  const { serverWith, closeAfter } = useDashboardServers();

  it('sends the dashboard’s scripts brotli- or gzip-compressed when the client accepts it, plain otherwise', async () => {
    const app = serverWith(builtDashboard(SCRIPT));

    const br = await app.inject({ method: 'GET', url: '/assets/index-abc.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.rawPayload.length).toBeLessThan(SCRIPT.length / 5);
    expect(zlib.brotliDecompressSync(br.rawPayload).toString('utf8')).toBe(SCRIPT);

    const gzip = await app.inject({ method: 'GET', url: '/assets/index-abc.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gzip.rawPayload).toString('utf8')).toBe(SCRIPT);

    const plain = await app.inject({ method: 'GET', url: '/assets/index-abc.js', headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('compresses API answers, but not small ones', async () => {
    const app = serverWith(null);
    const records = Array.from({ length: 300 }, (_, i) => ({ model: `model-${i % 30}`, inputTokens: 10, outputTokens: 5, ts: Date.now() - i * 1000 }));
    const auth = { authorization: 'Bearer t' };
    expect((await app.inject({ method: 'POST', url: '/api/v1/requests', headers: auth, payload: records })).statusCode).toBe(200);

    // From another machine (the server was started with --bind).
    const remote = '192.168.1.20';
    const list = await app.inject({ method: 'GET', url: '/api/v1/requests?limit=300', remoteAddress: remote, headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(list.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(list.rawPayload).toString('utf8')).requests).toHaveLength(300);

    const health = await app.inject({ method: 'GET', url: '/healthz', remoteAddress: remote, headers: { 'accept-encoding': 'gzip' } });
    expect(health.headers['content-encoding']).toBeUndefined();
  });

  it('sends API answers to this machine plain: over loopback compressing costs CPU and saves nothing', async () => {
    const app = serverWith(null);
    const records = Array.from({ length: 300 }, (_, i) => ({ model: `model-${i % 30}`, inputTokens: 10, outputTokens: 5, ts: Date.now() - i * 1000 }));
    const auth = { authorization: 'Bearer t' };
    expect((await app.inject({ method: 'POST', url: '/api/v1/requests', headers: auth, payload: records })).statusCode).toBe(200);
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const list = await app.inject({ method: 'GET', url: '/api/v1/requests?limit=300', remoteAddress, headers: { ...auth, 'accept-encoding': 'br, gzip' } });
      expect(list.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(list.body).requests).toHaveLength(300);
    }
    // The dashboard's files still are (the browser keeps them).
    const script = serverWith(builtDashboard(SCRIPT));
    const br = await script.inject({ method: 'GET', url: '/assets/index-abc.js', remoteAddress: '127.0.0.1', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
  });

  describe('the proxy and the event stream', () => {
    let server: ProxyServer;

    it('passes the upstream’s bytes through untouched, and never buffers the event stream', async () => {
      server = await startProxyServer();
      closeAfter(() => server.close());
      const answer = JSON.stringify({ id: 'x', choices: [{ message: { content: 'word '.repeat(2_000) } }], usage: { prompt_tokens: 3, completion_tokens: 2000 } });
      const upstream = await startScriptedUpstream((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(answer);
      });
      closeAfter(() => upstream.close());
      await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });

      const got = await rawRequest(`${server.url}/r/main/v1/chat/completions`, {
        body: JSON.stringify({ model: 'm', messages: [] }),
        headers: { 'content-type': 'application/json', 'accept-encoding': 'br, gzip' },
      });
      expect(got.status).toBe(200);
      expect(got.headers['content-encoding']).toBeUndefined();
      expect(got.text).toBe(answer);

      // The event stream delivers its first event at once, uncompressed, though the client accepts gzip.
      const controller = new AbortController();
      let received = '';
      const hello = new Promise<void>((resolve) => {
        rawRequest(`${server.url}/api/v1/events`, {
          headers: { authorization: `Bearer ${server.token}`, 'accept-encoding': 'gzip' },
          signal: controller.signal,
          onChunk: (chunk) => {
            received += chunk.toString('utf8');
            if (received.includes('hello')) resolve();
          },
        }).catch(() => undefined);
      });
      await hello;
      expect(received).toMatch(/^retry:2000\n\n/);
      controller.abort();
    });
  });
});
