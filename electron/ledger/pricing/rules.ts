import type { PriceTier, PricingMethod } from '../../../shared/schemas/pricing.js';
import type { TokenTotals } from '../../../shared/types.js';

/** Money is stored as integer nano-units of its currency, so sums are exact. */
export const NANOS_PER_UNIT = 1e9;
const TOKENS_PER_PRICE_UNIT = 1e6;
const MS_PER_HOUR = 3_600_000;

export function toNanos(amount: number): number {
  return Math.round(amount * NANOS_PER_UNIT);
}

export function fromNanos(nanos: number): number {
  return nanos / NANOS_PER_UNIT;
}

/** A tier with its prices in nanos per 1M tokens; a missing cache price is the input price. */
export interface CompiledTier {
  maxPromptTokens: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** The 1-hour cache-write price; the cache-write price when the tier has none. */
  cacheWrite1h: number;
}

/** Token counts a tier prices: cacheWrite1hTokens is the part of cacheWriteTokens written for an hour. */
export type PricedTokens = TokenTotals & { cacheWrite1hTokens?: number | null | undefined };

export interface CompiledVersion {
  id: number;
  modelId: number;
  effectiveFrom: number;
  currencyId: number;
  currency: string;
  method: PricingMethod;
  tiers: CompiledTier[];
  hourlyNanos: number;
}

/** Tiers by ascending bound, the unbounded one (null) last. */
export function compileTiers(tiers: readonly PriceTier[]): CompiledTier[] {
  return tiers
    .map((tier) => {
      const input = toNanos(tier.input);
      const cacheWrite = tier.cacheWrite === undefined ? input : toNanos(tier.cacheWrite);
      return {
        maxPromptTokens: tier.maxPromptTokens ?? Number.POSITIVE_INFINITY,
        input,
        output: toNanos(tier.output),
        cacheRead: tier.cacheRead === undefined ? input : toNanos(tier.cacheRead),
        cacheWrite,
        cacheWrite1h: tier.cacheWrite1h === undefined ? cacheWrite : toNanos(tier.cacheWrite1h),
      };
    })
    .sort((a, b) => a.maxPromptTokens - b.maxPromptTokens);
}

export function promptTokens(tokens: TokenTotals): number {
  return tokens.inputTokens + tokens.cacheReadTokens + tokens.cacheWriteTokens;
}

/**
 * The first tier whose bound is >= the prompt size. A prompt beyond every bound (no unbounded tier
 * was given) is billed at the highest tier rather than left unpriced.
 */
export function selectTier(tiers: readonly CompiledTier[], prompt: number): CompiledTier {
  for (const tier of tiers) if (tier.maxPromptTokens >= prompt) return tier;
  return tiers[tiers.length - 1]!;
}

export function tierCostNanos(tier: CompiledTier, tokens: PricedTokens): number {
  const oneHour = Math.min(tokens.cacheWrite1hTokens ?? 0, tokens.cacheWriteTokens);
  const shortWrites = tokens.cacheWriteTokens - oneHour;
  const sum =
    tokens.inputTokens * tier.input +
    tokens.cacheReadTokens * tier.cacheRead +
    shortWrites * tier.cacheWrite +
    oneHour * tier.cacheWrite1h +
    tokens.outputTokens * tier.output;
  // A safe-integer sum means every product was exact too; past 2^53 the float sum can be off by more
  // than half a nano (92M tokens at 4,549.48 per 1M came out one nano short), so sum in BigInt there.
  if (Number.isSafeInteger(sum)) return Math.round(sum / TOKENS_PER_PRICE_UNIT);
  return roundedQuotient(
    BigInt(tokens.inputTokens) * BigInt(tier.input) +
      BigInt(tokens.cacheReadTokens) * BigInt(tier.cacheRead) +
      BigInt(shortWrites) * BigInt(tier.cacheWrite) +
      BigInt(oneHour) * BigInt(tier.cacheWrite1h) +
      BigInt(tokens.outputTokens) * BigInt(tier.output),
    TOKENS_PER_PRICE_UNIT,
  );
}

/** round(dividend / divisor), half up like Math.round, for a non-negative integer dividend. */
export function roundedQuotient(dividend: bigint, divisor: number): number {
  const d = BigInt(divisor);
  return Number((dividend * 2n + d) / (2n * d));
}

/**
 * The cost of one request under a version. Hourly and free versions price the request itself at zero
 * (hourly cost comes from runtime), which still counts as priced.
 */
export function requestCostNanos(version: CompiledVersion, tokens: PricedTokens): number {
  if (version.method !== 'tokens') return 0;
  return tierCostNanos(selectTier(version.tiers, promptTokens(tokens)), tokens);
}

export function hourlyCostNanos(hourlyNanos: number, runtimeMs: number): number {
  const product = runtimeMs * hourlyNanos;
  // Exact while the product is a safe integer; 24 days at 28.557 an hour already is not (one nano off).
  if (Number.isSafeInteger(product)) return Math.round(product / MS_PER_HOUR);
  return roundedQuotient(BigInt(runtimeMs) * BigInt(hourlyNanos), MS_PER_HOUR);
}

/** The version in force at `ts` among versions sorted by effectiveFrom, or undefined (unpriced). */
export function versionAt<V extends { effectiveFrom: number }>(versions: readonly V[], ts: number): V | undefined {
  let lo = 0;
  let hi = versions.length - 1;
  let found: V | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const version = versions[mid]!;
    if (version.effectiveFrom <= ts) {
      found = version;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Whether a version prices every request from its token sums alone (one tier, or no tokens). */
export function isLinear(version: CompiledVersion): boolean {
  // Rollups do not keep the 1-hour share of cache writes: a distinct 1-hour price needs the raw rows.
  return version.method !== 'tokens' || (version.tiers.length === 1 && version.tiers[0]!.cacheWrite1h === version.tiers[0]!.cacheWrite);
}
