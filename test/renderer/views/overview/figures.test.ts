import { describe, expect, it } from 'vitest';
import { distinctColors } from '../../../../renderer/src/lib/charts/colors.js';
import { colorOf } from '../../../../renderer/src/lib/charts/setup.js';
import { cacheHitRate, costRank, secondsUntil, successRate, topByCost } from '../../../../renderer/src/lib/state/overview.js';
import { modelRow, totals } from './fixtures.js';

describe('overview figures', () => {
  it('has no success or cache rate without requests or prompt tokens, rather than 0 % or 100 %', () => {
    expect(successRate(totals())).toBeNull();
    expect(cacheHitRate(totals())).toBeNull();
    expect(successRate(totals({ requests: 8, failures: 2 }))).toBe(0.75);
  });

  it('counts cache writes in the prompt the hit rate divides by', () => {
    expect(cacheHitRate(totals({ inputTokens: 100, cacheReadTokens: 300, cacheWriteTokens: 100, outputTokens: 999 }))).toBe(0.6);
  });

  it('ranks costs in several currencies with the user’s rates when set', () => {
    const conversion = { currency: 'USD', amount: 0, rates: { CNY: 0.14 }, missingRates: [] };
    expect(costRank({ CNY: 100 }, conversion)).toBeCloseTo(14);
    expect(costRank({ USD: 5, EUR: 100 }, conversion)).toBe(5);
    expect(costRank(null, conversion)).toBeLessThan(0);
    const ranked = topByCost([modelRow('yuan', { requests: 1, cost: { CNY: 100 } }), modelRow('dollar', { requests: 1, cost: { USD: 20 } })], conversion, 5);
    expect(ranked.map((model) => model.model)).toEqual(['dollar', 'yuan']);
  });

  it('leaves out models with nothing today and keeps at most the limit', () => {
    const models = [modelRow('idle'), modelRow('a', { requests: 1 }), modelRow('b', { requests: 2 }), modelRow('c', { requests: 3 })];
    expect(topByCost(models, null, 2).map((model) => model.model)).toEqual(['c', 'b']);
  });

  it('never counts a retry below zero', () => {
    expect(secondsUntil(10_500, 10_000)).toBe(1);
    expect(secondsUntil(5_000, 10_000)).toBe(0);
    expect(secondsUntil(null, 10_000)).toBeNull();
  });
});

describe('distinctColors', () => {
  it('keeps each model’s own colour and gives a clashing one a different colour', () => {
    const names = Array.from({ length: 12 }, (_, i) => `model-${i}`);
    const color = distinctColors(names);
    expect(new Set(names.map(color)).size).toBe(names.length);
    const first = [...names].sort()[0]!;
    expect(color(first)).toBe(colorOf(first));
    expect(distinctColors([...names].reverse())(names[5]!)).toBe(color(names[5]!));
  });
});
