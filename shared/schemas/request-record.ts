import { z } from 'zod';
import { timeSchema } from './time.js';
import { FAILURE_CLASSES, LOWER_NAME_PATTERN, MAX_DURATION_MS, MAX_TOKENS, METRICS_KEY_PATTERN, STATUS_CODE_RANGE, TEXT_LIMITS, type FailureClass } from '../record-limits.js';

export {
  FAILURE_CLASSES,
  type FailureClass,
  LOWER_NAME_PATTERN,
  MAX_BATCH_RECORDS,
  MAX_DURATION_MS,
  MAX_FUTURE_MS,
  MAX_TOKENS,
  METRICS_KEY_PATTERN,
  STATUS_CODE_RANGE,
  TEXT_LIMITS,
} from '../record-limits.js';

const tokenCount = z.number().int().min(0).max(MAX_TOKENS);
const milliseconds = z.number().int().min(0).max(MAX_DURATION_MS);

// Control characters (NUL included) and the bidirectional overrides and isolates, which make a name
// display as a different one ("Trojan Source"): never part of a real model name.
const CONTROL_OR_BIDI = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// What renders as nothing: spaces, format characters (zero-width space, joiners, BOM, soft hyphen),
// combining marks alone, variation selectors and the Hangul fillers.
const INVISIBLE = /[\s\p{Z}\p{Cf}\p{M}\u115F\u1160\u3164\uFFA0]/gu;

/** Model names are data, never SQL identifiers: any visible Unicode text up to 256 characters. */
export const modelNameSchema = z
  .string()
  .max(TEXT_LIMITS.model, `model name is longer than ${TEXT_LIMITS.model} characters`)
  .refine((name) => name.trim().length > 0, 'model name must not be empty or blank')
  .refine((name) => !CONTROL_OR_BIDI.test(name), 'model name must not hold control characters (NUL, newlines) or bidirectional overrides')
  .refine((name) => name.replace(INVISIBLE, '').length > 0, 'model name must hold a visible character');

export const metricsKeySchema = z
  .string()
  .regex(METRICS_KEY_PATTERN, 'metricsKey is the first 16 lower-case hex characters of sha256(baseUrl|apiKey)');

export const apiTypeSchema = z
  .string()
  .regex(LOWER_NAME_PATTERN, 'apiType is 1-32 characters of a-z, 0-9, ".", "_" or "-"');

export const sourceSchema = z.string().min(1).max(TEXT_LIMITS.source);

/**
 * A free-text field such as a project path, a branch or an id: 1 to `max` characters, never control
 * characters or bidirectional overrides; `notBlank` also refuses text of spaces alone.
 */
