import { describe, expect, it } from 'vitest';
import type { History, ProjectInfo, RequestPage, Summary } from '../../../../shared/types.js';
import { DAY, HOUR, qs, type TestServer, useServerPerTest } from './helpers.js';

let server: TestServer;
useServerPerTest((s) => (server = s));

const LOCAL = 'unsloth/Qwen3-Coder-30B-A3B-Q4_K_M';

/** Data that exercises every field the main thread adds or the read path shapes. */
async function seed(now: number): Promise<void> {
  const records = Array.from({ length: 40 }, (_, i) => ({
    ts: now - (i + 1) * HOUR,
    model: i % 3 === 0 ? LOCAL : i % 3 === 1 ? 'gpt-4o-mini' : 'claude-sonnet-4-5',
    provider: i % 3 === 0 ? undefined : i % 3 === 1 ? 'openai' : 'anthropic',
    inputTokens: 1_000 + i * 37,
    outputTokens: 200 + i,
    cacheReadTokens: i * 11,
    project: i % 2 === 0 ? '/home/me/alpha' : '/home/me/beta "quoted" é',
    success: i % 9 !== 0,
  }));
  await server.post('/api/v1/requests', records);
  await server.put(`/api/v1/savings/references/${LOCAL}`, { reference: 'openai/gpt-4o-mini' });
  await server.call('PATCH', '/api/v1/settings', { json: { displayCurrency: 'EUR', currencyRates: { USD: 0.9 } } });
}

describe('read answers sent as JSON text from the read path', () => {
  it('are byte for byte what the object answers serialise to, with the JSON content type', async () => {
    const now = Date.now();
    await seed(now);
    const service = server.core.service;
    const range = { from: now - 3 * DAY, to: now };
    const summary = await server.call<Summary>('GET', `/api/v1/summary${qs(range)}`);
    // The summary the main thread completes: conversion and savings are both there.
    expect(summary.body.converted?.currency).toBe('EUR');
    expect(summary.body.savings?.models[0]?.model).toBe(LOCAL);
    const cases: [string, () => Promise<unknown>][] = [
      [`/api/v1/summary${qs(range)}`, () => service.getSummary(range)],
      [`/api/v1/summary${qs({ ...range, project: '/home/me/alpha' })}`, () => service.getSummary({ ...range, project: '/home/me/alpha' })],
      [`/api/v1/history${qs({ ...range, groupBy: 'model' })}`, () => service.getHistory({ ...range, groupBy: 'model' })],
      [`/api/v1/history${qs({ ...range, groupBy: 'project', interval: 3600 })}`, () => service.getHistory({ ...range, groupBy: 'project', interval: 3600 })],
      [`/api/v1/requests${qs({ limit: 7 })}`, () => service.listRequests({ limit: 7 })],
      [`/api/v1/projects`, () => service.listProjects({})],
    ];
    for (const [route, object] of cases) {
      const answer = await server.call('GET', route);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.text, route).toBe(JSON.stringify(await object()));
    }
    const history = await server.get<History>(`/api/v1/history${qs({ ...range, groupBy: 'model' })}`);
    expect(history.buckets.length).toBeGreaterThan(0);
    expect((await server.get<RequestPage>(`/api/v1/requests${qs({ limit: 7 })}`)).requests).toHaveLength(7);
    expect((await server.get<ProjectInfo[]>('/api/v1/projects')).map((project) => project.project).sort()).toEqual(['/home/me/alpha', '/home/me/beta "quoted" é']);
  });

  it('leave out savings and carry converted: null as the object answer does when neither is set', async () => {
    const now = Date.now();
    await server.post('/api/v1/requests', [{ ts: now - HOUR, model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5 }]);
    const range = { from: now - DAY, to: now };
    const answer = await server.call('GET', `/api/v1/summary${qs(range)}`);
    expect(answer.text).toBe(JSON.stringify(await server.core.service.getSummary(range)));
    expect(answer.text).toMatch(/,"converted":null\}$/);
    expect(answer.text).not.toContain('"savings"');
  });

  it('keep the errors of a bad query, naming the field', async () => {
    const answer = await server.call<{ error: { code: string; details?: { field: string }[] } }>('GET', '/api/v1/history?range=30d&interval=-4');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details?.map((detail) => detail.field)).toContain('interval');
  });
});
