import { z } from 'zod';
import { circuitUpdateSchema } from './circuit.js';
import { hostSchema, modelNameSchema, sourceSchema } from './request-record.js';
import { timeSchema } from './time.js';

/*
 * Forwarding between ModelMeters: a machine (often a headless GPU box) sends its request records,
 * model runs and circuit states to another ModelMeter, which records which machine each came from.
 * The sender keeps what is not yet acknowledged in an outbox in its own database; the receiver's
 * answers are idempotent (request ids, run origin ids, circuit states), so a batch sent twice after
 * a crash is stored once.
 */

/** The most items of each kind one forwarded batch may carry. */
export const MAX_FORWARD_REQUESTS = 5_000;
export const MAX_FORWARD_RUNS = 1_000;
export const MAX_FORWARD_CIRCUITS = 1_000;

/** A model run as the sending machine stores it; `originId` is its run id there (with the host, its identity). */
export const forwardedRunSchema = z.strictObject({
  originId: z.number().int().positive(),
  model: modelNameSchema,
  source: sourceSchema.nullable().optional(),
  startAt: timeSchema,
  endAt: timeSchema.nullable(),
  lastSeenAt: timeSchema,
});

/**
 * POST /forward: one batch from another ModelMeter. Requests are request records (each must carry
 * a requestId: that is what makes a resend a duplicate); a record without its own `host` is stored
 * as coming from the batch's host.
 */
export const forwardBatchSchema = z.strictObject({
  host: hostSchema,
  requests: z.array(z.unknown()).max(MAX_FORWARD_REQUESTS, `a forwarded batch carries at most ${MAX_FORWARD_REQUESTS} requests`).default([]),
  runs: z.array(forwardedRunSchema).max(MAX_FORWARD_RUNS, `a forwarded batch carries at most ${MAX_FORWARD_RUNS} runs`).default([]),
  circuits: z.array(circuitUpdateSchema).max(MAX_FORWARD_CIRCUITS, `a forwarded batch carries at most ${MAX_FORWARD_CIRCUITS} circuit states`).default([]),
});

export type ForwardBatchInput = z.input<typeof forwardBatchSchema>;
export type ForwardBatch = z.output<typeof forwardBatchSchema>;
export type ForwardedRun = z.output<typeof forwardedRunSchema>;

export interface ForwardBatchResult {
  host: string;
  requests: { accepted: number; duplicates: number };
  runs: number;
  circuits: number;
}

/** The target's base URL, as its dashboard link shows it (http://laptop:7423); /api/v1 is added. */
export const forwardTargetSchema = z
  .url({ protocol: /^https?$/, error: 'targetUrl must be an http(s) URL such as http://192.168.1.20:7423' })
  .max(2048, 'targetUrl is longer than 2048 characters');

/** PUT /forwarding: where this machine sends its ledger, as whom, and whether it does. */
export const forwardingUpdateSchema = z.strictObject({
  enabled: z.boolean({ error: 'enabled must be true or false' }),
  targetUrl: forwardTargetSchema.nullable().optional(),
  /** The target's API token; absent keeps the one stored, null removes it. Kept in a file, never in the database. */
  token: z.string().min(1, 'token must not be empty').max(512, 'token is longer than 512 characters').nullable().optional(),
  /** The name this machine's records carry on the target (default: the OS host name). */
  hostName: hostSchema.optional(),
});

export type ForwardingUpdate = z.input<typeof forwardingUpdateSchema>;

export type ForwardingState = 'off' | 'idle' | 'sending' | 'unreachable' | 'rejected';

/** What forwarding is doing: GET /forwarding, and `forwarding` events on the stream. */
export interface ForwardingStatus {
  enabled: boolean;
  targetUrl: string | null;
  hostName: string;
  /** The token's first and last characters, never the token. */
  tokenMask: string | null;
  /** Set by the command line (--forward-to): the settings cannot change it while this run lasts. */
  fromCommandLine: boolean;
  state: ForwardingState;
  /** What waits in the outbox, by kind. */
  waiting: { requests: number; runs: number; circuits: number };
  /** When the oldest waiting item was queued (epoch ms), null when nothing waits. */
  oldestWaitingAt: number | null;
  /** Since when the target has not answered (or refused), null while it answers. */
  unreachableSince: number | null;
  lastError: string | null;
  lastSentAt: number | null;
  /** Items the target acknowledged since this program started. */
  sent: { requests: number; runs: number; circuits: number };
}

/** A machine the ledger has records from (GET /hosts). */
export interface HostInfo {
  /** The machine's name; null is this machine (records it recorded itself). */
  name: string | null;
  requests: number;
  firstSeen: number | null;
  lastSeen: number | null;
}
