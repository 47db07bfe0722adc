import { addDays, startOfDay } from 'date-fns';
import type { PriceTier } from '../../../../shared/schemas/pricing.js';
import type { Money, UsageTotals } from '../../../../shared/types.js';

/**
 * An independent model of what the ledger should answer, written from product.md section 1: requests
 * are kept as plain objects and every answer is summed from them directly.
 */
export interface RefRecord {
  ts: number;
  model: string;
  apiType: string | null;
  channel: string | null;
  success: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  requestId: string | null;
}

export interface RefVersion {
  effectiveFrom: number;
  currency: string;
  method: 'tokens' | 'none';
  tiers?: PriceTier[];
}

export interface Priced extends RefRecord {
  /** Integer nanos, null when unpriced. */
  costNanos: number | null;
  currency: string | null;
}

/** Nanos per token of a price per million tokens; test prices have at most six decimals, so exact. */
const perToken = (price: number) => Math.round(price * 1_000);

export function refCost(tiers: readonly PriceTier[], r: RefRecord): number {
  const prompt = r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens;
  const bound = (tier: PriceTier) => tier.maxPromptTokens ?? Number.POSITIVE_INFINITY;
  const sorted = [...tiers].sort((a, b) => bound(a) - bound(b));
  const tier = sorted.find((t) => bound(t) >= prompt) ?? sorted[sorted.length - 1]!;
  return (
    r.inputTokens * perToken(tier.input) +
    r.cacheReadTokens * perToken(tier.cacheRead ?? tier.input) +
    r.cacheWriteTokens * perToken(tier.cacheWrite ?? tier.input) +
    r.outputTokens * perToken(tier.output)
  );
}

export function refPrice(r: RefRecord, versions: readonly RefVersion[]): Priced {
  const inForce = [...versions].sort((a, b) => a.effectiveFrom - b.effectiveFrom).filter((v) => v.effectiveFrom <= r.ts).pop();
  if (!inForce) return { ...r, costNanos: null, currency: null };
  return { ...r, costNanos: inForce.method === 'none' ? 0 : refCost(inForce.tiers!, r), currency: inForce.currency };
}

export type RefTotals = Omit<UsageTotals, 'runtimeSeconds'>;

export function refTotals(records: readonly Priced[]): RefTotals {
  const nanos = new Map<string, number>();
  const totals: RefTotals = {
    requests: 0,
    failures: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    unpricedRequests: 0,
    cost: {},
  };
  for (const r of records) {
    totals.requests++;
    if (!r.success) totals.failures++;
    totals.inputTokens += r.inputTokens;
    totals.outputTokens += r.outputTokens;
    totals.cacheReadTokens += r.cacheReadTokens;
    totals.cacheWriteTokens += r.cacheWriteTokens;
    if (r.currency === null) totals.unpricedRequests++;
    else nanos.set(r.currency, (nanos.get(r.currency) ?? 0) + r.costNanos!);
  }
  totals.cost = money(nanos);
  return totals;
}

export function money(nanos: Map<string, number>): Money {
  const out: Money = {};
  for (const [currency, amount] of nanos) out[currency] = amount / 1e9;
  return out;
}

/** Bucket starts as product.md defines them: epoch multiples below a day, local midnights for days. */
export function refBucketStarts(from: number, to: number, intervalSeconds: number): number[] {
  const out: number[] = [];
  if (intervalSeconds % 86_400 === 0) {
    const first = startOfDay(from);
    for (let i = 0; ; i += intervalSeconds / 86_400) {
      const ts = addDays(first, i).getTime();
      if (ts >= to) return out;
      out.push(ts);
    }
  }
  const width = intervalSeconds * 1000;
  for (let ts = Math.floor(from / width) * width; ts < to; ts += width) out.push(ts);
  return out;
}

/** Totals per bucket of the records in [from, to), by the last bucket start at or before each. */
export function refHistory(records: readonly Priced[], from: number, to: number, starts: readonly number[]): RefTotals[] {
  const groups = starts.map(() => [] as Priced[]);
  for (const r of records) {
    if (r.ts < from || r.ts >= to) continue;
    let i = starts.length - 1;
    while (i > 0 && starts[i]! > r.ts) i--;
    groups[i]!.push(r);
  }
  return groups.map(refTotals);
}

export function pick<T extends RefTotals>(totals: T): RefTotals {
  return {
    requests: totals.requests,
    failures: totals.failures,
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    cacheReadTokens: totals.cacheReadTokens,
    cacheWriteTokens: totals.cacheWriteTokens,
    unpricedRequests: totals.unpricedRequests,
    cost: totals.cost,
  };
}
