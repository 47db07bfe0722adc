import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileTiers,
  hourlyCostNanos,
  promptTokens,
  requestCostNanos,
  selectTier,
  tierCostNanos,
  type CompiledTier,
  type CompiledVersion,
} from '../../../../electron/ledger/pricing/rules.js';
import { runtimeCells } from '../../../../electron/ledger/store/runtime.js';
import type { RunSpan } from '../../../../electron/ledger/store/runs.js';
import { priceVersionInputSchema, type PriceTier } from '../../../../shared/schemas/pricing.js';
import { MAX_TOKENS } from '../../../../shared/schemas/request-record.js';
import type { TokenTotals } from '../../../../shared/types.js';

/**
 * Properties of the pricing rules (product.md section 1, "Pricing") over generated tier lists and
 * usage. Fixed seeds keep `npm test` repeatable; FC_SEED / FC_RUNS explore further, and a failure
 * prints its seed and shrunk counterexample.
 */
const SEED = Number(process.env['FC_SEED'] ?? 5_001);
const runs = (n: number) => ({ seed: SEED, numRuns: Number(process.env['FC_RUNS'] ?? n) });

const HOUR = 3_600_000;
const CLASSES = ['inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'outputTokens'] as const;

// Prices per 1M tokens, as the schema allows them (0..10,000): round amounts like real price lists,
// and arbitrary doubles whose nanos are rounded as toNanos defines it.
const price = fc.oneof(
  fc.integer({ min: 0, max: 10_000_000 }).map((thousandths) => thousandths / 1_000),
  fc.double({ min: 0, max: 10_000, noNaN: true, noDefaultInfinity: true }),
);

/** A valid tier list: distinct finite bounds, at most one unbounded tier, any order. */
const tierList = fc
  .tuple(
    fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 300_000 }), fc.integer({ min: 1, max: 3 * MAX_TOKENS - 1 })), { maxLength: 5 }),
    fc.boolean(),
  )
  .filter(([bounds, unbounded]) => bounds.length > 0 || unbounded)
  .chain(([bounds, unbounded]) => {
    const all: (number | null)[] = unbounded ? [...bounds, null] : bounds;
    return fc
      .tuple(
        ...all.map((bound) =>
          fc.record(
            { maxPromptTokens: fc.constant(bound), input: price, output: price, cacheRead: price, cacheWrite: price },
            { requiredKeys: ['maxPromptTokens', 'input', 'output'] },
          ),
        ),
      )
      .chain((tiers) => fc.shuffledSubarray(tiers, { minLength: tiers.length }));
  });

const tokenCount = fc.oneof(
  fc.integer({ min: 0, max: 2_000 }),
  fc.integer({ min: 0, max: 300_000 }),
  fc.integer({ min: 0, max: MAX_TOKENS }),
);
const usage: fc.Arbitrary<TokenTotals> = fc.record({
  inputTokens: tokenCount,
  cacheReadTokens: tokenCount,
  cacheWriteTokens: tokenCount,
  outputTokens: tokenCount,
});

/** Nanos per 1M tokens as the code defines the rounding of a price (toNanos): to the nearest nano. */
const nanosOf = (amount: number) => BigInt(Math.round(amount * 1e9));

/** The product.md formula in exact integer arithmetic, rounded half up to whole nanos like Math.round. */
function referenceCost(tier: PriceTier, tokens: TokenTotals): number {
  const input = nanosOf(tier.input);
  const sum =
    BigInt(tokens.inputTokens) * input +
    BigInt(tokens.cacheReadTokens) * (tier.cacheRead === undefined ? input : nanosOf(tier.cacheRead)) +
    BigInt(tokens.cacheWriteTokens) * (tier.cacheWrite === undefined ? input : nanosOf(tier.cacheWrite)) +
    BigInt(tokens.outputTokens) * nanosOf(tier.output);
  return Number((sum + 500_000n) / 1_000_000n);
}

/** The spec's tier: the first by ascending bound (null = unbounded) that is >= the prompt, else the highest. */
function referenceTier(tiers: readonly PriceTier[], prompt: number): PriceTier {
  const bound = (tier: PriceTier) => tier.maxPromptTokens ?? Number.POSITIVE_INFINITY;
  const sorted = [...tiers].sort((a, b) => bound(a) - bound(b));
  return sorted.find((tier) => bound(tier) >= prompt) ?? sorted[sorted.length - 1]!;
}

function tokensVersion(tiers: readonly PriceTier[]): CompiledVersion {
  return { id: 1, modelId: 1, effectiveFrom: 0, currencyId: 1, currency: 'USD', method: 'tokens', tiers: compileTiers(tiers), hourlyNanos: 0 };
}

