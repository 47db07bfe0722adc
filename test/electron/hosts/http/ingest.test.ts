import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_RECORDS } from '../../../../shared/schemas/request-record.js';
import type { IngestResult, RequestPage, RequestRow, Summary } from '../../../../shared/types.js';
import { expectError, HOUR, MINUTE, qs, type TestServer, useServerPerTest } from './helpers.js';

// A fixed point two hours in the past, on a minute boundary: inside "now", never in the future.
const T0 = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;

let server: TestServer;
useServerPerTest((started) => (server = started));

const ingest = (json: unknown) => server.call<IngestResult>('POST', '/api/v1/requests', { json });

async function storedRows(): Promise<RequestRow[]> {
  const page = await server.get<RequestPage>(`/api/v1/requests${qs({ from: 0, limit: 5000 })}`);
  expect(page.nextBefore).toBeNull();
  return page.requests;
}

async function storedTotals(): Promise<Summary['totals']> {
  const summary = await server.get<Summary>(`/api/v1/summary${qs({ from: 0, to: Date.now() + 1 })}`);
  return summary.totals;
}

/** Nothing at all in the ledger: no raw rows, no rolled-up totals. */
async function expectNothingStored(): Promise<void> {
  expect(await storedRows()).toEqual([]);
  const totals = await storedTotals();
  expect(totals.requests).toBe(0);
  expect(totals.inputTokens).toBe(0);
}

describe('POST /api/v1/requests: body shapes', () => {
  it('accepts a single record', async () => {
    const answer = await ingest({ ts: T0, model: 'gpt-5-mini', inputTokens: 10, outputTokens: 5 });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ accepted: 1, duplicates: 0 });
    const rows = await storedRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ts: T0, model: 'gpt-5-mini', inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, success: true });
  });

  it('accepts an array of records', async () => {
    const answer = await ingest([
      { ts: T0, model: 'a', inputTokens: 1 },
      { ts: T0 + 1, model: 'b', inputTokens: 2 },
      { ts: T0 + 2, model: 'a', inputTokens: 3 },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ accepted: 3, duplicates: 0 });
    expect(await storedRows()).toHaveLength(3);
    expect((await storedTotals()).inputTokens).toBe(6);
  });

  it('accepts { records: [...] }', async () => {
    const answer = await ingest({ records: [{ ts: T0, model: 'a' }, { ts: T0, model: 'b' }] });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ accepted: 2, duplicates: 0 });
    expect(await storedRows()).toHaveLength(2);
  });

  it('accepts an empty batch and stores nothing', async () => {
    expect((await ingest([])).body).toEqual({ accepted: 0, duplicates: 0 });
    expect((await ingest({ records: [] })).body).toEqual({ accepted: 0, duplicates: 0 });
    await expectNothingStored();
  });

  it('keeps every field of a full record', async () => {
    const record = {
      ts: T0,
      model: 'claude-sonnet',
      apiType: 'anthropic',
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 300,
      cacheWriteTokens: 40,
      success: false,
      failureClass: 'overloaded',
      statusCode: 529,
      latencyMs: 1200,
      ttftMs: 300,
      channel: '0123456789abcdef',
      source: 'proxy',
      requestId: 'req-full-1',
    };
    expect((await ingest(record)).body).toEqual({ accepted: 1, duplicates: 0 });
    const [row] = await storedRows();
    expect(row).toMatchObject(record);
    expect(row!.cost).toBeNull();
    expect(row!.currency).toBeNull();
    const totals = await storedTotals();
    expect(totals).toMatchObject({ requests: 1, failures: 1, inputTokens: 100, outputTokens: 20, cacheReadTokens: 300, cacheWriteTokens: 40, unpricedRequests: 1 });
  });

  it('stamps a record without ts with the time it arrived', async () => {
    const before = Date.now();
    await ingest({ model: 'now' });
    const after = Date.now();
    const [row] = await storedRows();
    expect(row!.ts).toBeGreaterThanOrEqual(before);
    expect(row!.ts).toBeLessThanOrEqual(after);
  });
});

