import { describe, expect, it } from 'vitest';
import {
  compileTiers,
  hourlyCostNanos,
  promptTokens,
  requestCostNanos,
  selectTier,
  tierCostNanos,
  toNanos,
  versionAt,
  type CompiledVersion,
} from '../../../../electron/ledger/pricing/rules.js';
import type { PriceTier } from '../../../../shared/schemas/pricing.js';
import type { TokenTotals } from '../../../../shared/types.js';

const tokens = (input: number, output = 0, cacheRead = 0, cacheWrite = 0): TokenTotals => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
});

// Three tiers given out of order, the unbounded one first: the order of input must not matter.
const TIERS: PriceTier[] = [
  { maxPromptTokens: null, input: 4, output: 16 },
  { maxPromptTokens: 200_000, input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2.5 },
  { maxPromptTokens: 32_000, input: 1, output: 4, cacheRead: 0.25 },
];

function version(overrides: Partial<CompiledVersion>): CompiledVersion {
  return {
    id: 1,
    modelId: 1,
    effectiveFrom: 0,
    currencyId: 1,
    currency: 'USD',
    method: 'tokens',
    tiers: compileTiers(TIERS),
    hourlyNanos: 0,
    ...overrides,
  };
}

describe('compileTiers', () => {
  it('sorts tiers by ascending bound with the unbounded tier last', () => {
    const compiled = compileTiers(TIERS);
    expect(compiled.map((tier) => tier.maxPromptTokens)).toEqual([32_000, 200_000, Number.POSITIVE_INFINITY]);
  });

  it('keeps prices as integer nanos per million tokens', () => {
    const [first] = compileTiers([{ maxPromptTokens: null, input: 0.15, output: 0.6, cacheRead: 0.075 }]);
    expect(first).toEqual({
      maxPromptTokens: Number.POSITIVE_INFINITY,
      input: 150_000_000,
      output: 600_000_000,
      cacheRead: 75_000_000,
      // No cache-write price: cache writes are billed at the input price.
      cacheWrite: 150_000_000,
      // No 1-hour cache-write price: billed as any cache write.
      cacheWrite1h: 150_000_000,
    });
  });

  it('bills a missing cache-read and cache-write price at the input price', () => {
    const [tier] = compileTiers([{ maxPromptTokens: null, input: 3, output: 15 }]);
    expect(tier!.cacheRead).toBe(tier!.input);
    expect(tier!.cacheWrite).toBe(tier!.input);
    // A given price of zero is a price, not a missing one.
    const [free] = compileTiers([{ maxPromptTokens: null, input: 3, output: 15, cacheRead: 0, cacheWrite: 0 }]);
    expect(free!.cacheRead).toBe(0);
    expect(free!.cacheWrite).toBe(0);
  });
});

describe('promptTokens', () => {
  it('is input + cache read + cache write, output excluded', () => {
    expect(promptTokens(tokens(10, 1_000, 200, 3_000))).toBe(3_210);
  });
});

describe('selectTier', () => {
  const tiers = compileTiers(TIERS);

  it('picks the tier whose bound equals the prompt size', () => {
    expect(selectTier(tiers, 32_000).maxPromptTokens).toBe(32_000);
    expect(selectTier(tiers, 200_000).maxPromptTokens).toBe(200_000);
  });

  it('picks the next tier one token past a bound', () => {
    expect(selectTier(tiers, 32_001).maxPromptTokens).toBe(200_000);
    expect(selectTier(tiers, 200_001).maxPromptTokens).toBe(Number.POSITIVE_INFINITY);
  });

  it('picks the lowest tier for an empty prompt', () => {
    expect(selectTier(tiers, 0).maxPromptTokens).toBe(32_000);
  });

  it('bills a prompt beyond every bound at the highest tier when no tier is unbounded', () => {
    const bounded = compileTiers([
      { maxPromptTokens: 1_000, input: 1, output: 1 },
      { maxPromptTokens: 10_000, input: 2, output: 2 },
    ]);
    expect(selectTier(bounded, 10_001).maxPromptTokens).toBe(10_000);
    expect(selectTier(bounded, 5_000_000).input).toBe(toNanos(2));
  });
});

