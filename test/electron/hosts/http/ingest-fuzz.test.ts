import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorBody } from '../../../../shared/errors.js';
import { MAX_TOKENS } from '../../../../shared/schemas/request-record.js';
import type { Circuit, CircuitEvent, IngestResult, ModelPricing, RequestPage, Run, Summary } from '../../../../shared/types.js';
import { DAY, HOUR, qs, type Answer, type TestServer, useServerPerTest } from './helpers.js';

/**
 * Fuzzed HTTP bodies against a real server (product.md section 2: "Errors are JSON ... nothing is
 * half-applied"; ingest is all-or-nothing). Whatever arrives, the answer is never a 5xx, a 4xx has
 * the error envelope, a refused body changes nothing, and an accepted batch stores exactly its
 * records. Fixed seed for `npm test`; FC_SEED / FC_RUNS explore further, and a failure prints its
 * seed and shrunk counterexample.
 */
const SEED = Number(process.env['FC_SEED'] ?? 5_002);
const runs = (n: number) => ({ seed: SEED, numRuns: Number(process.env['FC_RUNS'] ?? n) });

let server: TestServer;
useServerPerTest((started) => (server = started));

const NOW = Date.now();

/** Never a 5xx; a 4xx is `{ error: { code, message, details? } }` with the status its code maps to. */
function expectWellFormed(answer: Answer<unknown>, label: string): void {
  expect(answer.status, `${label}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status < 400) return;
  expect(answer.headers.get('content-type') ?? '', label).toContain('application/json');
  const error = (answer.body as { error: ErrorBody }).error;
  expect(Object.keys(ERROR_STATUS), label).toContain(error.code);
  expect(ERROR_STATUS[error.code], label).toBe(answer.status);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  if (error.details !== undefined) {
    for (const detail of error.details) {
      expect(typeof detail.field).toBe('string');
      expect(typeof detail.reason).toBe('string');
      if (detail.index !== undefined) expect(Number.isInteger(detail.index)).toBe(true);
    }
  }
}

/** Everything a write could touch, read back: totals, models, the newest raw rows. */
async function ledgerState(): Promise<unknown> {
  const summary = await server.get<Summary>(`/api/v1/summary${qs({ from: 0, to: NOW + 2 * DAY })}`);
  const newest = await server.get<RequestPage>(`/api/v1/requests${qs({ from: 0, to: NOW + 2 * DAY, limit: 5 })}`);
  return { totals: summary.totals, models: summary.models, newest: newest.requests };
}

const ingest = (options: { json?: unknown; raw?: string | Uint8Array; contentType?: string }) => server.call<IngestResult>('POST', '/api/v1/requests', options);

// --- Valid records: every field at its edges (huge counts, Unicode and 256-character names, ISO times).

const modelName = fc.oneof(
  fc.constantFrom('gpt-5-mini', 'Qwen3-Coder-30B-A3B-Instruct-UD-64K', 'meta-llama/Llama-3.1-8B', '模型-ü', 'x'.repeat(256), '🦙'.repeat(128)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
).filter((name) => name.length <= 256 && name.trim().length > 0 && !FORBIDDEN_IN_NAME.test(name) && name.replace(INVISIBLE, '').length > 0);

// What a model name may not hold (issue 11.14): control characters, bidirectional overrides and
// isolates; and what renders as nothing, which may not be all of it.
const FORBIDDEN_IN_NAME = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE = /[\s\p{Z}\p{Cf}\p{M}\u115F\u1160\u3164\uFFA0]/gu;
const forbiddenChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('\u007F', '\u0085', '\u061C', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'),
);
const invisibleOnly = fc.array(fc.constantFrom('\u200B', '\u200C', '\u200D', '\uFEFF', '\u2060', '\u00AD', '\u3164', '\u115F', '\uFE0F', '\u0301', '\u00A0', '\u3000', ' '), { minLength: 1, maxLength: 12 }).map((chars) => chars.join(''));
/** A name no record may carry: a valid one with a forbidden character spliced in, or nothing visible. */
const badModelName = fc.oneof(
  fc.tuple(modelName, forbiddenChar, fc.nat()).map(([name, bad, at]) => {
    const cut = at % (name.length + 1);
    return name.slice(0, cut) + bad + name.slice(cut);
  }),
  invisibleOnly,
).filter((name) => name.length <= 256);
const tokenCount = fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.constant(MAX_TOKENS), fc.integer({ min: 0, max: MAX_TOKENS }));
const validTs = fc.oneof(
  fc.integer({ min: NOW - 30 * DAY, max: NOW }),
  fc.integer({ min: NOW, max: NOW + 23 * HOUR }), // a reporter's clock a little ahead
  fc.integer({ min: NOW - 30 * DAY, max: NOW }).map((ts) => new Date(ts).toISOString()),
  fc.integer({ min: NOW - 30 * DAY, max: NOW }).map(String),
);
const hex16 = fc.stringMatching(/^[0-9a-f]{16}$/);
const apiType = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,31}$/);

type Json = Record<string, unknown>;

const validRecord: fc.Arbitrary<Json> = fc
  .record(
    {
      ts: validTs,
      model: modelName,
      apiType,
      inputTokens: tokenCount,
      outputTokens: tokenCount,
      cacheReadTokens: tokenCount,
      cacheWriteTokens: tokenCount,
      success: fc.boolean(),
      statusCode: fc.integer({ min: 100, max: 599 }),
      latency: fc.tuple(fc.integer({ min: 0, max: 86_400_000 }), fc.double({ min: 0, max: 1, noNaN: true })),
      channel: hex16,
      source: fc.string({ minLength: 1, maxLength: 64 }),
      // A small pool, so batches repeat ids (within a batch and across batches).
      requestId: fc.oneof(fc.integer({ min: 0, max: 30 }).map((n) => `fuzz-${n}`), fc.string({ minLength: 1, maxLength: 128 })),
      failureClass: fc.constantFrom('retryable', 'overloaded', 'non_retryable', 'quota', 'client_cancel'),
    },
    { requiredKeys: ['model'] },
  )
  .map(({ latency, failureClass, ...rest }) => {
    const record: Json = { ...rest };
    if (latency !== undefined) {
      record['latencyMs'] = latency[0];
      if (latency[1] < 0.7) record['ttftMs'] = Math.floor(latency[0] * latency[1]);
    }
    if (failureClass !== undefined && rest.success === false) record['failureClass'] = failureClass;
    return record;
  });

// --- Invalid records: a valid one with one change that product.md or the schema forbids.

const garbage = fc.oneof(fc.jsonValue(), fc.constant({ nested: [1, { deeper: [null, 'x', { z: -0 }] }] }));
const TOKEN_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'];
const badToken = fc.constantFrom(-1, 1.5, MAX_TOKENS + 1, 1e308, '10', 'NaN', 'Infinity', true, null, [], {});
const KNOWN = new Set(['ts', 'model', 'apiType', ...TOKEN_FIELDS, 'success', 'failureClass', 'statusCode', 'latencyMs', 'ttftMs', 'channel', 'source', 'requestId']);

const breakRecord: fc.Arbitrary<(record: Json) => unknown> = fc.oneof(
  fc.constantFrom('', '   ', '\t\n', 'x'.repeat(257), 42, null, ['a'], {}).map((model) => (r: Json) => ({ ...r, model })),
  fc.constant((r: Json) => {
    const { model: _model, ...rest } = r;
    return rest;
  }),
  fc.tuple(fc.constantFrom(...TOKEN_FIELDS), badToken).map(([field, value]) => (r: Json) => ({ ...r, [field]: value })),
  fc
    .constantFrom<unknown>('yesterday', 'NaN', '2024-13-45T25:61:00Z', -5, 1.5, 1e16, NOW + 25 * HOUR, new Date(NOW + 26 * HOUR).toISOString(), {}, true, null)
    .map((ts) => (r: Json) => ({ ...r, ts })),
  fc.constantFrom<unknown>('true', 1, 0, null).map((success) => (r: Json) => ({ ...r, success })),
  fc.constant((r: Json) => ({ ...r, success: true, failureClass: 'retryable' })),
  fc.constantFrom<unknown>('boom', '', 5).map((failureClass) => (r: Json) => ({ ...r, success: false, failureClass })),
  fc.constantFrom<unknown>(99, 600, 200.5, '200').map((statusCode) => (r: Json) => ({ ...r, statusCode })),
  fc.constantFrom<unknown>(-1, 86_400_001, 0.5).map((latencyMs) => (r: Json) => ({ ...r, latencyMs })),
  fc.integer({ min: 0, max: 1_000 }).map((latencyMs) => (r: Json) => ({ ...r, latencyMs, ttftMs: latencyMs + 1 })),
  fc.constantFrom<unknown>('XYZ', '0123456789ABCDEF', '0123456789abcde', '0123456789abcdef0', 12).map((channel) => (r: Json) => ({ ...r, channel })),
  fc.constantFrom<unknown>('OpenAI', '', 'a'.repeat(33), 'a b', '-x', 7).map((apiType) => (r: Json) => ({ ...r, apiType })),
  fc.constantFrom<unknown>('', 's'.repeat(65), 3).map((source) => (r: Json) => ({ ...r, source })),
  fc.constantFrom<unknown>('', 'r'.repeat(129), 9).map((requestId) => (r: Json) => ({ ...r, requestId })),
  fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !KNOWN.has(key) && key !== '__proto__'), garbage).map(([key, value]) => (r: Json) => ({ ...r, [key]: value })),
  fc.constantFrom<unknown>(null, 5, 'record', [], [{ model: 'm' }], true).map((value) => () => value),
);
const invalidRecord = fc.tuple(validRecord, breakRecord).map(([record, breakIt]) => breakIt(record));

/** What a stored record adds to the totals. */
function sums(records: readonly Json[]): { requests: number; failures: number; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number } {
  const out = { requests: 0, failures: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  for (const r of records) {
    out.requests++;
    if (r['success'] === false) out.failures++;
    out.inputTokens += Number(r['inputTokens'] ?? 0);
    out.outputTokens += Number(r['outputTokens'] ?? 0);
    out.cacheReadTokens += Number(r['cacheReadTokens'] ?? 0);
    out.cacheWriteTokens += Number(r['cacheWriteTokens'] ?? 0);
  }
  return out;
}

function totalsOf(summary: Summary) {
  const { requests, failures, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = summary.totals;
  return { requests, failures, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens };
}

const totals = async () => totalsOf(await server.get<Summary>(`/api/v1/summary${qs({ from: 0, to: NOW + 2 * DAY })}`));

/** A batch in one of the three shapes product.md allows (an array sent alone would be a batch of its own). */
const shaped = (records: unknown[], shape: 'array' | 'wrapped' | 'single'): unknown =>
  shape === 'wrapped' ? { records } : shape === 'single' && records.length === 1 && !Array.isArray(records[0]) ? records[0] : records;

describe('POST /api/v1/requests, fuzzed', () => {
  it('stores exactly the records of a valid batch: accepted + duplicates = its length, totals grow by the accepted ones', async () => {
    const stored = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(validRecord, { maxLength: 40 }), fc.constantFrom('array', 'wrapped', 'single') as fc.Arbitrary<'array' | 'wrapped' | 'single'>, async (records, shape) => {
        const before = await totals();
        const answer = await ingest({ json: shaped(records, shape) });
        expectWellFormed(answer, 'valid batch');
        expect(answer.status, answer.text).toBe(200);
        // A requestId already stored, or repeated earlier in the batch, is a duplicate.
        const kept = records.filter((r) => {
          const id = r['requestId'];
          if (typeof id !== 'string') return true;
          if (stored.has(id)) return false;
          stored.add(id);
          return true;
        });
        expect(answer.body).toEqual({ accepted: kept.length, duplicates: records.length - kept.length });
        const after = await totals();
        const added = sums(kept);
        for (const key of Object.keys(added) as (keyof typeof added)[]) expect(after[key] - before[key], key).toBe(added[key]);
      }),
      runs(60),
    );
  });

  it('stores nothing of a batch with any invalid record, and says which record and field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(validRecord, { maxLength: 20 }),
        fc.array(invalidRecord, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.constantFrom('array', 'wrapped', 'single') as fc.Arbitrary<'array' | 'wrapped' | 'single'>,
        async (valid, invalid, at, shape) => {
          const batch: unknown[] = [...valid];
          for (const bad of invalid) batch.splice(at % (batch.length + 1), 0, bad);
          const body = shaped(batch, shape);
          const before = await ledgerState();
          const answer = await ingest({ json: body });
          expectWellFormed(answer, 'invalid batch');
          expect(answer.status, answer.text).toBe(400);
          const error = (answer.body as unknown as { error: ErrorBody }).error;
          expect(error.details?.length ?? 0).toBeGreaterThan(0);
          if (body !== batch[0]) {
            // In a batch, every detail names an invalid record by its index.
            const invalidAt = batch.flatMap((item, index) => (invalid.includes(item) ? [index] : []));
            for (const detail of error.details ?? []) expect(invalidAt).toContain(detail.index);
          }
          expect(await ledgerState()).toEqual(before);
        },
      ),
      runs(80),
    );
  });

  it('refuses model names with control or bidi characters or nothing visible, naming the record, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(modelName, { maxLength: 3 }), badModelName, fc.nat(), async (good, bad, at) => {
        const records = good.map((model) => ({ model }));
        const index = at % (records.length + 1);
        records.splice(index, 0, { model: bad });
        const before = await ledgerState();
        const answer = await ingest({ json: records });
        expectWellFormed(answer, JSON.stringify(bad));
        expect(answer.status, JSON.stringify(bad)).toBe(400);
        const error = (answer.body as unknown as { error: ErrorBody }).error;
        expect(error.details?.length).toBeGreaterThan(0);
        for (const detail of error.details ?? []) expect([detail.index, detail.field]).toEqual([index, 'model']);
        expect(await ledgerState()).toEqual(before);
      }),
      runs(60),
    );
  });

  it('answers any JSON document without a 5xx, storing nothing unless it answers 200', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue())), async (body) => {
        const before = await ledgerState();
        const answer = await ingest({ raw: JSON.stringify(body) ?? 'null', contentType: 'application/json' });
        expectWellFormed(answer, JSON.stringify(body)?.slice(0, 200) ?? '');
        if (answer.status !== 200) expect(await ledgerState()).toEqual(before);
      }),
      runs(100),
    );
  });

  it('answers random bytes, truncated JSON and any content type with a 4xx and stores nothing', async () => {
    const truncated = fc
      .tuple(fc.array(validRecord, { minLength: 1, maxLength: 5 }), fc.double({ min: 0, max: 0.999, noNaN: true }))
      .map(([records, cut]) => {
        const text = JSON.stringify(records);
        return text.slice(0, Math.floor(text.length * cut));
      });
    const body = fc.oneof(
      truncated,
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom('', ' ', 'null', '{', '[', '[{]', '{"records":', '\u0000', '\ufeff[]', '{"model":"m"}{"model":"n"}', '[1e999]', '{"__proto__":{"model":"m"}}'),
    );
    const contentType = fc.constantFrom(
      undefined,
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/octet-stream',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/json; charset=latin1',
      'text/json',
      'nonsense',
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, async (raw, type) => {
        const before = await ledgerState();
        const answer = await ingest({ raw, ...(type === undefined ? {} : { contentType: type }) });
        expectWellFormed(answer, `${type} ${typeof raw === 'string' ? JSON.stringify(raw.slice(0, 100)) : `${raw.length} bytes`}`);
        // A body that happens to be a valid empty batch may be accepted; nothing else can be.
        if (answer.status === 200) expect(answer.body).toEqual({ accepted: 0, duplicates: 0 });
        expect(await ledgerState()).toEqual(before);
      }),
      runs(150),
    );
  });
});

describe('other write bodies, fuzzed: never a 5xx, nothing half-applied', () => {
  const runEvent = fc.record(
    {
      model: fc.oneof(modelName, garbage),
      event: fc.oneof(fc.constantFrom('start', 'stop', 'heartbeat'), garbage),
      ts: fc.oneof(validTs, garbage),
      source: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), garbage),
      runId: fc.oneof(fc.integer({ min: 1, max: 5 }), garbage),
    },
    { requiredKeys: [] },
  );

  it('POST /api/v1/runs: a refused event changes no run', async () => {
    const runsNow = async () => (await server.get<Run[]>(`/api/v1/runs${qs({ limit: 10_000 })}`)).map(({ durationSeconds: _d, ...run }) => run);
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: runEvent }, { weight: 1, arbitrary: fc.jsonValue() }), async (body) => {
        const before = await runsNow();
        const answer = await server.call<Run>('POST', '/api/v1/runs', { json: body });
        expectWellFormed(answer, JSON.stringify(body).slice(0, 200));
        if (answer.status !== 200) expect(await runsNow()).toEqual(before);
      }),
      runs(120),
    );
  });

  const circuit = fc.record(
    {
      metricsKey: fc.oneof(hex16, garbage),
      channel: fc.oneof(
        fc.record({ baseUrl: fc.constantFrom('https://api.example.com/v1', 'http://127.0.0.1:8080', 'ftp://x', 'not a url'), apiKey: fc.string({ minLength: 1, maxLength: 40 }) }),
        fc.record({ baseUrl: fc.constant('https://api.example.com'), keyMask: fc.string({ minLength: 1, maxLength: 10 }) }),
        garbage,
      ),
      apiType: fc.oneof(apiType, garbage),
      state: fc.oneof(fc.constantFrom('closed', 'open', 'half_open'), garbage),
      consecutiveFailures: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), garbage),
      openedAt: fc.oneof(validTs, fc.constant(null), garbage),
      backoffLevel: fc.oneof(fc.integer({ min: 0, max: 64 }), garbage),
      label: fc.oneof(fc.string({ maxLength: 128 }), garbage),
    },
    { requiredKeys: [] },
  );

  it('PUT /api/v1/circuits: a refused batch changes no circuit and logs no transition', async () => {
    const state = async () => ({
      circuits: await server.get<Circuit[]>('/api/v1/circuits'),
      events: await server.get<CircuitEvent[]>(`/api/v1/circuits/events${qs({ limit: 10_000 })}`),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          circuit,
          fc.array(circuit, { maxLength: 6 }),
          fc.array(circuit, { maxLength: 6 }).map((circuits) => ({ circuits })),
          fc.jsonValue(),
        ),
        async (body) => {
          const before = await state();
          const answer = await server.call<Circuit[]>('PUT', '/api/v1/circuits', { json: body });
          expectWellFormed(answer, JSON.stringify(body).slice(0, 300));
          if (answer.status !== 200) expect(await state()).toEqual(before);
        },
      ),
      runs(120),
    );
  });

  it('PUT /api/v1/circuits: valid states followed by an unknown channel store none of them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ metricsKey: hex16, apiType, state: fc.constantFrom('closed', 'open', 'half_open') }), { minLength: 1, maxLength: 5 }), async (valid) => {
        const before = await server.get<Circuit[]>('/api/v1/circuits');
        const batch = [...valid, { channel: { baseUrl: 'https://nowhere.example', keyMask: 'sk-n…ever' }, apiType: 'openai', state: 'open' }];
        const answer = await server.call('PUT', '/api/v1/circuits', { json: batch });
        expectWellFormed(answer, 'unknown channel');
        expect(answer.status).toBe(404);
        expect(await server.get<Circuit[]>('/api/v1/circuits')).toEqual(before);
      }),
      runs(30),
    );
  });

  const tier = fc.record(
    {
      maxPromptTokens: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constant(null), garbage),
      input: fc.oneof(fc.double({ min: 0, max: 10_000, noNaN: true }), garbage),
      output: fc.oneof(fc.double({ min: 0, max: 10_000, noNaN: true }), garbage),
      cacheRead: fc.oneof(fc.double({ min: 0, max: 10_000, noNaN: true }), garbage),
    },
    { requiredKeys: ['input', 'output'] },
  );
  const priceVersion = fc.record(
    {
      method: fc.oneof(fc.constantFrom('tokens', 'hourly', 'none'), garbage),
      currency: fc.oneof(fc.constantFrom('USD', 'CNY', 'usd', 'EURO'), garbage),
      effectiveFrom: fc.oneof(validTs, garbage),
      tiers: fc.oneof(fc.array(tier, { maxLength: 4 }), garbage),
      hourly: fc.oneof(fc.double({ min: 0, max: 10_000, noNaN: true }), fc.constantFrom(-1, 10_001), garbage),
    },
    { requiredKeys: [] },
  );

  it('PUT /api/v1/pricing/<model>: a refused version changes no price and no cost', async () => {
    // Requests to be priced, so a half-applied version would show in the totals' cost.
    const seeded = await ingest({ json: [{ model: 'priced', ts: NOW - HOUR, inputTokens: 1_000, outputTokens: 10 }] });
    expect(seeded.status).toBe(200);
    const state = async () => ({
      pricing: await server.get<ModelPricing[]>('/api/v1/pricing'),
      totals: (await server.get<Summary>(`/api/v1/summary${qs({ from: 0, to: NOW + 2 * DAY })}`)).totals,
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(modelName, fc.constant('priced')), fc.oneof({ weight: 4, arbitrary: priceVersion }, { weight: 1, arbitrary: fc.jsonValue() }), async (model, body) => {
        const before = await state();
        const answer = await server.call('PUT', `/api/v1/pricing/${encodeURIComponent(model)}`, { json: body });
        expectWellFormed(answer, `${model}: ${JSON.stringify(body).slice(0, 300)}`);
        if (answer.status !== 200) expect(await state()).toEqual(before);
      }),
      runs(120),
    );
  });
});
