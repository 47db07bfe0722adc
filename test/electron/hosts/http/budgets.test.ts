import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Budget, BudgetAlert, Forecast } from '../../../../shared/types.js';
import { expectError, useServerPerTest, type TestServer } from './helpers.js';

const body = (over: Record<string, unknown> = {}) => ({ name: 'Team', amount: 10, currency: 'USD', period: 'month', scope: { kind: 'all' }, ...over });

/** A loopback webhook receiver answering 200, recording each POST body. */
async function receiver(): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('budgets over HTTP', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('PUT creates or replaces, GET lists with status, DELETE removes', async () => {
    const saved = await server.put<Budget>('/api/v1/budgets/team', body({ thresholds: [90, 10] }));
    expect(saved).toMatchObject({ id: 'team', name: 'Team', thresholds: [10, 90], webhook: null, enabled: true, status: { spent: 0, percent: 0, crossed: [] } });
    await server.put('/api/v1/budgets/team', body({ amount: 25, webhook: { url: 'https://hooks.example.test/x' } }));
    const listed = await server.get<Budget[]>('/api/v1/budgets');
    expect(listed.map((b) => [b.id, b.amount, b.webhook])).toEqual([['team', 25, { url: 'https://hooks.example.test/x', format: 'json' }]]);
    expect(await server.del('/api/v1/budgets/team')).toEqual({ id: 'team' });
    expect(await server.get('/api/v1/budgets')).toEqual([]);
    expectError(await server.call('DELETE', '/api/v1/budgets/team'), 404, 'not_found');
  });

  it('refuses bad input with 400 naming the field, and keeps what was stored', async () => {
    await server.put('/api/v1/budgets/team', body());
    const cases: [string, unknown, string][] = [
      ['/api/v1/budgets/team', body({ amount: 0 }), 'amount'],
      ['/api/v1/budgets/team', body({ currency: 'usd' }), 'currency'],
      ['/api/v1/budgets/team', body({ period: 'year' }), 'period'],
      ['/api/v1/budgets/team', body({ scope: { kind: 'channel', metricsKey: 'nope' } }), 'scope.metricsKey'],
      ['/api/v1/budgets/team', body({ thresholds: [] }), 'thresholds'],
      ['/api/v1/budgets/team', body({ webhook: { url: 'not a url' } }), 'webhook.url'],
      ['/api/v1/budgets/team', body({ extra: 1 }), 'extra'],
      ['/api/v1/budgets/Team%20X', body(), 'id'],
    ];
    for (const [route, json, field] of cases) {
      const error = expectError(await server.call('PUT', route, { json }), 400, 'validation_failed');
      expect(error.message, field).toContain(field);
      expect(error.details?.map((d) => d.field), field).toContain(field);
    }
    expectError(await server.call('PUT', '/api/v1/budgets/team'), 400, 'bad_request');
    expect((await server.get<Budget[]>('/api/v1/budgets')).map((b) => [b.id, b.amount])).toEqual([['team', 10]]);
    expectError(await server.call('GET', '/api/v1/budgets/alerts?limit=0'), 400, 'validation_failed');
  });

  it('takes the month start day and week first day as settings (bad values refused, naming the field)', async () => {
    expect(await server.get('/api/v1/settings')).toMatchObject({ monthStartDay: 1, weekStartDay: 1 });
    for (const [patch, field] of [[{ monthStartDay: 29 }, 'monthStartDay'], [{ weekStartDay: 7 }, 'weekStartDay'], [{ monthStartDay: 1.5 }, 'monthStartDay']] as const) {
      const error = expectError(await server.call('PATCH', '/api/v1/settings', { json: patch }), 400, 'validation_failed');
      expect(error.details?.map((d) => d.field)).toEqual([field]);
    }
    await server.call('PATCH', '/api/v1/settings', { json: { monthStartDay: 28, weekStartDay: 0 } });
    const week = await server.put<Budget>('/api/v1/budgets/w', body({ period: 'week' }));
    expect(new Date(week.status.periodStart).getDay()).toBe(0);
    const month = await server.put<Budget>('/api/v1/budgets/m', body());
    expect(new Date(month.status.periodStart).getDate()).toBe(28);
  });

  it('sends each threshold once to a loopback webhook as ingest drives spend past it; alerts and forecast are listed', async () => {
    const hook = await receiver();
    closers.push(hook.close);
    await server.put('/api/v1/pricing/gpt-x', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 0 }] });
    await server.put('/api/v1/budgets/team', body({ webhook: { url: hook.url } }));
    const ingest = (units: number) => server.post('/api/v1/requests', { model: 'gpt-x', inputTokens: units * 1_000_000, outputTokens: 0 });

    await ingest(4);
    await ingest(4.5); // 85 %: 50 and 80 at once
    await until(() => hook.bodies.length >= 2);
    await ingest(0.1); // 86 %: nothing new
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hook.bodies.map((b) => b['threshold']).sort()).toEqual([50, 80]);
    await ingest(2); // 106 %
    await until(() => hook.bodies.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hook.bodies.map((b) => b['threshold']).sort()).toEqual([100, 50, 80]);

    const alerts = await server.get<BudgetAlert[]>('/api/v1/budgets/alerts?budgetId=team');
    expect(alerts.map((a) => [a.threshold, a.webhook.state, a.webhook.attempts])).toEqual([
      [100, 'delivered', 1],
      [80, 'delivered', 1],
      [50, 'delivered', 1],
    ]);
    const [listed] = await server.get<Budget[]>('/api/v1/budgets');
    expect(listed!.status.spent).toBeCloseTo(10.6, 9);
    expect(listed!.status.crossed).toEqual([50, 80, 100]);
    const forecast = await server.get<Forecast>('/api/v1/forecast');
    expect(forecast.spent).toEqual([{ currency: 'USD', cost: expect.closeTo(10.6, 9) }]);
  });
});