describe('POST /api/v1/requests: time formats', () => {
  it('accepts epoch milliseconds and ISO-8601 (Z, offset, fraction) and stores the same instant', async () => {
    const base = new Date(T0);
    const cases: [unknown, number][] = [
      [T0, T0],
      [String(T0 + 1), T0 + 1],
      [new Date(T0 + 2).toISOString(), T0 + 2],
      ['2024-05-01T10:00:00Z', Date.UTC(2024, 4, 1, 10)],
      ['2024-05-01T18:00:00+08:00', Date.UTC(2024, 4, 1, 10)],
      ['2024-05-01T10:00:00.250Z', Date.UTC(2024, 4, 1, 10, 0, 0, 250)],
      // Without an offset an ISO time is local time of the machine running the core.
      ['2024-05-01T10:00:00', new Date(2024, 4, 1, 10).getTime()],
    ];
    expect(base.getTime()).toBe(T0);
    const answer = await ingest(cases.map(([ts], i) => ({ ts, model: `time-${i}` })));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.accepted).toBe(cases.length);
    const rows = await storedRows();
    for (const [i, [, expected]] of cases.entries()) {
      const row = rows.find((r) => r.model === `time-${i}`);
      expect(row?.ts, `case ${i}`).toBe(expected);
    }
  });

  const badTimes: [string, unknown][] = [
    ['a word', 'yesterday'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['February 30th', '2024-02-30T00:00:00Z'],
    ['hour 25', '2024-02-03T25:00:00Z'],
    ['a fractional millisecond', 1.5],
    ['a negative time', -1],
    ['a time after 2200', Date.UTC(2201, 0, 1)],
    ['an empty string', ''],
    ['a boolean', true],
    ['an object', { ms: 1 }],
    ['null', null],
  ];
  for (const [what, ts] of badTimes) {
    it(`rejects ts as ${what} with 400 naming the ts field`, async () => {
      const error = expectError(await ingest([{ ts: T0, model: 'ok' }, { ts, model: 'bad-time' }]), 400, 'validation_failed');
      expect(error.details).toContainEqual(expect.objectContaining({ index: 1, field: 'ts' }));
      await expectNothingStored();
    });
  }
});