function textField(field: string, max: number, notBlank: boolean) {
  const text = z
    .string()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} is longer than ${max} characters`);
  return (notBlank ? text.refine((value) => value.trim().length > 0, `${field} must not be blank`) : text).refine(
    (value) => !CONTROL_OR_BIDI.test(value),
    `${field} must not hold control characters (NUL, newlines) or bidirectional overrides`,
  );
}

/** The working folder a request was made for: an absolute path or a bare name. */
export const projectSchema = textField('project', TEXT_LIMITS.project, true);

/** A git branch name. */
export const branchSchema = textField('branch', TEXT_LIMITS.branch, false);

/** An agent's session id. */
export const sessionIdSchema = textField('sessionId', TEXT_LIMITS.sessionId, false);

/** The upstream's own id for the response (msg_..., chatcmpl-..., resp_..., Gemini responseId). */
export const responseIdSchema = textField('responseId', TEXT_LIMITS.responseId, false);

/** The machine a record came from (forwarding between ModelMeters); absent: this machine. */
export const hostSchema = textField('host', TEXT_LIMITS.host, true);

/** Who served a cloud request ("openai", "anthropic", "google"...): picks the catalogue's prices. */
export const providerSchema = z
  .string()
  .regex(LOWER_NAME_PATTERN, 'provider is 1-32 characters of a-z, 0-9, ".", "_" or "-"');

/**
 * One LLM request as reported by a launcher, a script or the proxy. Unknown fields are rejected so a
 * misspelt field never silently becomes a zero.
 */
export const requestRecordSchema = z
  .strictObject({
    ts: timeSchema.optional(),
    model: modelNameSchema,
    apiType: apiTypeSchema.optional(),
    inputTokens: tokenCount.default(0),
    outputTokens: tokenCount.default(0),
    cacheReadTokens: tokenCount.default(0),
    cacheWriteTokens: tokenCount.default(0),
    /** The part of cacheWriteTokens cached for 1 hour (Anthropic's cache_creation.ephemeral_1h_input_tokens). */
    cacheWrite1hTokens: tokenCount.optional(),
    provider: providerSchema.optional(),
    success: z.boolean().default(true),
    failureClass: z.enum(FAILURE_CLASSES).optional(),
    statusCode: z.number().int().min(STATUS_CODE_RANGE.min).max(STATUS_CODE_RANGE.max).optional(),
    latencyMs: milliseconds.optional(),
    ttftMs: milliseconds.optional(),
    channel: metricsKeySchema.optional(),
    source: sourceSchema.optional(),
    requestId: z.string().min(1).max(TEXT_LIMITS.requestId).optional(),
    project: projectSchema.optional(),
    branch: branchSchema.optional(),
    sessionId: sessionIdSchema.optional(),
    responseId: responseIdSchema.optional(),
    host: hostSchema.optional(),
  })
  .superRefine((record, ctx) => {
    for (const { field, message } of recordRuleProblems(record)) ctx.addIssue({ code: 'custom', path: [field], message });
  });

/** What the rules read: a record's checked fields, its defaults applied (the schema's output) or not (the ingest fast path). */
type RuleFields = Pick<CheckedRequestRecord, 'success' | 'failureClass' | 'cacheWriteTokens' | 'cacheWrite1hTokens' | 'latencyMs' | 'ttftMs'>;

/** Each rule between fields: when it is broken, which field it names and how it is worded. */
const RULES: readonly { field: string; message: string; broken: (record: RuleFields) => boolean }[] = [
  {
    field: 'failureClass',
    message: 'failureClass is only allowed on failed requests (success: false)',
    broken: (record) => (record.success ?? true) && record.failureClass !== undefined,
  },
  {
    field: 'cacheWrite1hTokens',
    message: 'cacheWrite1hTokens is part of cacheWriteTokens and must not exceed it',
    broken: (record) => record.cacheWrite1hTokens !== undefined && record.cacheWrite1hTokens > (record.cacheWriteTokens ?? 0),
  },
  {
    field: 'ttftMs',
    message: 'ttftMs must not exceed latencyMs',
    broken: (record) => record.ttftMs !== undefined && record.latencyMs !== undefined && record.ttftMs > record.latencyMs,
  },
];

/**
 * The rules between a record's fields (its fields each valid): what breaks them, worded for the
 * schema's errors. The ingest fast path (electron/ledger/input/record-fast-path.ts) asks the same.
 */
export function recordRuleProblems(record: RuleFields): { field: string; message: string }[] {
  return RULES.filter((rule) => rule.broken(record)).map(({ field, message }) => ({ field, message }));
}

/** Whether any rule is broken: recordRuleProblems without building its answer (the ingest fast path asks per record). */
export function recordRuleBroken(record: RuleFields): boolean {
  for (const rule of RULES) if (rule.broken(record)) return true;
  return false;
}

export type RequestRecordInput = z.input<typeof requestRecordSchema>;
export type RequestRecordParsed = z.output<typeof requestRecordSchema>;

/** What the store writes: every default applied and the time fixed. */
export interface RequestRecord {
  ts: number;
  model: string;
  apiType: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  success: boolean;
  failureClass: FailureClass | null;
  statusCode: number | null;
  latencyMs: number | null;
  ttftMs: number | null;
  channel: string | null;
  source: string | null;
  requestId: string | null;
  /** Optional so that every writer of records need not name them; absent means null / 0. */
  provider?: string | null;
  cacheWrite1hTokens?: number;
  project?: string | null;
  branch?: string | null;
  sessionId?: string | null;
  /** The upstream's response id: a second record with the same one is the same call, counted once. */
  responseId?: string | null;
  /** The machine the record came from when another ModelMeter forwarded it; absent or null: this one. */
  host?: string | null;
}

/** The fields that have defaults, absent or not. */
type Defaulted = 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'success';

/**
 * A record whose every field the schema would accept, its defaults applied (the schema's output) or
 * not yet (the ingest fast path, which proves the fields valid without copying them).
 */
export type CheckedRequestRecord = Omit<RequestRecordParsed, Defaulted> & Partial<Pick<RequestRecordParsed, Defaulted>>;

export function toRequestRecord(parsed: CheckedRequestRecord, now: number): RequestRecord {
  return {
    ts: parsed.ts ?? now,
    model: parsed.model,
    apiType: parsed.apiType ?? null,
    inputTokens: parsed.inputTokens ?? 0,
    outputTokens: parsed.outputTokens ?? 0,
    cacheReadTokens: parsed.cacheReadTokens ?? 0,
    cacheWriteTokens: parsed.cacheWriteTokens ?? 0,
    success: parsed.success ?? true,
    failureClass: (parsed.success ?? true) ? null : (parsed.failureClass ?? null),
    statusCode: parsed.statusCode ?? null,
    latencyMs: parsed.latencyMs ?? null,
    ttftMs: parsed.ttftMs ?? null,
    channel: parsed.channel ?? null,
    source: parsed.source ?? null,
    requestId: parsed.requestId ?? null,
    provider: parsed.provider ?? null,
    cacheWrite1hTokens: parsed.cacheWrite1hTokens ?? 0,
    project: parsed.project ?? null,
    branch: parsed.branch ?? null,
    sessionId: parsed.sessionId ?? null,
    responseId: parsed.responseId ?? null,
    host: parsed.host ?? null,
  };
}

/** A record, an array of records, or `{ records: [...] }`. */
export const ingestBodySchema = z.union([
  z.array(z.unknown()),
  z.strictObject({ records: z.array(z.unknown()) }),
  z.record(z.string(), z.unknown()),
]);
