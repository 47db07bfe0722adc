import type { FailureClass, RequestRecord } from '../../../../shared/schemas/request-record.js';

/**
 * A batch of records in the form it crosses to the writer thread: numbers in a Float64Array,
 * `success` in a Uint8Array and every text as an index (an Int32Array) into a table of strings,
 * where a name (model, project, source, host...) is held once however many records carry it; request
 * and response ids, one request's each, are added without looking for them. Structured clone of the
 * plain records walks every property of every object on the main thread (about 2.2 ms of CPU per 1,000
 * records); this form costs less than half that. The three arrays are views of one buffer, moved to the
 * thread unless small (copied then). The thread rebuilds the records (decodeBatch) off the event loop.
 */
export interface EncodedBatch {
  count: number;
  /**
   * NUMBER_FIELDS of each record in turn, as they are (a NaN stays one, for the store to refuse);
   * in the nullable ones (NULLABLE_NUMBERS) NaN stands for null or absent, as SQLite binds NaN.
   */
  numbers: Float64Array;
  success: Uint8Array;
  /** STRING_FIELDS of each record in turn: an index into `strings`, or -1 for null (or absent). */
  texts: Int32Array;
  strings: string[];
}

const NUMBER_FIELDS = ['ts', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'statusCode', 'latencyMs', 'ttftMs'] as const;
const STRING_FIELDS = ['model', 'apiType', 'failureClass', 'channel', 'source', 'requestId', 'provider', 'project', 'branch', 'sessionId', 'responseId', 'host'] as const;

type NumberField = (typeof NUMBER_FIELDS)[number];
type StringField = (typeof STRING_FIELDS)[number];

const NUMBER_INDEX = Object.fromEntries(NUMBER_FIELDS.map((field, i) => [field, i])) as Record<NumberField, number>;
const STRING_INDEX = Object.fromEntries(STRING_FIELDS.map((field, i) => [field, i])) as Record<StringField, number>;

/** Every field of RequestRecord, for the test that fails when the record gains one this codec drops. */
export const CODEC_FIELDS: readonly string[] = [...NUMBER_FIELDS, ...STRING_FIELDS, 'success'];

export function encodeBatch(records: readonly RequestRecord[]): EncodedBatch {
  const count = records.length;
  // One buffer under the three views: one allocation, and one buffer to move or copy.
  const numberBytes = count * NUMBER_FIELDS.length * Float64Array.BYTES_PER_ELEMENT;
  const textBytes = count * STRING_FIELDS.length * Int32Array.BYTES_PER_ELEMENT;
  const memory = new ArrayBuffer(numberBytes + textBytes + count);
  const numbers = new Float64Array(memory, 0, count * NUMBER_FIELDS.length);
  const texts = new Int32Array(memory, numberBytes, count * STRING_FIELDS.length);
  const success = new Uint8Array(memory, numberBytes + textBytes, count);
  const strings: string[] = [];
  const seen = new Map<string, number>();
  const index = (value: string | null | undefined): number => {
    if (value === null || value === undefined) return -1;
    let at = seen.get(value);
    if (at === undefined) {
      at = strings.length;
      strings.push(value);
      seen.set(value, at);
    }
    return at;
  };
  // Request and response ids name one request each: a lookup to share them found none and cost the
  // main thread ~0.5 µs an id (a random requestId and responseId on 300,000 records: 9 % of its time).
  const once = (value: string | null | undefined): number => (value === null || value === undefined ? -1 : strings.push(value) - 1);
  // Each field named, in NUMBER_FIELDS' and STRING_FIELDS' order (the round-trip test holds them to
  // it): a loop over the field names made every read a keyed lookup, twice this function's time.
  // Absent one-hour cache writes are 0 to the store; any other number absent or null is NaN (the
  // counts' types rule it out, but a NaN reaches the store to be refused, where a 0 would be stored).
  for (let i = 0, n = 0, t = 0; i < count; i++, n += NUMBER_FIELDS.length, t += STRING_FIELDS.length) {
    const record = records[i]!;
    numbers[n] = record.ts ?? Number.NaN;
    numbers[n + 1] = record.inputTokens ?? Number.NaN;
    numbers[n + 2] = record.outputTokens ?? Number.NaN;
    numbers[n + 3] = record.cacheReadTokens ?? Number.NaN;
    numbers[n + 4] = record.cacheWriteTokens ?? Number.NaN;
    numbers[n + 5] = record.cacheWrite1hTokens ?? 0;
    numbers[n + 6] = record.statusCode ?? Number.NaN;
    numbers[n + 7] = record.latencyMs ?? Number.NaN;
    numbers[n + 8] = record.ttftMs ?? Number.NaN;
    success[i] = record.success ? 1 : 0;
    texts[t] = index(record.model);
    texts[t + 1] = index(record.apiType);
    texts[t + 2] = index(record.failureClass);
    texts[t + 3] = index(record.channel);
    texts[t + 4] = index(record.source);
    texts[t + 5] = once(record.requestId);
    texts[t + 6] = index(record.provider);
    texts[t + 7] = index(record.project);
    texts[t + 8] = index(record.branch);
    texts[t + 9] = index(record.sessionId);
    texts[t + 10] = once(record.responseId);
    texts[t + 11] = index(record.host);
  }
  return { count, numbers, success, texts, strings };
}

