import {
  FAILURE_CLASSES,
  LOWER_NAME_PATTERN,
  MAX_DURATION_MS,
  MAX_FUTURE_MS,
  MAX_TOKENS,
  METRICS_KEY_PATTERN,
  recordRuleBroken,
  STATUS_CODE_RANGE,
  TEXT_LIMITS,
  toRequestRecord,
  type CheckedRequestRecord,
  type RequestRecord,
} from '../../../shared/schemas/request-record.js';
import { MAX_TIME_MS, MIN_TIME_MS } from '../../../shared/time-values.js';

/**
 * A cheaper way through requestRecordSchema for the records reporters send every day: zod spends
 * ~10 µs and a few dozen allocations on each (most of a batch's validation time, and the main cost
 * of HTTP ingest after the commit). This path accepts only what it can prove the schema accepts,
 * with plain checks, and builds the same RequestRecord; anything else (an ISO-8601 `ts`, non-ASCII
 * text, a value out of range, an unknown field, a broken rule) returns null and goes through the
 * schema, which decides and words every error. It never refuses, so it cannot change an answer:
 * test/electron/ledger/input/record-fast-path.test.ts compares it with the schema on generated
 * records and on every field's edges, and fails when the schema gains a field this path ignores.
 */

/** Every field of requestRecordSchema, with the check that proves the schema accepts its value. */
const FIELDS: Record<string, (value: unknown) => boolean> = {
  ts: (v) => typeof v === 'number' && Number.isInteger(v) && v >= MIN_TIME_MS && v <= MAX_TIME_MS,
  model: (v) => printable(v, TEXT_LIMITS.model, true),
  apiType: (v) => typeof v === 'string' && LOWER_NAME_PATTERN.test(v),
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  cacheReadTokens: tokenCount,
  cacheWriteTokens: tokenCount,
  cacheWrite1hTokens: tokenCount,
  provider: (v) => typeof v === 'string' && LOWER_NAME_PATTERN.test(v),
  success: (v) => typeof v === 'boolean',
  failureClass: (v) => typeof v === 'string' && (FAILURE_CLASSES as readonly string[]).includes(v),
  statusCode: (v) => integerIn(v, STATUS_CODE_RANGE.min, STATUS_CODE_RANGE.max),
  latencyMs: (v) => integerIn(v, 0, MAX_DURATION_MS),
  ttftMs: (v) => integerIn(v, 0, MAX_DURATION_MS),
  channel: (v) => typeof v === 'string' && METRICS_KEY_PATTERN.test(v),
  source: (v) => typeof v === 'string' && v.length >= 1 && v.length <= TEXT_LIMITS.source,
  requestId: (v) => typeof v === 'string' && v.length >= 1 && v.length <= TEXT_LIMITS.requestId,
  project: (v) => printable(v, TEXT_LIMITS.project, true),
  branch: (v) => printable(v, TEXT_LIMITS.branch, false),
  sessionId: (v) => printable(v, TEXT_LIMITS.sessionId, false),
  responseId: (v) => printable(v, TEXT_LIMITS.responseId, false),
  host: (v) => printable(v, TEXT_LIMITS.host, true),
};

/** The fields this path knows: the test checks they are exactly the schema's. */
export const FAST_PATH_FIELDS: readonly string[] = Object.keys(FIELDS);

/**
 * Printable ASCII only: no control characters and no bidirectional overrides (both outside it), and
 * a text that is not all spaces has a visible character; other text goes through the schema.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

function printable(value: unknown, max: number, notBlank: boolean): boolean {
  if (typeof value !== 'string' || value.length > max || !PRINTABLE_ASCII.test(value)) return false;
  return !notBlank || value.trim().length > 0;
}

function integerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function tokenCount(value: unknown): boolean {
  return integerIn(value, 0, MAX_TOKENS);
}

/** FIELDS as a Map: a key's check found by one lookup, no own-property test on the table. */
const CHECKS: ReadonlyMap<string, (value: unknown) => boolean> = new Map(Object.entries(FIELDS));

/**
 * The stored form of `item` when it is a record the schema certainly accepts (and not more than
 * MAX_FUTURE_MS ahead of `now`), else null: then the schema decides. The checked object itself goes
 * on to the rules and toRequestRecord, which apply the defaults: no copy of it is made.
 */
export function fastRequestRecord(item: unknown, now: number): RequestRecord | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return null;
  // JSON.parse builds plain objects; anything else (a class instance, inherited fields) is the schema's to judge.
  const prototype = Object.getPrototypeOf(item) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return null;
  const fields = item as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const check = CHECKS.get(key);
    // An unknown field, or undefined (an in-process caller's "absent"), is the schema's to judge.
    if (check === undefined || !check(fields[key])) return null;
  }
  if (fields['model'] === undefined) return null;
  // Every field present passed its check above.
  const record = fields as CheckedRequestRecord;
  // The schema's rules between fields: a record that breaks one gets the schema's words.
  if (recordRuleBroken(record)) return null;
  if (record.ts !== undefined && record.ts > now + MAX_FUTURE_MS) return null;
  return toRequestRecord(record, now);
}
