import { describe, expect, it } from 'vitest';
import type { SavingsReference, Summary } from '../../../../shared/types.js';
import { expectError, type TestServer, useServerPerTest } from './helpers.js';

let server: TestServer;
useServerPerTest((s) => (server = s));

const LOCAL = 'unsloth/Qwen3-Coder-30B-A3B-Q4_K_M';
const path = `/api/v1/savings/references/${LOCAL}`;

describe('PUT/DELETE /api/v1/savings/references/{model}', () => {
  it('sets, lists and clears a reference; summary carries savings only while it is set', async () => {
    await server.post('/api/v1/requests', { ts: Date.now() - 60_000, model: LOCAL, inputTokens: 1_000_000, outputTokens: 0 });
    expect((await server.get<Summary>('/api/v1/summary?range=today')).savings).toBeUndefined();
    expect(await server.put<SavingsReference>(path, { reference: 'openai/gpt-4o-mini' })).toEqual({ model: LOCAL, reference: 'openai/gpt-4o-mini' });
    expect(await server.get<SavingsReference[]>('/api/v1/savings/references')).toEqual([{ model: LOCAL, reference: 'openai/gpt-4o-mini' }]);
    const summary = await server.get<Summary>('/api/v1/summary?range=today');
    expect(summary.savings!.models[0]).toMatchObject({ model: LOCAL, ownCost: {}, cloudCost: { USD: 0.15 }, saved: { USD: 0.15 } });
    expect(await server.del<SavingsReference>(path)).toEqual({ model: LOCAL, reference: null });
    expect((await server.get<Summary>('/api/v1/summary?range=today')).savings).toBeUndefined();
  });

  it('refuses an entry the catalogue does not have, a missing reference and unknown fields, with a clear message', async () => {
    await server.post('/api/v1/requests', { ts: Date.now() - 60_000, model: LOCAL, inputTokens: 10, outputTokens: 1 });
    const unknown = expectError(await server.call('PUT', path, { json: { reference: 'openai/gpt-99-ultra' } }), 400, 'validation_failed');
    expect(unknown.message).toMatch(/unknown catalogue model "openai\/gpt-99-ultra"/);
    expectError(await server.call('PUT', path, { json: {} }), 400, 'validation_failed');
    expectError(await server.call('PUT', path, { json: { reference: 'openai/gpt-4o-mini', extra: 1 } }), 400, 'validation_failed');
    expectError(await server.call('PUT', '/api/v1/savings/references/never-seen', { json: { reference: 'openai/gpt-4o-mini' } }), 404, 'not_found');
    expect(await server.get<SavingsReference[]>('/api/v1/savings/references')).toEqual([]);
  });
});
