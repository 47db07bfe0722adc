import type { FailureClass, RequestRecord } from '../../../../shared/schemas/request-record.js';

/**
 * A batch of records in the form it crosses to the writer thread: numbers in one Float64Array,
 * `success` in a Uint8Array (both transferred, not copied), and every text as an index into a table
 * holding each distinct string once. Structured clone of the plain records walks every property
 * of every object on the main thread (about 2.2 ms of CPU per 1,000 records); this form costs less
 * than half that, and a batch's model, project, source and host names are cloned once, not once per
 * record. The thread rebuilds the records (decodeBatch) off the event loop.
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
  const numbers = new Float64Array(count * NUMBER_FIELDS.length);
  const success = new Uint8Array(count);
  const texts = new Int32Array(count * STRING_FIELDS.length);
  const strings: string[] = [];
  const seen = new Map<string, number>();
  let n = 0;
  let t = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    for (const field of NUMBER_FIELDS) {
      const value = record[field];
      // Absent one-hour cache writes are 0 to the store; anything else absent or null is NaN.
      numbers[n++] = value === null || value === undefined ? (field === 'cacheWrite1hTokens' ? 0 : Number.NaN) : value;
    }
    success[i] = record.success ? 1 : 0;
    for (const field of STRING_FIELDS) {
      const value = record[field];
      if (value === null || value === undefined) {
        texts[t++] = -1;
        continue;
      }
      let index = seen.get(value);
      if (index === undefined) {
        index = strings.length;
        strings.push(value);
        seen.set(value, index);
      }
      texts[t++] = index;
    }
  }
  return { count, numbers, success, texts, strings };
}

/** What postMessage should move rather than copy. */
export function batchTransferList(batch: EncodedBatch): ArrayBuffer[] {
  return [batch.numbers.buffer as ArrayBuffer, batch.success.buffer as ArrayBuffer, batch.texts.buffer as ArrayBuffer];
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
