import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RENDERER_CSP } from '../../../../electron/hosts/http/renderer-files.js';
import { builtDashboard, useDashboardServers } from './dashboard-server.js';
import { startServer, tempDir, type TestServer } from './helpers.js';

describe('the dashboard files', () => {
  const { serverWith } = useDashboardServers();

  it('serves the built renderer at "/" with a strict content security policy', async () => {
    const app = serverWith(builtDashboard('console.log(1)'));

    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>x</title>');
    expect(page.headers['content-security-policy']).toBe(RENDERER_CSP);
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');

    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('never serves files from outside the renderer folder', async () => {
    const dir = tempDir('modelmeter-renderer-');
    fs.writeFileSync(path.join(dir, 'index.html'), 'ok');
    const app = serverWith(dir);
    const escape = await app.inject({ method: 'GET', url: '/../../etc/passwd' });
    expect(escape.statusCode).toBe(404);
    expect(escape.body).not.toContain('root:');
  });

  it('explains how to build the dashboard when it is missing', async () => {
    const app = serverWith(null);
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('npm run build');
    expect(page.body).toContain('9.9.9');
  });
});

describe('host facts and storage', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('describes the headless host, without repeating the token', async () => {
    server = await startServer();
    const info = await server.get<{ host: string; port: number; apiUrl: string; token: string | null; launchAtLogin: boolean | null }>('/api/v1/app');
    expect(info).toMatchObject({ host: 'headless', port: server.core.port, apiUrl: `${server.url}/api/v1`, token: null, launchAtLogin: null });
    expect((await server.call('GET', '/api/v1/app', { authorization: null })).status).toBe(401);
  });

  it('reports database size and how far raw rows reach', async () => {
    server = await startServer();
    const empty = await server.get<{ totalRequests: number; oldestRawRequestAt: number | null; databaseBytes: number; retentionDays: number }>('/api/v1/storage');
    expect(empty).toMatchObject({ totalRequests: 0, oldestRawRequestAt: null, retentionDays: 90 });
    expect(empty.databaseBytes).toBeGreaterThan(0);

    const now = Date.now();
    await server.post('/api/v1/requests', [
      { ts: now - 3_600_000, model: 'a', inputTokens: 1, outputTokens: 1 },
      { ts: now - 60_000, model: 'b', inputTokens: 1, outputTokens: 1 },
    ]);
    const filled = await server.get<{ totalRequests: number; oldestRawRequestAt: number; newestRawRequestAt: number; models: number }>('/api/v1/storage');
    expect(filled).toMatchObject({ totalRequests: 2, oldestRawRequestAt: now - 3_600_000, newestRawRequestAt: now - 60_000, models: 2 });
  });
});
