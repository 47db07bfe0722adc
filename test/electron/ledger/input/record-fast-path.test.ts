import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAST_PATH_FIELDS, fastRequestRecord } from '../../../../electron/ledger/input/record-fast-path.js';
import { parseIngestBody } from '../../../../electron/ledger/input/ingest-body.js';
import { MAX_FUTURE_MS, MAX_TOKENS, requestRecordSchema, toRequestRecord } from '../../../../shared/schemas/request-record.js';
import { MAX_TIME_MS } from '../../../../shared/schemas/time.js';

/**
 * The fast path may only ever say "the schema accepts this, and here is the same record": every value
 * it lets through must be accepted by requestRecordSchema (and be within MAX_FUTURE_MS) with an equal
 * stored record. Values at and past every field's edges, of the wrong types and in Unicode are mixed
 * in, so a check looser than the schema's is found. Fixed seed; FC_SEED / FC_RUNS explore further.
 */
const SEED = Number(process.env['FC_SEED'] ?? 18_012);
const runs = (n: number) => ({ seed: SEED, numRuns: Number(process.env['FC_RUNS'] ?? n) });
const NOW = Date.UTC(2026, 11, 3, 12);

/** What the schema makes of `item`, as ingest stores it, or null when ingest refuses it. */
function viaSchema(item: unknown) {
  const result = requestRecordSchema.safeParse(item);
  if (!result.success) return null;
  if (result.data.ts !== undefined && result.data.ts > NOW + MAX_FUTURE_MS) return null;
  return toRequestRecord(result.data, NOW);
}

/** Mostly values the schema takes (so whole records pass), one in eight at or past an edge. */
const mostly = (valid: fc.Arbitrary<unknown>, edge: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: valid, weight: 7 }, { arbitrary: edge, weight: 1 });
const text = (max: number) =>
  mostly(
    fc.oneof(fc.stringMatching(/^[a-z0-9/_.-]{1,20}$/), fc.constantFrom('a b', ' x ', 'x'.repeat(max))),
    fc.oneof(
      fc.string({ minLength: 0, maxLength: 12 }),
      fc.string({ unit: 'binary', minLength: 0, maxLength: 12 }),
      fc.constantFrom('', ' ', '   ', '\t', 'x\n', 'x\u202E', '\u200B', 'ü', 'x'.repeat(max + 1), ' '.repeat(max), 7),
    ),
  );
const integer = (min: number, max: number) =>
  mostly(
    fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max)),
    fc.constantFrom(min - 1, max + 1, 0.5, -0, Number.NaN, Number.POSITIVE_INFINITY, '1', null, true),
  );
const lowerName = mostly(fc.constantFrom('openai', 'a', 'x'.repeat(32), 'a.b_c-d', '0x'), fc.oneof(fc.constantFrom('A', '-x', 'x'.repeat(33), 'a b', ''), fc.string({ maxLength: 6 })));
const field: Record<string, fc.Arbitrary<unknown>> = {
  ts: mostly(fc.integer({ min: NOW - 86_400_000, max: NOW + MAX_FUTURE_MS }), fc.constantFrom(-1, MAX_TIME_MS, MAX_TIME_MS + 1, NOW + MAX_FUTURE_MS + 1, 1.5, '2026-12-03T10:00:00Z', String(NOW), ' 12 ')),
  model: text(256),
  apiType: lowerName,
  inputTokens: integer(0, MAX_TOKENS),
  outputTokens: integer(0, MAX_TOKENS),
  cacheReadTokens: integer(0, MAX_TOKENS),
  cacheWriteTokens: integer(0, MAX_TOKENS),
  cacheWrite1hTokens: integer(0, MAX_TOKENS),
  provider: lowerName,
  success: mostly(fc.boolean(), fc.constantFrom('true', 1, null)),
  failureClass: mostly(fc.constantFrom('retryable', 'overloaded', 'non_retryable', 'quota', 'client_cancel'), fc.constantFrom('other', '', 'Quota')),
  statusCode: integer(100, 599),
  latencyMs: integer(0, 86_400_000),
  ttftMs: integer(0, 86_400_000),
  channel: mostly(fc.constantFrom('0123456789abcdef', 'fedcba9876543210'), fc.constantFrom('0123456789ABCDEF', '0123456789abcde', '0123456789abcdef0', 'zz23456789abcdef')),
  source: text(64),
  requestId: text(128),
  project: text(1024),
  branch: text(256),
  sessionId: text(128),
  responseId: text(256),
  host: text(64),
};
const record = fc
  .tuple(fc.record(field, { requiredKeys: [] }), fc.nat(20))
  .map(([value, dice]) => {
    const item: Record<string, unknown> = { ...value };
    // Most generated records carry a model, as real ones do; a few carry an unknown field or an undefined.
    if (item['model'] === undefined && dice > 2) item['model'] = 'gpt-5-mini';
    if (dice === 0) item['extra'] = 1;
    if (dice === 1) item['inputTokens'] = undefined;
    return item;
  });

