import { describe, expect, it } from 'vitest';
import { RowBudget } from '../../../../electron/ledger/store/row-budget.js';

describe('RowBudget', () => {
  it('keeps entries up to its rows, each counting one more than it holds, and drops the least recently used first', () => {
    const budget = new RowBudget<string>(12);
    budget.set('a', 'A', 3);
    budget.set('b', 'B', 3);
    budget.set('c', 'C', 3);
    expect(budget.size).toBe(3);
    // Read, 'a' is the most recently used: 'b' goes when 'd' comes.
    expect(budget.get('a')).toBe('A');
    budget.set('d', 'D', 3);
    expect([budget.get('a'), budget.get('b'), budget.get('c'), budget.get('d')]).toEqual(['A', undefined, 'C', 'D']);
  });

  it('replaces an entry under the same key, counting its new rows, and keeps none bigger than a quarter of the budget', () => {
    const budget = new RowBudget<string>(12);
    budget.set('a', 'A', 2);
    budget.set('b', 'B', 2);
    budget.set('a', 'A2', 3);
    budget.set('c', 'C', 3);
    // 4 + 3 + 4 = 11 counted; one more 1-row entry (2) overflows, and 'b' is now the least recently used.
    budget.set('e', 'E', 1);
    expect([budget.get('a'), budget.get('b'), budget.get('c'), budget.get('e')]).toEqual(['A2', undefined, 'C', 'E']);
    budget.set('big', 'X', 4);
    expect(budget.get('big')).toBeUndefined();
    expect(budget.size).toBe(3);
    budget.delete('a');
    expect(budget.get('a')).toBeUndefined();
    expect(budget.size).toBe(2);
  });
});
