import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchTransferList, CODEC_FIELDS, decodeBatch, encodeBatch, type EncodedBatch } from '../../../../../electron/ledger/ingest/writer/batch-codec.js';
import { FAILURE_CLASSES, MAX_TOKENS, toRequestRecord, type RequestRecord } from '../../../../../shared/schemas/request-record.js';

/**
 * Batches cross to the writer thread encoded: whatever the main thread validated must reach the
 * store unchanged, every field of every record, nulls included.
 */
const NOW = Date.UTC(2026, 11, 3, 12);

/** A stored record as the schema makes it, every field present. */
const full = (overrides: Partial<RequestRecord>): RequestRecord => ({ ...toRequestRecord({ model: 'm', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, success: true }, NOW), ...overrides });

const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const count = fc.oneof(fc.nat(), fc.constantFrom(0, MAX_TOKENS));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', 'ü 模型', 'x\u202E', 'claude-sonnet-4'));
const recordArb: fc.Arbitrary<RequestRecord> = fc.record({
  ts: fc.integer({ min: 0, max: 8_640_000_000_000_000 }),
  model: text,
  apiType: nullable(text),
  inputTokens: count,
  outputTokens: count,
  cacheReadTokens: count,
  cacheWriteTokens: count,
  success: fc.boolean(),
  failureClass: nullable(fc.constantFrom(...FAILURE_CLASSES)),
  statusCode: nullable(fc.integer({ min: 100, max: 599 })),
  latencyMs: nullable(fc.integer({ min: 0, max: 86_400_000 })),
  ttftMs: nullable(fc.integer({ min: 0, max: 86_400_000 })),
  channel: nullable(text),
  source: nullable(text),
  requestId: nullable(text),
  provider: nullable(text),
  cacheWrite1hTokens: count,
  project: nullable(text),
  branch: nullable(text),
  sessionId: nullable(text),
  responseId: nullable(text),
  host: nullable(text),
});

describe('the batch codec of the writer thread', () => {
  it('carries every field of the stored record', () => {
    // A field added to RequestRecord (and to toRequestRecord) but not to the codec would be lost.
    expect([...CODEC_FIELDS].sort()).toEqual(Object.keys(full({})).sort());
  });

  it('gives back the same records, nulls, zeros, empty and non-ASCII text included', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 30 }), (records) => {
        expect(decodeBatch(encodeBatch(records))).toEqual(records);
      }),
      { seed: 18_021, numRuns: 200 },
    );
  });

  it('reads absent optional fields as the store does: null, and 0 one-hour cache writes', () => {
    const bare: RequestRecord = { ts: NOW, model: 'm', apiType: null, inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, success: true, failureClass: null, statusCode: null, latencyMs: null, ttftMs: null, channel: null, source: null, requestId: null };
    expect(decodeBatch(encodeBatch([bare]))).toEqual([full({ inputTokens: 1, outputTokens: 2, ts: NOW })]);
  });

  it('keeps a NaN count a NaN, for the store to refuse, not a 0 it would store', () => {
    const [decoded] = decodeBatch(encodeBatch([full({ inputTokens: Number.NaN, latencyMs: 5 })]));
    expect(decoded!.inputTokens).toBeNaN();
    expect(decoded!.latencyMs).toBe(5);
  });

  it('sends each distinct name once however many records hold it, and the ids of each record as they come', () => {
    const records = Array.from({ length: 500 }, (_, i) => full({ model: `model-${i % 3}`, project: '/src/p', host: 'box', requestId: `r${i}` }));
    const batch = encodeBatch(records);
    expect(batch.strings).toHaveLength(3 + 1 + 1 + 500);
    expect(new Set(batch.strings).size).toBe(batch.strings.length);
    // A retry sends its requestId again, and an answer seen twice its responseId: each record keeps its own.
    const again = [full({ requestId: 'r1', responseId: 'x' }), full({ requestId: 'r1', responseId: 'x' })];
    expect(encodeBatch(again).strings.filter((text) => text === 'r1' || text === 'x')).toHaveLength(4);
    expect(decodeBatch(encodeBatch(again))).toEqual(again);
  });

  it('moves the arrays of a large batch to the other side instead of copying them, and copies a small one', async () => {
    const small = [full({ model: 'a', latencyMs: 12 }), full({ model: 'b', success: false, failureClass: 'quota' })];
    const large = Array.from({ length: 200 }, (_, i) => full({ model: `m${i % 7}`, latencyMs: i }));
    const { port1, port2 } = new MessageChannel();
    try {
      for (const records of [small, large]) {
        const batch = encodeBatch(records);
        const received = new Promise<EncodedBatch>((resolve) => port2.once('message', resolve));
        port1.postMessage(batch, batchTransferList(batch));
        // Transferred, the sender's views are detached; copied, they are intact.
        expect(batch.numbers.byteLength).toBe(records === large ? 0 : records.length * 9 * 8);
        expect(decodeBatch(await received)).toEqual(records);
      }
    } finally {
      port1.close();
      port2.close();
    }
  });
});