describe('fastRequestRecord', () => {
  it('knows exactly the fields of requestRecordSchema (a new field must be added to it, or it refuses records the schema takes)', () => {
    expect([...FAST_PATH_FIELDS].sort()).toEqual(Object.keys(requestRecordSchema.shape).sort());
  });

  it('accepts only what the schema accepts, and stores the same record', () => {
    let fast = 0;
    fc.assert(
      fc.property(record, (item) => {
        const result = fastRequestRecord(item, NOW);
        if (result === null) return;
        fast++;
        expect(viaSchema(item), JSON.stringify(item)).toEqual(result);
      }),
      runs(20_000),
    );
    // Not a vacuous pass: a good share of the generated records took the fast path.
    expect(fast).toBeGreaterThan(100);
  });

  it('takes the everyday records (plain ASCII, epoch-ms times), so the schema is not run for them', () => {
    const everyday = [
      { model: 'gpt-5-mini', apiType: 'openai', inputTokens: 1200, cacheReadTokens: 4096, outputTokens: 350, latencyMs: 2400, ttftMs: 380, requestId: 'req-1' },
      { ts: NOW - 1_000, model: 'Qwen3-Coder-30B-A3B-Instruct', inputTokens: 900, outputTokens: 512, source: 'llama-server', project: '/home/dev/src/app' },
      { model: 'claude-sonnet-4-5', success: false, failureClass: 'overloaded', statusCode: 529, channel: '0123456789abcdef', provider: 'anthropic' },
      { model: 'x', cacheWriteTokens: 10, cacheWrite1hTokens: 10, branch: 'main', sessionId: 's-1', responseId: 'msg_1', host: 'laptop' },
    ];
    for (const item of everyday) {
      const result = fastRequestRecord(item, NOW);
      expect(result, JSON.stringify(item)).not.toBeNull();
      expect(result).toEqual(viaSchema(item));
    }
  });

  it('leaves to the schema what it cannot prove: ISO times, Unicode names, broken rules, unknown fields, class instances', () => {
    const hard: unknown[] = [
      { model: 'gpt-5-mini', ts: '2026-12-03T10:00:00Z' },
      { model: '模型-ü' },
      { model: 'x', success: true, failureClass: 'quota' },
      { model: 'x', cacheWriteTokens: 1, cacheWrite1hTokens: 2 },
      { model: 'x', ttftMs: 2, latencyMs: 1 },
      { model: 'x', ts: NOW + MAX_FUTURE_MS + 1 },
      { model: 'x', colour: 'red' },
      { model: 'x', inputTokens: undefined },
      { model: '   ' },
      {},
      Object.assign(Object.create({ model: 'inherited' }) as object, { inputTokens: 1 }),
      [{ model: 'x' }],
      null,
    ];
    for (const item of hard) expect(fastRequestRecord(item, NOW), JSON.stringify(item)).toBeNull();
  });

  it('gives a batch the same records and the same refusal as the schema alone', () => {
    const good = [{ model: 'gpt-5-mini', inputTokens: 1 }, { model: '模型', ts: '2026-12-03T10:00:00Z' }];
    expect(parseIngestBody(good, NOW)).toEqual(good.map(viaSchema));
    const bad = [{ model: 'gpt-5-mini', inputTokens: 1 }, { model: 'x', inputTokens: -1 }, { model: 'ok' }, { model: '' }];
    // Both refused records are named, though the ones around them took the fast path.
    expect(() => parseIngestBody(bad, NOW)).toThrowError(
      expect.objectContaining({
        code: 'validation_failed',
        message: '2 of 4 records are invalid; nothing was stored. First problem: record 1: inputTokens: Too small: expected number to be >=0',
        details: [
          { index: 1, field: 'inputTokens', reason: 'Too small: expected number to be >=0' },
          { index: 3, field: 'model', reason: 'model name must not be empty or blank' },
          { index: 3, field: 'model', reason: 'model name must hold a visible character' },
        ],
      }) as Error,
    );
  });
});
