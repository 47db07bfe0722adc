import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../../shared/types.js';
import { bucketModels, OTHER_MODEL } from '../../../../electron/app/metrics/snapshot.js';

function model(name: string, requests: number, over: Partial<ModelSummary> = {}): ModelSummary {
  return {
    model: name,
    requests,
    failures: Math.floor(requests / 4),
    unpricedRequests: 0,
    inputTokens: requests * 10,
    outputTokens: requests * 3,
    cacheReadTokens: requests,
    cacheWriteTokens: 2 * requests,
    runtimeSeconds: 0,
    running: false,
    pricingMethod: null,
    cost: null,
    ...over,
  };
}

describe('bucketModels: bounded model labels', () => {
  const models = [
    model('small', 2, { running: true, runtimeSeconds: 60, cost: { USD: 0.5 } }),
    model('big', 40, { cost: { USD: 3 } }),
    model('mid', 9, { cost: { CNY: 1.25, USD: 0.25 } }),
    model('tiny', 1, { runtimeSeconds: 30 }),
  ];

  it('keeps every model under the limit, most requests first, and adds no "other"', () => {
    expect(bucketModels(models, 4).map((m) => m.model)).toEqual(['big', 'mid', 'small', 'tiny']);
    expect(bucketModels(models, 50).some((m) => m.model === OTHER_MODEL)).toBe(false);
  });

  it('sums the models past the limit into "other", losing no request, token, second or cost', () => {
    const bucketed = bucketModels(models, 2);
    expect(bucketed.map((m) => m.model)).toEqual(['big', 'mid', OTHER_MODEL]);
    const other = bucketed[2]!;
    expect(other).toEqual({
      model: OTHER_MODEL,
      requests: 3,
      failures: 0,
      inputTokens: 30,
      outputTokens: 9,
      cacheReadTokens: 3,
      cacheWriteTokens: 6,
      runtimeSeconds: 90,
      running: true,
      cost: { USD: 0.5 },
    });
    for (const field of ['requests', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'runtimeSeconds'] as const) {
      expect(bucketed.reduce((sum, m) => sum + m[field], 0)).toBe(models.reduce((sum, m) => sum + m[field], 0));
    }
    expect(bucketModels(models, 1)[1]!.cost).toEqual({ CNY: 1.25, USD: 0.75 });
  });

  it('breaks ties by runtime, then by name, so the kept labels do not flap between scrapes', () => {
    const tied = [model('b', 5), model('a', 5), model('c', 5, { runtimeSeconds: 10 })];
    expect(bucketModels(tied, 2).map((m) => m.model)).toEqual(['c', 'a', OTHER_MODEL]);
    expect(bucketModels([...tied].reverse(), 2).map((m) => m.model)).toEqual(['c', 'a', OTHER_MODEL]);
  });
});