/** Splits a prompt size (up to 3 x MAX_TOKENS) over input, cache read and cache write, each a valid count. */
const promptOf = (size: number) =>
  fc
    .tuple(fc.integer({ min: Math.max(0, size - 2 * MAX_TOKENS), max: Math.min(size, MAX_TOKENS) }), fc.double({ min: 0, max: 1, noNaN: true }), tokenCount)
    .map(([input, share, output]) => {
      const rest = size - input;
      const low = Math.max(0, rest - MAX_TOKENS);
      const cacheRead = Math.min(Math.min(rest, MAX_TOKENS), low + Math.floor(share * (Math.min(rest, MAX_TOKENS) - low)));
      return { inputTokens: input, cacheReadTokens: cacheRead, cacheWriteTokens: rest - cacheRead, outputTokens: output };
    });

describe('generated tier lists', () => {
  it('are valid price versions (so the properties below speak about what users can enter)', () => {
    fc.assert(
      fc.property(tierList, (tiers) => {
        expect(priceVersionInputSchema.safeParse({ method: 'tokens', tiers }).success).toBe(true);
      }),
      runs(200),
    );
  });
});

describe('token pricing', () => {
  it('charges exactly the formula (in x input + cacheRead x cacheRead + cacheWrite x cacheWrite + out x output) / 1e6, in whole nanos', () => {
    fc.assert(
      fc.property(tierList, usage, (tiers, tokens) => {
        const expected = referenceCost(referenceTier(tiers, promptTokens(tokens)), tokens);
        expect(requestCostNanos(tokensVersion(tiers), tokens)).toBe(expected);
      }),
      runs(2_000),
    );
  });

  it('bills a missing cache price at the input price, a given one (zero included) at its own', () => {
    fc.assert(
      fc.property(price, price, fc.option(price, { nil: undefined }), fc.option(price, { nil: undefined }), (input, output, cacheRead, cacheWrite) => {
        const tier: PriceTier = { maxPromptTokens: null, input, output, ...(cacheRead === undefined ? {} : { cacheRead }), ...(cacheWrite === undefined ? {} : { cacheWrite }) };
        const [compiled] = compileTiers([tier]);
        expect(compiled!.cacheRead).toBe(Number(nanosOf(cacheRead ?? input)));
        expect(compiled!.cacheWrite).toBe(Number(nanosOf(cacheWrite ?? input)));
        // A cache token then costs what an input token costs.
        const one = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 1_000, cacheWriteTokens: 0 };
        if (cacheRead === undefined) expect(tierCostNanos(compiled!, one)).toBe(tierCostNanos(compiled!, { ...one, inputTokens: 1_000, cacheReadTokens: 0 }));
      }),
      runs(500),
    );
  });

  it('never charges less when a token class grows and the request stays in its tier', () => {
    fc.assert(
      fc.property(tierList, usage, fc.constantFrom(...CLASSES), fc.integer({ min: 1, max: 1_000_000 }), (tiers, tokens, grown, extra) => {
        const version = tokensVersion(tiers);
        const more = { ...tokens, [grown]: Math.min(MAX_TOKENS, tokens[grown] + extra) };
        if (selectTier(version.tiers, promptTokens(more)) !== selectTier(version.tiers, promptTokens(tokens))) return;
        expect(requestCostNanos(version, more)).toBeGreaterThanOrEqual(requestCostNanos(version, tokens));
      }),
      runs(2_000),
    );
  });

  it('never charges less for more tokens of every class within one tier (the whole cost, not one class)', () => {
    fc.assert(
      fc.property(tierList, usage, usage, (tiers, a, b) => {
        const version = tokensVersion(tiers);
        const [tier] = compileTiers([tiers[0]!]) as [CompiledTier];
        const lower = { inputTokens: Math.min(a.inputTokens, b.inputTokens), cacheReadTokens: Math.min(a.cacheReadTokens, b.cacheReadTokens), cacheWriteTokens: Math.min(a.cacheWriteTokens, b.cacheWriteTokens), outputTokens: Math.min(a.outputTokens, b.outputTokens) };
        const upper = { inputTokens: Math.max(a.inputTokens, b.inputTokens), cacheReadTokens: Math.max(a.cacheReadTokens, b.cacheReadTokens), cacheWriteTokens: Math.max(a.cacheWriteTokens, b.cacheWriteTokens), outputTokens: Math.max(a.outputTokens, b.outputTokens) };
        // Within one fixed tier, whatever the prompt size.
        expect(tierCostNanos(tier, upper)).toBeGreaterThanOrEqual(tierCostNanos(tier, lower));
        if (selectTier(version.tiers, promptTokens(upper)) === selectTier(version.tiers, promptTokens(lower))) {
          expect(requestCostNanos(version, upper)).toBeGreaterThanOrEqual(requestCostNanos(version, lower));
        }
      }),
      runs(1_000),
    );
  });

  it('picks the tier of a bound for a prompt of exactly that size, and the next tier one token past it', () => {
    const withBound = tierList
      .filter((tiers) => tiers.some((tier) => tier.maxPromptTokens !== null))
      .chain((tiers) => {
        const bounds = tiers.flatMap((tier) => (tier.maxPromptTokens === null ? [] : [tier.maxPromptTokens]));
        return fc.tuple(fc.constant(tiers), fc.constantFrom(...bounds));
      })
      .chain(([tiers, bound]) => fc.tuple(fc.constant(tiers), fc.constant(bound), promptOf(bound), promptOf(bound + 1)));
    fc.assert(
      fc.property(withBound, ([tiers, bound, at, past]) => {
        const compiled = compileTiers(tiers);
        const sorted = [...compiled];
        const index = sorted.findIndex((tier) => tier.maxPromptTokens === bound);
        expect(selectTier(compiled, promptTokens(at))).toBe(sorted[index]);
        // One past the bound: the next tier up, or (no tier above) still the highest one.
        expect(selectTier(compiled, promptTokens(past))).toBe(sorted[Math.min(index + 1, sorted.length - 1)]);
        // And the request is charged at those tiers' prices.
        const version = tokensVersion(tiers);
        const tierAt = tiers.find((tier) => tier.maxPromptTokens === bound)!;
        expect(requestCostNanos(version, at)).toBe(referenceCost(tierAt, at));
        expect(requestCostNanos(version, past)).toBe(referenceCost(referenceTier(tiers, bound + 1), past));
      }),
      runs(1_000),
    );
  });

  it('chooses the tier from the whole prompt (input + cache read + cache write), never from output', () => {
    fc.assert(
      fc.property(tierList, usage, tokenCount, (tiers, tokens, output) => {
        const compiled = compileTiers(tiers);
        expect(selectTier(compiled, promptTokens({ ...tokens, outputTokens: output }))).toBe(selectTier(compiled, promptTokens(tokens)));
        expect(promptTokens(tokens)).toBe(tokens.inputTokens + tokens.cacheReadTokens + tokens.cacheWriteTokens);
      }),
      runs(300),
    );
  });
});

