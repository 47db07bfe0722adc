import type { CurrencyConversion, Money } from '../../../../shared/types.js';

/**
 * Where a cost stands when costs are ranked: amounts in different currencies are never added as one
 * number. A cost whose every currency converts (the display currency, or one with a rate) is ranked
 * by its converted amount; any other cost is ranked only against costs in its own currency.
 */
export interface CostKey {
  /** The currency the amount is in: the display currency when converted. */
  currency: string;
  amount: number;
}

export function costKey(cost: Money | null, conversion: CurrencyConversion | null): CostKey | null {
  const entries = Object.entries(cost ?? {});
  if (entries.length === 0) return null;
  if (conversion) {
    let converted = 0;
    let complete = true;
    for (const [currency, amount] of entries) {
      const rate = currency === conversion.currency ? 1 : conversion.rates[currency];
      if (rate === undefined) complete = false;
      else converted += amount * rate;
    }
    if (complete) return { currency: conversion.currency, amount: converted };
  }
  if (entries.length === 1) return { currency: entries[0]![0], amount: entries[0]![1] };
  // Several currencies and no way to convert them: the row is filed under its biggest amount.
  const [currency, amount] = entries.reduce((best, entry) => (entry[1] > best[1] ? entry : best));
  return { currency, amount };
}

/**
 * Compares two cost keys, biggest first when `descending`: the display currency's group first, then
 * the other currencies A to Z, each sorted by amount. Missing costs are left to the caller.
 */
export function compareCostKeys(a: CostKey, b: CostKey, conversion: CurrencyConversion | null, descending: boolean): number {
  if (a.currency !== b.currency) {
    if (conversion && a.currency === conversion.currency) return -1;
    if (conversion && b.currency === conversion.currency) return 1;
    return a.currency.localeCompare(b.currency);
  }
  return descending ? b.amount - a.amount : a.amount - b.amount;
}

/**
 * The currencies that rank separately, in display order, when more than one does (so the view says the
 * order is within each currency); empty when every cost ranks on one scale.
 */
export function separateCurrencies(costs: readonly (Money | null)[], conversion: CurrencyConversion | null): string[] {
  const currencies = new Set<string>();
  for (const cost of costs) {
    const key = costKey(cost, conversion);
    if (key) currencies.add(key.currency);
  }
  if (currencies.size < 2) return [];
  return [...currencies].sort((a, b) => compareCostKeys({ currency: a, amount: 0 }, { currency: b, amount: 0 }, conversion, true));
}