describe('POST /api/v1/requests: validation is all-or-nothing', () => {
  it('rejects a whole batch for one invalid record, with index, field and reason', async () => {
    const batch = [
      { ts: T0, model: 'good', inputTokens: 1 },
      { ts: T0, model: 'good', inputTokens: 2 },
      { ts: T0, model: 'good', inputTokens: -3 },
      { ts: T0, model: 'good', inputTokens: 4 },
    ];
    const error = expectError(await ingest(batch), 400, 'validation_failed');
    expect(error.details).toEqual([{ index: 2, field: 'inputTokens', reason: expect.any(String) }]);
    expect(error.message).toMatch(/nothing was stored/);
    await expectNothingStored();
    // The same records without the bad one go in.
    expect((await ingest(batch.filter((_, i) => i !== 2))).body).toEqual({ accepted: 3, duplicates: 0 });
  });

  it('reports every invalid record of a batch', async () => {
    const error = expectError(
      await ingest({ records: [{ model: '' }, { ts: T0, model: 'fine' }, { model: 'x', outputTokens: 'many' }, { model: 'y', colour: 'red' }] }),
      400,
      'validation_failed',
    );
    const indexes = (error.details ?? []).map((detail) => detail.index);
    expect(new Set(indexes)).toEqual(new Set([0, 2, 3]));
    expect(error.details).toContainEqual({ index: 0, field: 'model', reason: expect.any(String) });
    expect(error.details).toContainEqual({ index: 2, field: 'outputTokens', reason: expect.any(String) });
    expect(error.details).toContainEqual({ index: 3, field: 'colour', reason: expect.stringMatching(/unknown/) });
    await expectNothingStored();
  });

  it('rejects unknown fields rather than ignoring them', async () => {
    const error = expectError(await ingest({ model: 'm', prompt_tokens: 5 }), 400, 'validation_failed');
    expect(error.details).toContainEqual({ field: 'prompt_tokens', reason: expect.stringMatching(/unknown field/) });
    await expectNothingStored();
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a missing model', { inputTokens: 1 }, 'model'],
    ['an empty model', { model: '' }, 'model'],
    ['a blank model', { model: '   ' }, 'model'],
    ['a model that is a number', { model: 42 }, 'model'],
    ['a model of 257 characters', { model: 'm'.repeat(257) }, 'model'],
    ['a model of 257 emoji', { model: '🦙'.repeat(257) }, 'model'],
    ['negative input tokens', { model: 'm', inputTokens: -1 }, 'inputTokens'],
    ['negative output tokens', { model: 'm', outputTokens: -5 }, 'outputTokens'],
    ['negative cache-read tokens', { model: 'm', cacheReadTokens: -1 }, 'cacheReadTokens'],
    ['negative cache-write tokens', { model: 'm', cacheWriteTokens: -1 }, 'cacheWriteTokens'],
    ['non-integer tokens', { model: 'm', inputTokens: 1.5 }, 'inputTokens'],
    ['tokens as a string', { model: 'm', outputTokens: '12' }, 'outputTokens'],
    ['tokens beyond a billion', { model: 'm', inputTokens: 1_000_000_001 }, 'inputTokens'],
    ['success as a string', { model: 'm', success: 'true' }, 'success'],
    ['failureClass on a successful record', { model: 'm', failureClass: 'retryable' }, 'failureClass'],
    ['failureClass with success: true', { model: 'm', success: true, failureClass: 'quota' }, 'failureClass'],
    ['an unknown failureClass', { model: 'm', success: false, failureClass: 'flaky' }, 'failureClass'],
    ['a status code of 99', { model: 'm', statusCode: 99 }, 'statusCode'],
    ['a status code of 600', { model: 'm', statusCode: 600 }, 'statusCode'],
    ['negative latency', { model: 'm', latencyMs: -1 }, 'latencyMs'],
    ['ttft longer than latency', { model: 'm', latencyMs: 100, ttftMs: 200 }, 'ttftMs'],
    ['a channel that is not a metricsKey', { model: 'm', channel: 'https://api.example.com' }, 'channel'],
    ['an upper-case apiType', { model: 'm', apiType: 'OpenAI' }, 'apiType'],
    ['an empty requestId', { model: 'm', requestId: '' }, 'requestId'],
    ['a numeric requestId', { model: 'm', requestId: 7 }, 'requestId'],
  ];
  for (const [what, record, field] of invalid) {
    it(`rejects ${what} (400, field ${field})`, async () => {
      const error = expectError(await ingest([{ ts: T0, model: 'fine' }, { ts: T0, ...record }]), 400, 'validation_failed');
      expect(error.details).toContainEqual({ index: 1, field, reason: expect.any(String) });
      await expectNothingStored();
    });
  }

  it('accepts a failed record with its failureClass', async () => {
    expect((await ingest({ ts: T0, model: 'm', success: false, failureClass: 'client_cancel', statusCode: 499 })).status).toBe(200);
    const [row] = await storedRows();
    expect(row).toMatchObject({ success: false, failureClass: 'client_cancel', statusCode: 499 });
    expect((await storedTotals()).failures).toBe(1);
  });
});

describe('POST /api/v1/requests: model names are data', () => {
  const names: [string, string][] = [
    ['emoji', '🦙 llama 🚀'],
    ['CJK', '通义千问-72B-对话'],
    ['a Hugging Face path', 'Qwen/Qwen3-Coder-30B-A3B-Instruct'],
    ['SQL-looking text', `m'); DROP TABLE requests;--`],
    ['quotes and backslashes', `a "quoted" \\ name`],
    ['exactly 256 characters', 'x'.repeat(256)],
    ['256 CJK characters', '模'.repeat(256)],
    ['256 emoji (characters, not UTF-16 units)', '🦙'.repeat(256)],
    ['mixed scripts and combining marks', 'Ünïcödé-é-ñ-Ελληνικά-العربية'],
  ];
  for (const [what, model] of names) {
    it(`accepts and returns ${what} unchanged`, async () => {
      const answer = await ingest({ ts: T0, model, inputTokens: 7 });
      expect(answer.status, answer.text).toBe(200);
      const [row] = await storedRows();
      expect(row!.model).toBe(model);
      const summary = await server.get<Summary>(`/api/v1/summary${qs({ from: 0 })}`);
      expect(summary.models.map((m) => m.model)).toEqual([model]);
      const filtered = await server.get<RequestPage>(`/api/v1/requests${qs({ model })}`);
      expect(filtered.requests).toHaveLength(1);
    });
  }
});

describe('POST /api/v1/requests: idempotency by requestId', () => {
  it('stores a requestId once across batches and counts the repeat as a duplicate', async () => {
    expect((await ingest({ ts: T0, model: 'm', inputTokens: 10, requestId: 'r-1' })).body).toEqual({ accepted: 1, duplicates: 0 });
    expect((await ingest({ ts: T0 + 5, model: 'm', inputTokens: 99, requestId: 'r-1' })).body).toEqual({ accepted: 0, duplicates: 1 });
    expect((await ingest([{ ts: T0, model: 'm', requestId: 'r-1' }, { ts: T0, model: 'm', inputTokens: 1, requestId: 'r-2' }])).body).toEqual({
      accepted: 1,
      duplicates: 1,
    });
    const rows = await storedRows();
    expect(rows.map((row) => row.requestId).sort()).toEqual(['r-1', 'r-2']);
    expect(rows.find((row) => row.requestId === 'r-1')!.inputTokens).toBe(10);
    // The rollups count the first copy only.
    expect(await storedTotals()).toMatchObject({ requests: 2, inputTokens: 11 });
  });

  it('stores a requestId repeated inside one batch once', async () => {
    const answer = await ingest([
      { ts: T0, model: 'm', inputTokens: 1, requestId: 'same' },
      { ts: T0, model: 'm', inputTokens: 2, requestId: 'same' },
      { ts: T0, model: 'm', inputTokens: 4, requestId: 'other' },
      { ts: T0, model: 'm', inputTokens: 8, requestId: 'same' },
    ]);
    expect(answer.body).toEqual({ accepted: 2, duplicates: 2 });
    expect(await storedRows()).toHaveLength(2);
    expect(await storedTotals()).toMatchObject({ requests: 2, inputTokens: 5 });
  });

  it('never treats records without a requestId as duplicates', async () => {
    const record = { ts: T0, model: 'm', inputTokens: 1 };
    expect((await ingest([record, record, record])).body).toEqual({ accepted: 3, duplicates: 0 });
    expect((await ingest(record)).body).toEqual({ accepted: 1, duplicates: 0 });
    expect(await storedRows()).toHaveLength(4);
  });

  it('stores a requestId sent by many concurrent posts exactly once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ingest({ ts: T0 + i, model: 'race', inputTokens: 1, requestId: 'contended' })),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(answers.reduce((sum, a) => sum + a.body.accepted, 0)).toBe(1);
    expect(answers.reduce((sum, a) => sum + a.body.duplicates, 0)).toBe(19);
    expect(await storedRows()).toHaveLength(1);
    expect((await storedTotals()).requests).toBe(1);
  });
});

