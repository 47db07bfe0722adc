import { z } from 'zod';
import { modelNameSchema, sourceSchema } from './request-record.js';
import { timeSchema } from './time.js';

export const RUN_EVENTS = ['start', 'stop', 'heartbeat'] as const;
export type RunEventKind = (typeof RUN_EVENTS)[number];

/** A launcher saying that a model started, is still up, or stopped. */
export const runEventSchema = z.strictObject({
  model: modelNameSchema,
  event: z.enum(RUN_EVENTS),
  ts: timeSchema.optional(),
  source: sourceSchema.optional(),
  runId: z.number().int().positive().optional(),
});

export type RunEventInput = z.input<typeof runEventSchema>;
export type RunEvent = z.output<typeof runEventSchema>;
