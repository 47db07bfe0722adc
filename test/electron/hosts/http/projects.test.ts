import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { History, ProjectInfo, RequestPage, Summary } from '../../../../shared/types.js';
import { parseCsv } from './csv.js';
import { expectError, HOUR, MINUTE, qs, startServer, type TestServer } from './helpers.js';

/**
 * Issue 15 item 5 over HTTP: summary, history, the request log and the export filter and group by
 * project; GET /projects lists them for filters.
 */
const T0 = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR;
const RANGE = { from: T0, to: T0 + 3 * HOUR };
const SHOP = '/home/me/src/shop';
const API = 'C:\\work\\api';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  await server.put('/api/v1/pricing/m', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] });
  await server.post('/api/v1/requests', [
    { ts: T0 + MINUTE, model: 'm', inputTokens: 1_000_000, project: SHOP, branch: 'main', sessionId: 's-1', responseId: 'msg_0000000000000001' },
    { ts: T0 + 2 * MINUTE, model: 'm', inputTokens: 2_000_000, project: SHOP, branch: 'dev' },
    { ts: T0 + HOUR + MINUTE, model: 'm', outputTokens: 1_000_000, project: API },
    { ts: T0 + 2 * HOUR, model: 'm', inputTokens: 5 },
  ]);
});
afterAll(async () => {
  await server.close();
});

describe('projects over HTTP', () => {
  it('the summary carries byProject (name = last path segment) and filters by project', async () => {
    const summary = await server.get<Summary>(`/api/v1/summary${qs(RANGE)}`);
    expect(summary.totals.requests).toBe(4);
    expect(summary.byProject!.map((p) => [p.project, p.name, p.requests, p.cost])).toEqual([
      [SHOP, 'shop', 2, { USD: 3 }],
      [null, '', 1, { USD: 0.000005 }],
      [API, 'api', 1, { USD: 2 }],
    ]);
    const shop = await server.get<Summary>(`/api/v1/summary${qs({ ...RANGE, project: SHOP })}`);
    expect(shop.totals.requests).toBe(2);
    expect(shop.totals.cost).toEqual({ USD: 3 });
    expect(shop.models.map((m) => [m.model, m.requests])).toEqual([['m', 2]]);
  });

  it('history groups by project and filters by it', async () => {
    const grouped = await server.get<History>(`/api/v1/history${qs({ ...RANGE, interval: 3600, groupBy: 'project' })}`);
    const cells = grouped.buckets.filter((b) => b.requests > 0).map((b) => [(b.ts - T0) / HOUR, b.project, b.requests]);
    expect(cells).toEqual([
      [0, SHOP, 2],
      [1, API, 1],
      [2, null, 1],
    ]);
    const filtered = await server.get<History>(`/api/v1/history${qs({ ...RANGE, interval: 3600, project: API })}`);
    expect(filtered.buckets.map((b) => b.requests)).toEqual([0, 1, 0]);
  });

  it('the request log filters by project and shows project, branch, session and response id', async () => {
    const page = await server.get<RequestPage>(`/api/v1/requests${qs({ ...RANGE, project: SHOP })}`);
    expect(page.requests.map((r) => [r.project, r.branch, r.sessionId, r.responseId])).toEqual([
      [SHOP, 'dev', null, null],
      [SHOP, 'main', 's-1', 'msg_0000000000000001'],
    ]);
  });

  it('GET /projects lists projects with first and last seen, requests and cost', async () => {
    const projects = await server.get<ProjectInfo[]>('/api/v1/projects');
    expect(projects).toEqual([
      { project: API, name: 'api', firstSeen: T0 + HOUR + MINUTE, lastSeen: T0 + HOUR + MINUTE, requests: 1, cost: { USD: 2 } },
      { project: SHOP, name: 'shop', firstSeen: T0 + MINUTE, lastSeen: T0 + 2 * MINUTE, requests: 2, cost: { USD: 3 } },
    ]);
  });

  it('the export carries project and branch columns and filters by project', async () => {
    const answer = await server.call('GET', `/api/v1/export${qs({ format: 'csv', ...RANGE, project: SHOP })}`);
    expect(answer.status).toBe(200);
    const [header, ...lines] = parseCsv(answer.text);
    const at = (name: string) => header!.indexOf(name);
    expect(at('project')).toBeGreaterThan(0);
    expect(lines.map((line) => [line[at('project')], line[at('branch')], line[at('kind')]])).toEqual([
      [SHOP, 'main', 'request'],
      [SHOP, 'dev', 'request'],
    ]);
  });

  it('refuses a bad project filter naming the field', async () => {
    const answer = await server.call('GET', `/api/v1/summary${qs({ project: 'a\u0001b' })}`);
    const body = expectError(answer, 400, 'validation_failed');
    expect(JSON.stringify(body)).toContain('project');
    expectError(await server.call('GET', `/api/v1/history${qs({ groupBy: 'branch' })}`), 400, 'validation_failed');
  });
});
