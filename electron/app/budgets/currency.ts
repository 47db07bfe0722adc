import type { Money, Settings } from '../../../shared/types.js';

/** Money in one currency, with what it took: the rates used and what could not be converted. */
export interface Converted {
  amount: number;
  converted: { currency: string; rate: number }[];
  unconverted: { currency: string; cost: number }[];
}

/**
 * The factor turning one unit of `from` into `to`, or null without a rate. The user's rates are units
 * of the display currency per unit of each other currency (as the summary's conversion reads them);
 * with no display currency set, the target currency is taken as their base. Two currencies neither of
 * which is the base convert through it: from → base → to.
 */
export function rateBetween(from: string, to: string, settings: Pick<Settings, 'displayCurrency' | 'currencyRates'>): number | null {
  if (from === to) return 1;
  const base = settings.displayCurrency ?? to;
  const toBase = (currency: string): number | null => (currency === base ? 1 : (settings.currencyRates[currency] ?? null));
  const fromRate = toBase(from);
  const toRate = toBase(to);
  if (fromRate === null || toRate === null) return null;
  return fromRate / toRate;
}

/** Sums `money` in `target`; currencies without a rate are listed apart and not counted. */
export function convertMoney(money: Money, target: string, settings: Pick<Settings, 'displayCurrency' | 'currencyRates'>): Converted {
  let amount = 0;
  const converted: Converted['converted'] = [];
  const unconverted: Converted['unconverted'] = [];
  for (const [currency, cost] of Object.entries(money).sort(([a], [b]) => a.localeCompare(b))) {
    const rate = rateBetween(currency, target, settings);
    if (rate === null) {
      if (cost !== 0) unconverted.push({ currency, cost });
      continue;
    }
    amount += cost * rate;
    if (currency !== target) converted.push({ currency, rate });
  }
  return { amount, converted, unconverted };
}

/** Adds `b` into `a` per currency. */
export function addMoney(a: Money, b: Money | null | undefined): Money {
  if (b) for (const [currency, value] of Object.entries(b)) a[currency] = (a[currency] ?? 0) + value;
  return a;
}
