import { describe, expect, it } from 'vitest';
import type { Money } from '../../../../shared/types.js';
import { historyJsonBytes } from '../../../../electron/ledger/reads/history-json.js';
import { HistoryGrid, type CellTotals, type HistoryRowKey } from '../../../../electron/ledger/store/history-grid.js';

const CURRENCIES = new Map([
  [1, 'USD'],
  [2, 'CNY'],
]);
const money = (nanos: ReadonlyMap<number, number>): Money => Object.fromEntries([...nanos].map(([id, amount]) => [CURRENCIES.get(id)!, amount / 1e9]));

const cell = (n: number, costs: [number, number][] = []): CellTotals => ({
  requests: n,
  failures: n % 3,
  inputTokens: n * 1_234_567,
  outputTokens: n * 89,
  cacheReadTokens: 0,
  cacheWriteTokens: n * 7,
  unpricedRequests: costs.length === 0 ? n : 0,
  runtimeMs: n * 1_500.5,
  costNanos: new Map(costs),
});

/** The objects the data API answers with, as Reports.history() shapes a grid. */
function objects(head: { from: number; to: number; interval: number }, grid: HistoryGrid): unknown {
  const buckets: unknown[] = [];
  grid.forEach((ts, row, t) => {
    const named = grid.key === null ? { ts } : { ts, [grid.key]: row.name };
    const { runtimeMs, costNanos, ...sums } = t;
    buckets.push({ ...named, requests: sums.requests, failures: sums.failures, inputTokens: sums.inputTokens, outputTokens: sums.outputTokens, cacheReadTokens: sums.cacheReadTokens, cacheWriteTokens: sums.cacheWriteTokens, unpricedRequests: sums.unpricedRequests, runtimeSeconds: runtimeMs / 1000, cost: money(costNanos) });
  });
  return { ...head, buckets };
}

function grid(key: HistoryRowKey, buckets: number, cellAt: (bucket: number, row: number) => CellTotals, names: (string | null)[]): HistoryGrid {
  const starts = Array.from({ length: buckets }, (_, i) => 1_717_372_800_000 + i * 60_000);
  return new HistoryGrid(starts, key, names.map((name, row) => ({ name, cells: starts.map((_, i) => cellAt(i, row)) })));
}

describe('historyJsonBytes', () => {
  const head = { from: 1_717_372_800_000, to: 1_717_459_200_000, interval: 60 };

  it('grows the buffer it sized from the first buckets when later ones are longer, losing nothing', () => {
    // Empty buckets first, then busy ones priced in two currencies: the sample underestimates.
    const g = grid('model', 300, (i) => (i < 40 ? cell(0) : cell(i * 1_000, [[1, i * 123_456_789], [2, 5]])), ['gpt-5', '通义千问']);
    const sizes: number[] = [];
    const bytes = historyJsonBytes(head, g, money, (size) => {
      sizes.push(size);
      return Buffer.alloc(size);
    });
    expect(bytes.toString('utf8')).toBe(JSON.stringify(objects(head, g)));
    expect(sizes.length).toBeGreaterThan(1);
  });

  it('writes every row key, names that need escaping and none, and fewer buckets than its sample', () => {
    for (const key of ['model', 'project', 'host', null] as const) {
      const names = key === null ? [null] : key === 'model' ? ['a"b\\c', 'ü'] : [null, '/home/李/项目 "q"\n'];
      for (const buckets of [0, 1, 5, 200]) {
        const g = grid(key, buckets, (i, row) => cell(i + row, i % 2 === 0 ? [] : [[2, 1]]), names);
        expect(historyJsonBytes(head, g, money, (size) => Buffer.alloc(size)).toString('utf8'), `${key} ${buckets}`).toBe(JSON.stringify(objects(head, g)));
      }
    }
  });

  it('writes numbers as JSON.stringify does, the non-finite ones as null', () => {
    const g = grid('model', 1, () => ({ ...cell(1), runtimeMs: Number.NaN, inputTokens: 1e21, outputTokens: -0 }), ['m']);
    expect(historyJsonBytes(head, g, money, (size) => Buffer.alloc(size)).toString('utf8')).toBe(JSON.stringify(objects(head, g)));
  });
});
