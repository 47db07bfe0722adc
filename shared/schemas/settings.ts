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
});
export type SettingsPatch = z.input<typeof settingsPatchSchema>;
