import { z } from 'zod';
import { timeSchema } from './time.js';

export const PRICING_METHODS = ['tokens', 'hourly', 'none'] as const;
export type PricingMethod = (typeof PRICING_METHODS)[number];

// Prices are per 1M tokens (or per hour) in the currency's main unit; 10,000 is far beyond any real
// price and keeps costs in integer nanos far from overflow (see MAX_TOKENS).
const price = z.number().min(0).max(10_000);

export const priceTierSchema = z.strictObject({
  maxPromptTokens: z.number().int().positive().nullable(),
  input: price,
  output: price,
  cacheRead: price.optional(),
  cacheWrite: price.optional(),
  /** Anthropic's 1-hour cache writes (a record's cacheWrite1hTokens); without it they are billed at cacheWrite. */
  cacheWrite1h: price.optional(),
});
export type PriceTier = z.output<typeof priceTierSchema>;

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code such as USD or CNY');

/** The body of PUT /pricing/{model} and of the preview: one price version. */
export const priceVersionInputSchema = z
  .strictObject({
    method: z.enum(PRICING_METHODS),
    currency: currencySchema.default('USD'),
    effectiveFrom: timeSchema.optional(),
    tiers: z.array(priceTierSchema).min(1).max(32).optional(),
    hourly: price.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.method === 'tokens') {
      if (!body.tiers) {
        ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'method "tokens" needs at least one tier' });
        return;
      }
      const bounds = body.tiers.map((tier) => tier.maxPromptTokens);
      if (bounds.filter((bound) => bound === null).length > 1) {
        ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'only one tier may be unbounded (maxPromptTokens: null)' });
      }
      const finite = bounds.filter((bound): bound is number => bound !== null);
      if (new Set(finite).size !== finite.length) {
        ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'two tiers have the same maxPromptTokens' });
      }
    } else if (body.tiers !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tiers'], message: `tiers are only for method "tokens"` });
    }
    if (body.method === 'hourly' && body.hourly === undefined) {
      ctx.addIssue({ code: 'custom', path: ['hourly'], message: 'method "hourly" needs an hourly price' });
    }
    if (body.method !== 'hourly' && body.hourly !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['hourly'], message: 'hourly is only for method "hourly"' });
    }
  });

export type PriceVersionInput = z.input<typeof priceVersionInputSchema>;
export type PriceVersionBody = z.output<typeof priceVersionInputSchema>;

export const pricingDeleteQuerySchema = z.strictObject({
  effectiveFrom: timeSchema.optional(),
});