describe('POST /api/v1/requests: concurrency', () => {
  it('acknowledges 50 parallel posts and stores each record exactly once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ingest([
          { ts: T0 + i, model: `m-${i % 5}`, inputTokens: i, outputTokens: 1, requestId: `p-${i}-a` },
          { ts: T0 + i, model: `m-${i % 5}`, inputTokens: 1000, requestId: `p-${i}-b` },
        ]),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ accepted: 2, duplicates: 0 });
    }
    const rows = await storedRows();
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((row) => row.requestId)).size).toBe(100);
    expect(new Set(rows.map((row) => row.id)).size).toBe(100);
    const totals = await storedTotals();
    expect(totals.requests).toBe(100);
    expect(totals.inputTokens).toBe((49 * 50) / 2 + 50 * 1000);
    expect(totals.outputTokens).toBe(50);
  });

  it('commits valid parallel posts even when others in the same moment are rejected', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ingest(i % 4 === 0 ? { ts: T0, model: 'm', inputTokens: -1 } : { ts: T0, model: 'm', inputTokens: 1 })),
    );
    expect(answers.filter((a) => a.status === 400)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(15);
    expect(await storedRows()).toHaveLength(15);
  });
});

describe('POST /api/v1/requests: transport errors', () => {
  it('answers 400 bad_request for a body that is not JSON, and stores nothing', async () => {
    const answer = await server.call('POST', '/api/v1/requests', { raw: '{"model": "m", ', contentType: 'application/json' });
    expectError(answer, 400, 'bad_request');
    await expectNothingStored();
  });

  it('answers 400 for an empty JSON body', async () => {
    expectError(await server.call('POST', '/api/v1/requests', { raw: '', contentType: 'application/json' }), 400, 'bad_request');
  });

  it('answers 400 for JSON that is neither a record nor a batch', async () => {
    for (const raw of ['null', '42', '"text"', 'true']) {
      const answer = await server.call('POST', '/api/v1/requests', { raw, contentType: 'application/json' });
      expect(answer.status, raw).toBe(400);
    }
    expectError(await ingest({ records: 'not a list' }), 400, 'validation_failed');
    await expectNothingStored();
  });

  it('answers 400 for a __proto__ key (prototype poisoning) and stores nothing', async () => {
    const answer = await server.call('POST', '/api/v1/requests', { raw: '{"model":"m","__proto__":{"admin":true}}', contentType: 'application/json' });
    expect(answer.status).toBe(400);
    await expectNothingStored();
  });

  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
    it(`answers 415 for Content-Type ${contentType}`, async () => {
      const answer = await server.call('POST', '/api/v1/requests', { raw: '{"model":"m"}', contentType });
      expectError(answer, 415, 'unsupported_media_type');
      await expectNothingStored();
    });
  }

  it('answers 415 when a body comes without any Content-Type', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const body = '{"model":"m"}';
      const request = http.request(
        {
          host: '127.0.0.1',
          port: server.core.port,
          path: '/api/v1/requests',
          method: 'POST',
          headers: { authorization: `Bearer ${server.token}`, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    expect(status).toBe(415);
    await expectNothingStored();
  });

  it('accepts application/json with a charset', async () => {
    const answer = await server.call('POST', '/api/v1/requests', { raw: '{"model":"m"}', contentType: 'application/json; charset=utf-8' });
    expect(answer.status).toBe(200);
  });

  it('answers 413 for a body over the 32 MiB limit and stores nothing', async () => {
    const raw = `[${' '.repeat(33 * 1024 * 1024)}{"model":"m"}]`;
    expectError(await server.call('POST', '/api/v1/requests', { raw, contentType: 'application/json' }), 413, 'payload_too_large');
    await expectNothingStored();
  });

  it('answers 413 for a batch of more than 5,000 records (MAX_BATCH_RECORDS)', async () => {
    const error = expectError(await ingest(new Array(MAX_BATCH_RECORDS + 1).fill({ model: 'm' })), 413, 'payload_too_large');
    expect(error.message).toMatch(new RegExp(`at most ${MAX_BATCH_RECORDS} records`));
    await expectNothingStored();
  });

  it('answers 404 JSON for a method the route does not have', async () => {
    expectError(await server.call('DELETE', '/api/v1/requests'), 404, 'not_found');
  });
});
