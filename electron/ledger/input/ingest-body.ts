import { ApiError, type ErrorDetail } from '../../../shared/errors.js';
import { MAX_BATCH_RECORDS, MAX_FUTURE_MS, requestRecordSchema, toRequestRecord, type RequestRecord } from '../../../shared/schemas/request-record.js';
import { fastRequestRecord } from './record-fast-path.js';
import { issuesToDetails } from './validation.js';

/** Records validated between two turns of the event loop: a full batch never holds it for long. */
const CHUNK = 500;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Details past this many are summarised: a 100k-record batch with one bad field in each stays readable. */
const MAX_DETAILS = 100;

/** The three shapes a batch may take: one record, an array, or `{ records: [...] }`. */
export function recordsOf(body: unknown): { items: unknown[]; single: boolean } {
  if (Array.isArray(body)) return { items: body, single: false };
  if (body !== null && typeof body === 'object') {
    const keys = Object.keys(body);
    if (keys.length === 1 && keys[0] === 'records') {
      const records = (body as { records: unknown }).records;
      if (!Array.isArray(records)) throw new ApiError('validation_failed', 'records must be an array', [{ field: 'records', reason: 'expected an array' }]);
      return { items: records, single: false };
    }
    return { items: [body], single: true };
  }
  throw new ApiError('validation_failed', 'the body must be a request record, an array of them, or { "records": [...] }', [
    { field: '(body)', reason: 'expected an object or an array' },
  ]);
}

/**
 * Validates a whole batch before anything is written: one invalid record rejects all of them, with
 * the index, field and reason of every problem.
 */
export function parseIngestBody(body: unknown, now: number): RequestRecord[] {
  const steps = validateBatch(body, now);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** parseIngestBody for the HTTP path: lets the event loop turn every CHUNK records. */
export async function parseIngestBodyInChunks(body: unknown, now: number): Promise<RequestRecord[]> {
  const steps = validateBatch(body, now);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await nextTurn();
  }
}

/** Yields after every CHUNK records; returns the records or throws the batch's validation error. */
function* validateBatch(body: unknown, now: number): Generator<void, RequestRecord[]> {
  const { items, single } = recordsOf(body);
  if (items.length > MAX_BATCH_RECORDS) {
    throw new ApiError('payload_too_large', `a batch holds at most ${MAX_BATCH_RECORDS} records; this one has ${items.length}`);
  }
  const records: RequestRecord[] = [];
  const details: ErrorDetail[] = [];
  let invalid = 0;
  for (let index = 0; index < items.length; index++) {
    if (index > 0 && index % CHUNK === 0) yield;
    const item = items[index];
    // Most records pass the cheap checks; the schema judges (and words the errors of) the rest.
    const fast = fastRequestRecord(item, now);
    if (fast !== null) {
      records.push(fast);
      continue;
    }
    const result = requestRecordSchema.safeParse(item);
    if (result.success && (result.data.ts === undefined || result.data.ts <= now + MAX_FUTURE_MS)) {
      records.push(toRequestRecord(result.data, now));
      continue;
    }
    invalid++;
    if (result.success) {
      if (details.length < MAX_DETAILS) {
        details.push({ ...(single ? {} : { index }), field: 'ts', reason: 'is more than 24 hours in the future: check the reporter\'s clock' });
      }
      continue;
    }
    if (details.length < MAX_DETAILS) details.push(...issuesToDetails(result.error.issues, single ? undefined : index));
  }
  if (invalid > 0) {
    const first = details[0]!;
    const where = first.index === undefined ? '' : `record ${first.index}: `;
    throw new ApiError(
      'validation_failed',
      `${invalid} of ${items.length} record${items.length > 1 ? 's are' : ' is'} invalid; nothing was stored. First problem: ${where}${first.field}: ${first.reason}`,
      details.slice(0, MAX_DETAILS),
    );
  }
  return records;
}
