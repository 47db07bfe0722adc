import { z } from 'zod';
import { currencySchema } from './pricing.js';

export const settingsPatchSchema = z.strictObject({
  retentionDays: z.number().int().min(1).max(36_500).optional(),
  runStaleSeconds: z.number().int().min(10).max(86_400).optional(),
  displayCurrency: currencySchema.nullable().optional(),
  currencyRates: z.record(currencySchema, z.number().positive().max(1e9)).optional(),
  breaker: z
    .strictObject({
      windowSize: z.number().int().min(1).max(1000).optional(),
      consecutiveFailures: z.number().int().min(1).max(1000).optional(),
      minResults: z.number().int().min(1).max(1000).optional(),
      failureRate: z.number().gt(0).max(1).optional(),
      baseBackoffSeconds: z.number().int().min(1).max(86_400).optional(),
      maxBackoffSeconds: z.number().int().min(1).max(86_400).optional(),
    })
    .optional(),
  /** Budgets: the day of the month a monthly period starts on (1-28). */
  monthStartDay: z.number().int().min(1).max(28).optional(),
  /** Budgets: the first day of a weekly period, 0 = Sunday .. 6 = Saturday. */
  weekStartDay: z.number().int().min(0).max(6).optional(),
  /** GET /metrics: the models that keep their own label (most requests first); the rest are summed as "other". */
  metricsMaxModels: z.number().int().min(1).max(1000).optional(),
  /** GET /metrics answers a loopback scraper without the token. */
  metricsAllowAnonymousLoopback: z.boolean().optional(),
  /**
   * OTLP metrics push (off by default): on/off, the collector's metrics URL, extra headers, the export
   * interval. otlpHeaders replaces all headers (kept in the data folder's otlp-headers.json, never in the
   * database); a null value keeps the stored value of that name.
   */
  otlpEnabled: z.boolean().optional(),
  otlpUrl: z.url({ protocol: /^https?$/, error: 'otlpUrl must be an http(s) URL (e.g. http://127.0.0.1:4318/v1/metrics)' }).max(2048).nullable().optional(),
  otlpHeaders: z
    .record(
      z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'otlpHeaders: a header name is 1-128 token characters'),
      // null keeps the value stored for that name: the UI never has to resend a secret it cannot read.
      z.string().max(4096).refine((value) => !/[\r\n\0]/.test(value), 'otlpHeaders: a header value must not hold CR, LF or NUL').nullable(),
    )
    .refine((headers) => Object.keys(headers).length <= 32, 'otlpHeaders: at most 32 headers')
    .optional(),
  otlpIntervalSeconds: z.number().int().min(1).max(86_400).optional(),
});

/** The breaker settings that must agree with each other, as stored after a patch. */
export interface BreakerLimits {
  windowSize: number;
  minResults: number;
  baseBackoffSeconds: number;
  maxBackoffSeconds: number;
}

/**
 * Contradictions between breaker settings, checked on the merged result of a patch and the stored
 * values: a minimum of results larger than the window can never be reached (the rate rule would
 * never open a circuit), and a base backoff above the maximum is cut to the maximum at once.
 */
export function breakerContradictions(breaker: BreakerLimits): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  if (breaker.minResults > breaker.windowSize) {
    problems.push({ field: 'breaker.minResults', reason: `must not exceed windowSize (${breaker.windowSize}): the failure rate would never be judged` });
  }
  if (breaker.baseBackoffSeconds > breaker.maxBackoffSeconds) {
    problems.push({ field: 'breaker.baseBackoffSeconds', reason: `must not exceed maxBackoffSeconds (${breaker.maxBackoffSeconds})` });
  }
  return problems;
}
export type SettingsPatch = z.input<typeof settingsPatchSchema>;
