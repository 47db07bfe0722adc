import type { CurrencyConversion, Money, ModelSummary, TokenTotals, UsageTotals } from '../../../../shared/types.js';
import { compareCostKeys, costKey } from './cost-order.js';

/** Share of requests that succeeded, or null when there were none (shown as a dash, not 100 %). */
export function successRate(totals: Pick<UsageTotals, 'requests' | 'failures'>): number | null {
  return totals.requests > 0 ? (totals.requests - totals.failures) / totals.requests : null;
}

export function tokenTotal(totals: TokenTotals): number {
  return totals.inputTokens + totals.outputTokens + totals.cacheReadTokens + totals.cacheWriteTokens;
}

/** Prompt tokens served from cache out of every prompt token (input + cache read + cache write). */
export function cacheHitRate(totals: TokenTotals): number | null {
  const prompt = totals.inputTokens + totals.cacheReadTokens + totals.cacheWriteTokens;
  return prompt > 0 ? totals.cacheReadTokens / prompt : null;
}

/**
 * One number to rank costs in different currencies: converted with the user's rates when a display
 * currency is set (a currency without a rate counts nothing), else the plain sum, which ranks
 * correctly whenever everything is in one currency.
 */
export function costRank(cost: Money | null, conversion: CurrencyConversion | null): number {
  if (!cost) return -1;
  let total = 0;
  for (const [currency, amount] of Object.entries(cost)) {
    if (!conversion) total += amount;
    else if (currency === conversion.currency) total += amount;
    else total += amount * (conversion.rates[currency] ?? 0);
  }
  return total;
}

/**
 * Models by cost, priced ones first, the most expensive on top; ties by requests. Costs that cannot be
 * converted to one currency rank within their currency (see cost-order.ts), never by adding amounts.
 */
export function topByCost(models: ModelSummary[], conversion: CurrencyConversion | null, limit: number): ModelSummary[] {
  return [...models]
    .filter((model) => model.requests > 0 || model.runtimeSeconds > 0 || model.cost !== null)
    .sort((a, b) => {
      const x = costKey(a.cost, conversion);
      const y = costKey(b.cost, conversion);
      const byCost = x === null || y === null ? (x === y ? 0 : x === null ? 1 : -1) : compareCostKeys(x, y, conversion, true);
      return byCost || b.requests - a.requests || a.model.localeCompare(b.model);
    })
    .slice(0, limit);
}

/** Seconds until a circuit's next retry, or null when none is planned; never negative. */
export function secondsUntil(ts: number | null, now: number): number | null {
  if (ts === null) return null;
  return Math.max(0, Math.ceil((ts - now) / 1000));
}

// A summary of a range ending now is at most one refresh old (30 s, or 60 s on the Models page);
// the slack keeps a just-fetched "today" current while a custom range that ended earlier is the past.
const NOW_SLACK_MS = 120_000;

/** Whether a range reaches the present, so "running now" means something in it. */
export function reachesNow(range: { to: number }, now: number): boolean {
  return range.to >= now - NOW_SLACK_MS;
}
