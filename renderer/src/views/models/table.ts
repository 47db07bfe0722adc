import type { ModelSummary } from '../../../../shared/types.js';

export const MODEL_COLUMNS = [
  'model',
  'requests',
  'successRate',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'runtimeSeconds',
  'pricing',
  'cost',
] as const;
export type ModelColumn = (typeof MODEL_COLUMNS)[number];

export interface SortOrder {
  column: ModelColumn;
  descending: boolean;
}

/** Null when there were no requests: a rate of nothing is not 100 %. */
export function successRate(row: Pick<ModelSummary, 'requests' | 'failures'>): number | null {
  return row.requests === 0 ? null : (row.requests - row.failures) / row.requests;
}

export type PricingLabel = 'tokens' | 'hourly' | 'none' | 'unpriced';

export function pricingLabel(row: Pick<ModelSummary, 'pricingMethod'>): PricingLabel {
  return row.pricingMethod ?? 'unpriced';
}

// Mixed currencies compare by the sum of their amounts: rough, but it keeps big spenders on top, and
// the cell itself shows each currency.
function costValue(row: ModelSummary): number | null {
  return row.cost === null ? null : Object.values(row.cost).reduce((sum, amount) => sum + amount, 0);
}

function valueOf(row: ModelSummary, column: ModelColumn): number | string | null {
  switch (column) {
    case 'model':
      return row.model;
    case 'successRate':
      return successRate(row);
    case 'pricing':
      return pricingLabel(row);
    case 'cost':
      return costValue(row);
    default:
      return row[column];
  }
}

/**
 * Rows in the chosen order; values that do not exist (an unpriced cost, the success rate of a model
 * without requests) go last in both directions, so "most expensive" never starts with unpriced rows.
 */
export function sortModels(rows: readonly ModelSummary[], order: SortOrder): ModelSummary[] {
  const sign = order.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = valueOf(a, order.column);
    const y = valueOf(b, order.column);
    if (x === null || y === null) {
      if (x === y) return a.model.localeCompare(b.model);
      return x === null ? 1 : -1;
    }
    const compared = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
    return compared === 0 ? a.model.localeCompare(b.model) : sign * compared;
  });
}

/** Case-insensitive match on any part of the name. */
export function filterModels(rows: readonly ModelSummary[], text: string): ModelSummary[] {
  const needle = text.trim().toLowerCase();
  return needle ? rows.filter((row) => row.model.toLowerCase().includes(needle)) : [...rows];
}

/** Text columns start A to Z, figures start with the largest. */
export function nextOrder(current: SortOrder, column: ModelColumn): SortOrder {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: column !== 'model' && column !== 'pricing' };
}
