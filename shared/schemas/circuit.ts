import { z } from 'zod';
import { apiTypeSchema, metricsKeySchema } from './request-record.js';
import { timeSchema } from './time.js';

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitStateName = (typeof CIRCUIT_STATES)[number];

/** A channel named by its endpoint and credential; the key is hashed, never stored. */
export const channelRefSchema = z
  .strictObject({
    baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL' }),
    apiKey: z.string().min(1).max(4096).optional(),
    keyMask: z.string().min(1).max(64).optional(),
  })
  .refine((ref) => ref.apiKey !== undefined || ref.keyMask !== undefined, {
    message: 'channel needs apiKey or keyMask',
    path: ['apiKey'],
  });

export type ChannelRef = z.output<typeof channelRefSchema>;

/** One circuit state pushed by an external gateway (ccx's UpsertCircuitState). */
export const circuitUpdateSchema = z
  .strictObject({
    metricsKey: metricsKeySchema.optional(),
    channel: channelRefSchema.optional(),
    apiType: apiTypeSchema,
    state: z.enum(CIRCUIT_STATES),
    consecutiveFailures: z.number().int().min(0).max(1_000_000).optional(),
    openedAt: timeSchema.nullable().optional(),
    nextRetryAt: timeSchema.nullable().optional(),
    backoffLevel: z.number().int().min(0).max(64).optional(),
    lastSuccessAt: timeSchema.nullable().optional(),
    lastFailureAt: timeSchema.nullable().optional(),
    label: z.string().max(128).optional(),
    ts: timeSchema.optional(),
    reason: z.string().max(256).optional(),
  })
  .refine((update) => (update.metricsKey === undefined) !== (update.channel === undefined), {
    message: 'give exactly one of metricsKey or channel',
    path: ['metricsKey'],
  });

export type CircuitUpdateInput = z.input<typeof circuitUpdateSchema>;
export type CircuitUpdate = z.output<typeof circuitUpdateSchema>;

/**
 * The most circuit states one PUT may carry. A gateway pushes the channels it holds (tens, rarely
 * hundreds); the list is applied in one transaction, so a larger one would hold the event loop.
 */
export const MAX_CIRCUIT_UPDATES = 500;

/** What PUT /circuits answers: how many states were applied and how many of them changed a state. */
export interface CircuitsResult {
  updated: number;
  changed: number;
}

export const circuitBodySchema = z.union([
  z.array(z.unknown()),
  z.strictObject({ circuits: z.array(z.unknown()) }),
  z.record(z.string(), z.unknown()),
]);

export const channelsDeleteSchema = z.strictObject({
  metricsKeys: z.array(metricsKeySchema).min(1).max(10_000),
  apiType: apiTypeSchema,
});
export type ChannelsDelete = z.output<typeof channelsDeleteSchema>;