describe('tier cost', () => {
  it('sums input, cache read, cache write and output at their prices over 1e6', () => {
    const [tier] = compileTiers([{ maxPromptTokens: null, input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2.5 }]);
    // 1000 x 2 + 4000 x 0.5 + 100 x 2.5 + 500 x 8 = 2000 + 2000 + 250 + 4000 = 8250 per 1e6 = 0.00825
    expect(tierCostNanos(tier!, tokens(1_000, 500, 4_000, 100))).toBe(8_250_000);
  });

  it('chooses the tier from the whole prompt, cache included', () => {
    const v = version({});
    // 20k input alone fits the first tier, but with 20k cache reads the prompt is 40k: second tier.
    const cost = requestCostNanos(v, tokens(20_000, 1_000, 20_000));
    expect(cost).toBe(20_000 * 2_000 + 20_000 * 500 + 1_000 * 8_000);
    // Exactly at the bound with cache writes counted: first tier, cache writes at its input price.
    expect(requestCostNanos(v, tokens(10_000, 0, 12_000, 10_000))).toBe(10_000 * 1_000 + 12_000 * 250 + 10_000 * 1_000);
    // One more token crosses into the second tier, where cache writes have their own price.
    expect(requestCostNanos(v, tokens(10_001, 0, 12_000, 10_000))).toBe(10_001 * 2_000 + 12_000 * 500 + 10_000 * 2_500);
  });

  it('uses the unbounded tier for very large prompts', () => {
    expect(requestCostNanos(version({}), tokens(1_000_000, 10))).toBe(1_000_000 * 4_000 + 10 * 16_000);
  });

  it('rounds each cost to whole nanos', () => {
    const [tier] = compileTiers([{ maxPromptTokens: null, input: 0.123456789, output: 0.000001 }]);
    expect(tier!.input).toBe(123_456_789);
    // One token: 123.456789 nanos of input plus 0.001 nanos of output, rounded.
    const one = tierCostNanos(tier!, tokens(1, 1));
    expect(one).toBe(123);
    expect(Number.isInteger(one)).toBe(true);
    // Three tokens: 370.370367 -> 370; 5 tokens: 617.28 -> 617; half-way rounds up.
    expect(tierCostNanos(tier!, tokens(3))).toBe(370);
    const [half] = compileTiers([{ maxPromptTokens: null, input: 0.0000005, output: 0 }]);
    expect(half!.input).toBe(500);
    expect(tierCostNanos(half!, tokens(1_000))).toBe(1);
    expect(tierCostNanos(half!, tokens(999))).toBe(0);
  });

  it('bills 1-hour cache writes at their own price, and as other cache writes without one', () => {
    const [tier] = compileTiers([{ maxPromptTokens: null, input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 }]);
    expect(tier!.cacheWrite1h).toBe(toNanos(6));
    const request = { ...tokens(1_200, 700, 30_000, 8_000), cacheWrite1hTokens: 2_000 };
    // 1200 x 3 + 30000 x 0.3 + 6000 x 3.75 + 2000 x 6 + 700 x 15 = 3600 + 9000 + 22500 + 12000 + 10500 = 57600 per 1e6.
    expect(tierCostNanos(tier!, request)).toBe(57_600_000);
    // More 1-hour tokens than cache writes: at most all of the writes are 1-hour ones.
    expect(tierCostNanos(tier!, { ...request, cacheWrite1hTokens: 99_999 })).toBe(3_600_000 + 9_000_000 + 48_000_000 + 10_500_000);
    const [plain] = compileTiers([{ maxPromptTokens: null, input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }]);
    expect(plain!.cacheWrite1h).toBe(plain!.cacheWrite);
    expect(tierCostNanos(plain!, request)).toBe(tierCostNanos(plain!, tokens(1_200, 700, 30_000, 8_000)));
    // Past 2^53 the BigInt path splits the writes the same way.
    const big = { ...tokens(0, 0, 0, 4e12), cacheWrite1hTokens: 1e12 };
    expect(tierCostNanos(tier!, big)).toBe((3e12 * 3_750_000_000 + 1e12 * 6_000_000_000) / 1e6);
  });

  it('prices hourly and free versions per request at zero', () => {
    expect(requestCostNanos(version({ method: 'hourly', tiers: [], hourlyNanos: toNanos(1.5) }), tokens(1_000, 1_000))).toBe(0);
    expect(requestCostNanos(version({ method: 'none', tiers: [] }), tokens(1_000, 1_000))).toBe(0);
  });
});

describe('hourlyCostNanos', () => {
  it('is runtime seconds x hourly price / 3600, in whole nanos', () => {
    expect(hourlyCostNanos(toNanos(3.6), 3_600_000)).toBe(3_600_000_000);
    expect(hourlyCostNanos(toNanos(3.6), 1_000)).toBe(1_000_000);
    expect(hourlyCostNanos(toNanos(1), 1)).toBe(278); // 277.77... nanos
    expect(hourlyCostNanos(toNanos(1), 0)).toBe(0);
  });
});

describe('versionAt', () => {
  const versions = [{ effectiveFrom: 100 }, { effectiveFrom: 200 }, { effectiveFrom: 300 }];

  it('is undefined before the first version (unpriced)', () => {
    expect(versionAt(versions, 99)).toBeUndefined();
    expect(versionAt([], 1_000)).toBeUndefined();
  });

  it('takes a version from its effectiveFrom, inclusive, until the next one', () => {
    expect(versionAt(versions, 100)).toBe(versions[0]);
    expect(versionAt(versions, 199)).toBe(versions[0]);
    expect(versionAt(versions, 200)).toBe(versions[1]);
    expect(versionAt(versions, 299)).toBe(versions[1]);
    expect(versionAt(versions, 300)).toBe(versions[2]);
    expect(versionAt(versions, Number.MAX_SAFE_INTEGER)).toBe(versions[2]);
  });

  it('agrees with a linear scan for many versions', () => {
    const many = Array.from({ length: 37 }, (_, i) => ({ effectiveFrom: i * 10 + (i % 3) }));
    for (let ts = -5; ts < 400; ts++) {
      const expected = [...many].reverse().find((v) => v.effectiveFrom <= ts);
      expect(versionAt(many, ts)).toBe(expected);
    }
  });
});