const hourlyPrice = price.map((amount) => Number(nanosOf(amount)));
// Up to ten years of runtime in one window.
const runtimeMs = fc.integer({ min: 0, max: 10 * 365 * 24 * HOUR });

describe('hourly pricing', () => {
  it('costs runtime seconds x price / 3600, in whole nanos', () => {
    fc.assert(
      fc.property(hourlyPrice, runtimeMs, (nanosPerHour, ms) => {
        const exact = (BigInt(ms) * BigInt(nanosPerHour) * 2n + 3_600_000n) / 7_200_000n;
        expect(hourlyCostNanos(nanosPerHour, ms)).toBe(Number(exact));
      }),
      runs(2_000),
    );
  });

  it('never costs less for more runtime, and adjacent windows add up to within a nano', () => {
    fc.assert(
      fc.property(hourlyPrice, runtimeMs, runtimeMs, (nanosPerHour, a, b) => {
        // Costs are exact up to 2^53 nanos (9 million in the currency); past that no sum is.
        fc.pre((a + b) * (nanosPerHour / 3_600_000) < Number.MAX_SAFE_INTEGER);
        expect(hourlyCostNanos(nanosPerHour, a + b)).toBeGreaterThanOrEqual(hourlyCostNanos(nanosPerHour, a));
        // Each part is rounded once: two roundings against one, so at most one nano apart.
        expect(Math.abs(hourlyCostNanos(nanosPerHour, a) + hourlyCostNanos(nanosPerHour, b) - hourlyCostNanos(nanosPerHour, a + b))).toBeLessThanOrEqual(1);
      }),
      runs(2_000),
    );
  });

  // runtimeCells is the pure function behind the summary's and history's hourly cost.
  const BASE = Date.UTC(2024, 2, 1);
  const span = fc
    .tuple(fc.integer({ min: 0, max: 3 * 24 * HOUR }), fc.integer({ min: 1, max: 30 * HOUR }), fc.boolean())
    .map(([offset, length, open]): RunSpan => ({ modelId: 1, start: BASE + offset, end: open ? null : BASE + offset + length }));
  /** Versions of one model, hourly or not, sorted by effectiveFrom, in two currencies. */
  const versions = fc
    .uniqueArray(fc.integer({ min: -24 * HOUR, max: 4 * 24 * HOUR }), { minLength: 1, maxLength: 5 })
    .chain((froms) =>
      fc.tuple(
        ...[...froms].sort((a, b) => a - b).map((from, i) =>
          fc.record({ method: fc.constantFrom('hourly', 'hourly', 'none', 'tokens') as fc.Arbitrary<'hourly' | 'none' | 'tokens'>, nanos: hourlyPrice, currencyId: fc.constantFrom(1, 2) }).map(
            ({ method, nanos, currencyId }): CompiledVersion => ({
              id: i + 1,
              modelId: 1,
              effectiveFrom: BASE + from,
              currencyId,
              currency: currencyId === 1 ? 'USD' : 'CNY',
              method,
              tiers: method === 'tokens' ? compileTiers([{ maxPromptTokens: null, input: 1, output: 1 }]) : [],
              hourlyNanos: method === 'hourly' ? nanos : 0,
            }),
          ),
        ),
      ),
    );
  const window = fc.tuple(fc.integer({ min: -2 * HOUR, max: 4 * 24 * HOUR }), fc.integer({ min: 1, max: 3 * 24 * HOUR })).map(([offset, length]) => ({ from: BASE + offset, to: BASE + offset + length }));
  const NOW = BASE + 4 * 24 * HOUR;

  /** Per currency: the sum over hourly versions of (runtime in the window under that version) x price / 3600, rounded once per version. */
  function referenceWindowCost(spans: readonly RunSpan[], list: readonly CompiledVersion[], from: number, to: number): Map<number, number> {
    const out = new Map<number, number>();
    list.forEach((version, i) => {
      if (version.method !== 'hourly') return;
      const vFrom = Math.max(from, version.effectiveFrom);
      const vTo = Math.min(to, NOW, list[i + 1]?.effectiveFrom ?? Number.POSITIVE_INFINITY);
      let ms = 0;
      for (const s of spans) ms += Math.max(0, Math.min(vTo, s.end ?? NOW) - Math.max(vFrom, s.start));
      if (ms === 0) return;
      const cost = Number((BigInt(ms) * BigInt(version.hourlyNanos) * 2n + 3_600_000n) / 7_200_000n);
      out.set(version.currencyId, (out.get(version.currencyId) ?? 0) + cost);
    });
    return out;
  }

  it('prices a window by the overlap of runs with each hourly version in force, split at version boundaries', () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 6 }), versions, window, (spans, list, { from, to }) => {
        const cells = runtimeCells(spans, { from, to, starts: [from], widthMs: null }, NOW, false, () => list);
        const cost = new Map<number, number>();
        let runtime = 0;
        for (const cell of cells) {
          runtime += cell.runtimeMs;
          for (const [currency, nanos] of cell.costNanos) cost.set(currency, (cost.get(currency) ?? 0) + nanos);
        }
        const expected = referenceWindowCost(spans, list, from, to);
        expect(cost).toEqual(expected);
        let overlap = 0;
        for (const s of spans) overlap += Math.max(0, Math.min(to, NOW, s.end ?? NOW) - Math.max(from, s.start));
        expect(runtime).toBe(overlap);
      }),
      runs(1_000),
    );
  });

  it('adds up over adjacent windows (history buckets) to the whole window, within a nano per rounding', () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 6 }), versions, window, fc.integer({ min: 60, max: 12 * 3600 }), (spans, list, { from, to }, widthSeconds) => {
        const width = widthSeconds * 1000;
        const starts: number[] = [];
        for (let ts = Math.floor(from / width) * width; ts < to; ts += width) starts.push(ts);
        const split = runtimeCells(spans, { from, to, starts, widthMs: width }, NOW, false, () => list);
        const whole = runtimeCells(spans, { from, to, starts: [from], widthMs: null }, NOW, false, () => list);
        const sum = (cells: typeof split) => {
          const out = new Map<number, number>();
          for (const cell of cells) for (const [currency, nanos] of cell.costNanos) out.set(currency, (out.get(currency) ?? 0) + nanos);
          return out;
        };
        const a = sum(split);
        const b = sum(whole);
        // One rounding per (bucket, version) on one side, per version on the other.
        const roundings = starts.length * list.length + list.length;
        for (const currency of new Set([...a.keys(), ...b.keys()])) {
          expect(Math.abs((a.get(currency) ?? 0) - (b.get(currency) ?? 0))).toBeLessThanOrEqual(Math.ceil(roundings / 2));
        }
        expect(split.reduce((ms, cell) => ms + cell.runtimeMs, 0)).toBe(whole.reduce((ms, cell) => ms + cell.runtimeMs, 0));
      }),
      runs(500),
    );
  });
});
