import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startServer, type TestServer } from './helpers.js';

/** Every route of API v1, with a body where it takes one. */
const ROUTES: { method: string; route: string; json?: unknown }[] = [
  { method: 'POST', route: '/api/v1/requests', json: { model: 'm', inputTokens: 1 } },
  { method: 'POST', route: '/api/v1/runs', json: { model: 'm', event: 'start' } },
  { method: 'PUT', route: '/api/v1/circuits', json: { metricsKey: '0123456789abcdef', apiType: 'openai', state: 'open' } },
  { method: 'GET', route: '/api/v1/summary' },
  { method: 'GET', route: '/api/v1/history' },
  { method: 'GET', route: '/api/v1/runs' },
  { method: 'GET', route: '/api/v1/program-runs' },
  { method: 'GET', route: '/api/v1/requests' },
  { method: 'GET', route: '/api/v1/circuits' },
  { method: 'GET', route: '/api/v1/circuits/events' },
  { method: 'POST', route: '/api/v1/circuits/0123456789abcdef/reset?apiType=openai' },
  { method: 'GET', route: '/api/v1/pricing' },
  { method: 'GET', route: '/api/v1/pricing/m' },
  { method: 'PUT', route: '/api/v1/pricing/m', json: { method: 'none', currency: 'USD' } },
  { method: 'POST', route: '/api/v1/pricing/m/preview', json: { method: 'none', currency: 'USD' } },
  { method: 'DELETE', route: '/api/v1/pricing/m' },
  { method: 'DELETE', route: '/api/v1/models/m' },
  { method: 'POST', route: '/api/v1/channels/delete', json: { metricsKeys: ['0123456789abcdef'], apiType: 'openai' } },
  { method: 'POST', route: '/api/v1/maintenance/cleanup', json: { before: 0 } },
  { method: 'GET', route: '/api/v1/settings' },
  { method: 'PATCH', route: '/api/v1/settings', json: { retentionDays: 30 } },
  { method: 'GET', route: '/api/v1/export?format=json' },
  { method: 'GET', route: '/api/v1/events' },
  { method: 'GET', route: '/api/v1/no-such-route' },
];

describe('HTTP API v1: authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers GET /healthz without a token', async () => {
    const answer = await server.call<{ status: string; version: string }>('GET', '/healthz', { authorization: null });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ok');
    expect(answer.body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  const presented: [string, string | null | ((token: string) => string)][] = [
    ['no Authorization header', null],
    ['a wrong token', 'Bearer not-the-token-at-all-000000'],
    ['the right token with one character changed', (token) => `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
    ['the right token with a suffix', (token) => `Bearer ${token}x`],
    ['a truncated token', (token) => `Bearer ${token.slice(0, 8)}`],
    ['the token without the Bearer scheme', (token) => token],
    ['the token as Basic credentials', (token) => `Basic ${token}`],
    ['an empty bearer', 'Bearer '],
  ];

  for (const [what, header] of presented) {
    describe(`with ${what}`, () => {
      for (const { method, route, json } of ROUTES) {
        it(`${method} ${route} answers 401 unauthorized`, async () => {
          const authorization = typeof header === 'function' ? header(server.token) : header;
          const answer = await server.call(method, route, { authorization, ...(json === undefined ? {} : { json }) });
          const error = expectError(answer, 401, 'unauthorized');
          expect(error.message).toMatch(/token/i);
          expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        });
      }
    });
  }

  it('stores nothing from a rejected call', async () => {
    await server.call('POST', '/api/v1/requests', { authorization: null, json: { model: 'sneaky', inputTokens: 5 } });
    await server.call('PUT', '/api/v1/pricing/sneaky', { authorization: 'Bearer wrong-token-000000000', json: { method: 'none' } });
    const page = await server.get<{ requests: unknown[] }>('/api/v1/requests');
    expect(page.requests).toEqual([]);
    const pricing = await server.get<unknown[]>('/api/v1/pricing');
    expect(pricing).toEqual([]);
  });

  it('accepts the right bearer token (scheme case-insensitive)', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const answer = await server.call('GET', '/api/v1/summary', { authorization: `${scheme} ${server.token}` });
      expect(answer.status).toBe(200);
    }
  });

  it('answers a read-only route with the right token', async () => {
    for (const route of ['/api/v1/summary', '/api/v1/history', '/api/v1/runs', '/api/v1/program-runs', '/api/v1/requests', '/api/v1/circuits', '/api/v1/circuits/events', '/api/v1/pricing', '/api/v1/settings']) {
      const answer = await server.call('GET', route);
      expect(answer.status, `${route}: ${answer.text}`).toBe(200);
    }
  });

  it('answers 404 JSON (not 401) for an unknown API route with the right token', async () => {
    expectError(await server.call('GET', '/api/v1/no-such-route'), 404, 'not_found');
  });

  // fetch normalises URLs; a raw client can send any request target, and the router decodes it.
  function rawGet(target: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: server.core.port, path: target, method: 'GET' }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });
  }

  for (const target of ['/%61pi/v1/summary', '/api/v1/%73ummary', '/api/v1/summary/', 'http://example.test/api/v1/summary', '/%61pi/v1/requests?limit=5']) {
    it(`needs the token however the path is spelt: GET ${target}`, async () => {
      const answer = await rawGet(target);
      expect(answer.status, answer.body).toBe(401);
      expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('unauthorized');
    });
  }

  it('does not take the token from the query string', async () => {
    const answer = await server.call('GET', `/api/v1/summary?token=${server.token}`, { authorization: null });
    expectError(answer, 401, 'unauthorized');
  });
});
