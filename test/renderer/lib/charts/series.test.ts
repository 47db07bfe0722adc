import { describe, expect, it } from 'vitest';
import { currenciesOf, metrics, seriesByModel } from '../../../../renderer/src/lib/charts/series.js';
import { bucket, history } from '../../views/overview/fixtures.js';

const colorOf = (name: string) => `color-of-${name}`;
const options = { colorOf, othersLabel: 'Other' };
const t0 = Date.UTC(2026, 0, 10, 0);
const hour = 3_600_000;

describe('seriesByModel', () => {
  it('makes one series per model, biggest first, points in time order, colours by name', () => {
    const data = history([
      bucket(t0 + hour, 'small', { requests: 1 }),
      bucket(t0 + hour, 'big', { requests: 7 }),
      bucket(t0, 'big', { requests: 5 }),
    ]);
    expect(seriesByModel(data, metrics.requests, options)).toEqual([
      { label: 'big', color: 'color-of-big', points: [{ x: t0, y: 5 }, { x: t0 + hour, y: 7 }] },
      { label: 'small', color: 'color-of-small', points: [{ x: t0 + hour, y: 1 }] },
    ]);
  });

  it('sums every token class and leaves out models with nothing to show for the metric', () => {
    const data = history([
      bucket(t0, 'a', { inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4 }),
      bucket(t0, 'runtime-only', { runtimeSeconds: 60 }),
    ]);
    expect(seriesByModel(data, metrics.tokens, options)).toEqual([{ label: 'a', color: 'color-of-a', points: [{ x: t0, y: 10 }] }]);
  });

  it('charts cost in one currency only, so amounts in different currencies never stack', () => {
    const data = history([bucket(t0, 'usd-model', { cost: { USD: 2 } }), bucket(t0, 'cny-model', { cost: { CNY: 30 } })]);
    expect(seriesByModel(data, metrics.cost('USD'), options).map((s) => [s.label, s.points])).toEqual([['usd-model', [{ x: t0, y: 2 }]]]);
  });

  it('folds the smallest models into one series beyond the limit', () => {
    const data = history(['m1', 'm2', 'm3', 'm4'].map((name, i) => bucket(t0, name, { requests: 10 - i })));
    const series = seriesByModel(data, metrics.requests, { ...options, maxSeries: 3 });
    expect(series.map((s) => [s.label, s.points[0]?.y])).toEqual([
      ['m1', 10],
      ['m2', 9],
      ['Other', 8 + 7],
    ]);
  });

  it('is empty without data', () => {
    expect(seriesByModel(undefined, metrics.requests, options)).toEqual([]);
    expect(seriesByModel(history([]), metrics.requests, options)).toEqual([]);
  });
});

describe('currenciesOf', () => {
  it('lists currencies by total amount, biggest first', () => {
    const data = history([bucket(t0, 'a', { cost: { USD: 3 } }), bucket(t0, 'b', { cost: { CNY: 20, USD: 1 } })]);
    expect(currenciesOf(data)).toEqual(['CNY', 'USD']);
    expect(currenciesOf(undefined)).toEqual([]);
  });
});
