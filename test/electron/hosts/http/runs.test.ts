import { describe, expect, it } from 'vitest';
import type { Run, Summary } from '../../../../shared/types.js';
import { expectError, HOUR, MINUTE, qs, type TestServer, useServerPerTest } from './helpers.js';

const T0 = Math.floor((Date.now() - 3 * HOUR) / MINUTE) * MINUTE;

let server: TestServer;
useServerPerTest((started) => (server = started));

const report = (json: unknown) => server.call<Run>('POST', '/api/v1/runs', { json });
const ok = async (json: unknown): Promise<Run> => {
  const answer = await report(json);
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
};

describe('POST /api/v1/runs', () => {
  it('starts a run and answers it', async () => {
    const run = await ok({ model: 'qwen3-32b', event: 'start', ts: T0, source: 'llama-swap' });
    expect(run).toMatchObject({ model: 'qwen3-32b', source: 'llama-swap', start: T0, end: null, running: true, lastSeenAt: T0 });
    expect(run.id).toBeGreaterThan(0);
    const listed = await server.get<Run[]>('/api/v1/runs');
    expect(listed).toEqual([expect.objectContaining({ id: run.id, running: true })]);
  });

  it('answers the same run for a start of an already running (model, source)', async () => {
    const first = await ok({ model: 'm', event: 'start', ts: T0, source: 's' });
    const second = await ok({ model: 'm', event: 'start', ts: T0 + MINUTE, source: 's' });
    expect(second.id).toBe(first.id);
    expect(second.start).toBe(T0);
    expect(second.lastSeenAt).toBe(T0 + MINUTE);
    expect(await server.get<Run[]>('/api/v1/runs')).toHaveLength(1);
  });

  it('keeps runs of the same model from different sources apart', async () => {
    const a = await ok({ model: 'm', event: 'start', ts: T0, source: 'ollama' });
    const b = await ok({ model: 'm', event: 'start', ts: T0, source: 'llama-swap' });
    const none = await ok({ model: 'm', event: 'start', ts: T0 });
    expect(new Set([a.id, b.id, none.id]).size).toBe(3);
    expect(none.source).toBeNull();
    const stopped = await ok({ model: 'm', event: 'stop', ts: T0 + HOUR, source: 'ollama' });
    expect(stopped.id).toBe(a.id);
    const runs = await server.get<Run[]>(`/api/v1/runs${qs({ model: 'm' })}`);
    expect(runs.filter((r) => r.running).map((r) => r.id).sort()).toEqual([b.id, none.id].sort());
  });

  it('moves lastSeenAt forward with heartbeats and never back', async () => {
    const run = await ok({ model: 'm', event: 'start', ts: T0 });
    expect((await ok({ model: 'm', event: 'heartbeat', ts: T0 + 10 * MINUTE })).lastSeenAt).toBe(T0 + 10 * MINUTE);
    const late = await ok({ model: 'm', event: 'heartbeat', ts: T0 + 5 * MINUTE });
    expect(late.id).toBe(run.id);
    expect(late.lastSeenAt).toBe(T0 + 10 * MINUTE);
    expect(late.running).toBe(true);
  });

  it('stops the running run at the given time and counts its duration', async () => {
    const run = await ok({ model: 'm', event: 'start', ts: T0 });
    const stopped = await ok({ model: 'm', event: 'stop', ts: new Date(T0 + HOUR).toISOString() });
    expect(stopped).toMatchObject({ id: run.id, start: T0, end: T0 + HOUR, running: false, durationSeconds: 3600 });
    const summary = await server.get<Summary>(`/api/v1/summary${qs({ from: T0, to: T0 + 2 * HOUR })}`);
    expect(summary.models.find((m) => m.model === 'm')).toMatchObject({ running: false, runtimeSeconds: 3600 });
  });

  it('answers 404 for a stop with nothing running', async () => {
    const error = expectError(await report({ model: 'idle', event: 'stop' }), 404, 'not_found');
    expect(error.message).toContain('idle');
    await ok({ model: 'idle', event: 'start', ts: T0 });
    await ok({ model: 'idle', event: 'stop', ts: T0 + MINUTE });
    expectError(await report({ model: 'idle', event: 'stop' }), 404, 'not_found');
    // A stop from another source does not stop this one.
    await ok({ model: 'idle', event: 'start', ts: T0 + 2 * MINUTE, source: 'a' });
    expectError(await report({ model: 'idle', event: 'stop', source: 'b' }), 404, 'not_found');
  });

  it('starts a new run after a stop', async () => {
    const first = await ok({ model: 'm', event: 'start', ts: T0 });
    await ok({ model: 'm', event: 'stop', ts: T0 + MINUTE });
    const second = await ok({ model: 'm', event: 'start', ts: T0 + 2 * MINUTE });
    expect(second.id).not.toBe(first.id);
    expect(second.running).toBe(true);
    expect(await server.get<Run[]>('/api/v1/runs')).toHaveLength(2);
  });

  it('addresses a run by runId, and a repeated stop of it is harmless', async () => {
    const run = await ok({ model: 'm', event: 'start', ts: T0, source: 'x' });
    const stopped = await ok({ model: 'm', event: 'stop', ts: T0 + MINUTE, runId: run.id });
    expect(stopped).toMatchObject({ id: run.id, end: T0 + MINUTE });
    expect(await ok({ model: 'm', event: 'stop', ts: T0 + 5 * MINUTE, runId: run.id })).toMatchObject({ id: run.id, end: T0 + MINUTE });
    expectError(await report({ model: 'm', event: 'heartbeat', runId: run.id }), 409, 'conflict');
  });

  it('answers 404 for an unknown runId or one of another model', async () => {
    const run = await ok({ model: 'a', event: 'start', ts: T0 });
    expectError(await report({ model: 'a', event: 'stop', runId: run.id + 100 }), 404, 'not_found');
    expectError(await report({ model: 'b', event: 'stop', runId: run.id }), 404, 'not_found');
    expect((await server.get<Run[]>('/api/v1/runs'))[0]!.running).toBe(true);
  });

  it('never ends a run before it started', async () => {
    await ok({ model: 'm', event: 'start', ts: T0 });
    const stopped = await ok({ model: 'm', event: 'stop', ts: T0 - HOUR });
    expect(stopped.end).toBe(T0);
    expect(stopped.durationSeconds).toBe(0);
  });

  const invalid: [string, unknown][] = [
    ['no model', { event: 'start' }],
    ['an empty model', { model: '', event: 'start' }],
    ['no event', { model: 'm' }],
    ['an unknown event', { model: 'm', event: 'pause' }],
    ['an unknown field', { model: 'm', event: 'start', pid: 1234 }],
    ['a bad ts', { model: 'm', event: 'start', ts: 'soon' }],
    ['a runId that is not a positive integer', { model: 'm', event: 'stop', runId: 0 }],
    ['an array', [{ model: 'm', event: 'start' }]],
  ];
  for (const [what, json] of invalid) {
    it(`answers 400 for ${what} and changes nothing`, async () => {
      const answer = await report(json);
      expect(answer.status, answer.text).toBe(400);
      expect(await server.get<Run[]>('/api/v1/runs')).toEqual([]);
    });
  }
});
