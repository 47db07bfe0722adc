import { describe, expect, it } from 'vitest';
import { boundsOf } from '../../../../renderer/src/views/models/bounds.js';
import { nextOrder, sortModels, successRate } from '../../../../renderer/src/views/models/table.js';
import { modelRow } from './fixtures.js';

describe('model table order', () => {
  const rows = [
    modelRow('b', { requests: 10, failures: 1, cost: { USD: 1 } }),
    modelRow('a', { requests: 0 }),
    modelRow('c', { requests: 10, failures: 5, cost: { USD: 3 } }),
  ];

  it('puts missing values (unpriced cost, rate of no requests) last in both directions', () => {
    expect(sortModels(rows, { column: 'cost', descending: true }).map((row) => row.model)).toEqual(['c', 'b', 'a']);
    expect(sortModels(rows, { column: 'cost', descending: false }).map((row) => row.model)).toEqual(['b', 'c', 'a']);
    expect(sortModels(rows, { column: 'successRate', descending: false }).map((row) => row.model)).toEqual(['c', 'b', 'a']);
  });

  it('has no success rate without requests', () => {
    expect(successRate({ requests: 0, failures: 0 })).toBeNull();
    expect(successRate({ requests: 4, failures: 1 })).toBe(0.75);
  });

  it('starts figures with the largest and names from A, and flips on a second click', () => {
    const current = { column: 'requests' as const, descending: true };
    expect(nextOrder(current, 'cost')).toEqual({ column: 'cost', descending: true });
    expect(nextOrder(current, 'model')).toEqual({ column: 'model', descending: false });
    expect(nextOrder(current, 'requests')).toEqual({ column: 'requests', descending: false });
  });
});

describe('boundsOf', () => {
  const now = new Date(2026, 0, 10, 15, 30).getTime();

  it('starts today at local midnight and presets that long before now', () => {
    expect(boundsOf({ preset: 'today' }, now)).toEqual({ from: new Date(2026, 0, 10).getTime(), to: now });
    expect(boundsOf({ preset: '6h' }, now)).toEqual({ from: now - 6 * 3_600_000, to: now });
    expect(boundsOf({ preset: 'custom', from: 5, to: 9 }, now)).toEqual({ from: 5, to: 9 });
  });

  it('never answers an empty window, even at midnight', () => {
    const midnight = new Date(2026, 0, 10).getTime();
    const bounds = boundsOf({ preset: 'today' }, midnight);
    expect(bounds.from).toBeLessThan(bounds.to);
  });
});
