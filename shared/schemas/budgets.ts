import { z } from 'zod';
import { currencySchema } from './pricing.js';
import { metricsKeySchema, modelNameSchema } from './request-record.js';

/**
 * Budgets: an amount per calendar period (local zone) over a scope of the spend, with thresholds in
 * percent at which an alert goes out once per period. The contract shared by the core and the views.
 */

/** A budget id is one URL path segment: `/api/v1/budgets/<id>`. */
export const budgetIdSchema = z
  .string()
  .regex(/^[a-z0-9_-]{1,64}$/, 'a budget id is 1-64 characters of a-z, 0-9, "_" or "-"');

export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export const WEBHOOK_FORMATS = ['json', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const budgetScopeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('model'), model: modelNameSchema }),
  z.strictObject({ kind: z.literal('project'), project: z.string().min(1).max(1024) }),
  /** A metering-proxy route by name: the spend of its channels' metricsKeys. */
  z.strictObject({ kind: z.literal('route'), route: z.string().min(1).max(64) }),
  z.strictObject({ kind: z.literal('channel'), metricsKey: metricsKeySchema }),
  /** Models with runs (launcher-served, hourly or free). */
  z.strictObject({ kind: z.literal('local') }),
  /** Every other model. */
  z.strictObject({ kind: z.literal('cloud') }),
]);
export type BudgetScope = z.output<typeof budgetScopeSchema>;

export const budgetWebhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'webhook.url must be an http(s) URL' }).max(2048),
  format: z.enum(WEBHOOK_FORMATS).default('json'),
});
export type BudgetWebhook = z.output<typeof budgetWebhookSchema>;

export const budgetInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be blank').max(80),
  /** In `currency`. */
  amount: z.number().positive().max(1e9),
  currency: currencySchema,
  period: z.enum(BUDGET_PERIODS),
  scope: budgetScopeSchema,
  /** Percent of the amount; unique, sorted on save. */
  thresholds: z
    .array(z.number().int().min(1).max(1000))
    .min(1)
    .max(10)
    .default([50, 80, 100])
    .refine((values) => new Set(values).size === values.length, 'thresholds must not repeat a value')
    .transform((values) => [...values].sort((a, b) => a - b)),
  webhook: budgetWebhookSchema.nullable().default(null),
  enabled: z.boolean().default(true),
});
export type BudgetInput = z.input<typeof budgetInputSchema>;
export type BudgetConfig = z.output<typeof budgetInputSchema>;

export const budgetAlertsQuerySchema = z.strictObject({
  budgetId: budgetIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type BudgetAlertsQuery = z.input<typeof budgetAlertsQuerySchema>;
