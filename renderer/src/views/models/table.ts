import type { CurrencyConversion, ModelSummary } from '../../../../shared/types.js';
import { compareCostKeys, costKey } from '../../lib/state/cost-order.js';
import { tokenTotal } from '../../lib/state/overview.js';

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
/** Columns a table can sort by: the Models table's, and the Overview's token total. */
export type SortColumn = ModelColumn | 'tokens';

export interface SortOrder {
  column: SortColumn;
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

function valueOf(row: ModelSummary, column: Exclude<SortColumn, 'cost'>): number | string | null {
  switch (column) {
    case 'model':
      return row.model;
    case 'successRate':
      return successRate(row);
    case 'pricing':
      return pricingLabel(row);
    case 'tokens':
      return tokenTotal(row);
    default:
      return row[column];
  }
}

/**
 * Rows in the chosen order; values that do not exist (an unpriced cost, the success rate of a model
 * without requests) go last in both directions, so "most expensive" never starts with unpriced rows.
 * Costs rank by their amount in the display currency when `conversion` has every rate needed, else
 * within their own currency (see cost-order.ts): CN¥470 is never "more" than $278.
 */
export function sortModels(rows: readonly ModelSummary[], order: SortOrder, conversion: CurrencyConversion | null = null): ModelSummary[] {
  const sign = order.descending ? -1 : 1;
  if (order.column === 'cost') {
    return [...rows].sort((a, b) => {
      const x = costKey(a.cost, conversion);
      const y = costKey(b.cost, conversion);
      if (x === null || y === null) return x === y ? a.model.localeCompare(b.model) : x === null ? 1 : -1;
      return compareCostKeys(x, y, conversion, order.descending) || a.model.localeCompare(b.model);
    });
  }
  const column = order.column;
  return [...rows].sort((a, b) => {
    const x = valueOf(a, column);
    const y = valueOf(b, column);
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
export function nextOrder(current: SortOrder, column: SortColumn): SortOrder {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: column !== 'model' && column !== 'pricing' };
}