/**
 * Batches of fewer bytes than this are copied: moving a buffer has a fixed cost on both threads, and
 * a copy of a few records costs no more (one record: ~14 µs of CPU per batch, both threads, against
 * 14-18 moved); at 1,000 records moving wins (~275-470 µs against ~420-620).
 */
const TRANSFER_MIN_BYTES = 4_096;

/** What postMessage should move rather than copy: nothing for a small batch. */
export function batchTransferList(batch: EncodedBatch): ArrayBuffer[] {
  const memory = batch.numbers.buffer as ArrayBuffer;
  return memory.byteLength < TRANSFER_MIN_BYTES ? [] : [memory];
}

/** The records again, every optional field present (null, or 0 for cacheWrite1hTokens), as the store reads them. */
export function decodeBatch(batch: EncodedBatch): RequestRecord[] {
  const { count, numbers, success, texts, strings } = batch;
  const records: RequestRecord[] = new Array<RequestRecord>(count);
  const num = (i: number, field: NumberField): number => numbers[i * NUMBER_FIELDS.length + NUMBER_INDEX[field]]!;
  const nullable = (i: number, field: NumberField): number | null => {
    const value = num(i, field);
    return Number.isNaN(value) ? null : value;
  };
  const text = (i: number, field: StringField): string | null => {
    const index = texts[i * STRING_FIELDS.length + STRING_INDEX[field]]!;
    return index < 0 ? null : strings[index]!;
  };
  for (let i = 0; i < count; i++) {
    records[i] = {
      ts: num(i, 'ts'),
      model: text(i, 'model')!,
      apiType: text(i, 'apiType'),
      inputTokens: num(i, 'inputTokens'),
      outputTokens: num(i, 'outputTokens'),
      cacheReadTokens: num(i, 'cacheReadTokens'),
      cacheWriteTokens: num(i, 'cacheWriteTokens'),
      success: success[i] === 1,
      failureClass: text(i, 'failureClass') as FailureClass | null,
      statusCode: nullable(i, 'statusCode'),
      latencyMs: nullable(i, 'latencyMs'),
      ttftMs: nullable(i, 'ttftMs'),
      channel: text(i, 'channel'),
      source: text(i, 'source'),
      requestId: text(i, 'requestId'),
      provider: text(i, 'provider'),
      cacheWrite1hTokens: num(i, 'cacheWrite1hTokens'),
      project: text(i, 'project'),
      branch: text(i, 'branch'),
      sessionId: text(i, 'sessionId'),
      responseId: text(i, 'responseId'),
      host: text(i, 'host'),
    };
  }
  return records;
}
