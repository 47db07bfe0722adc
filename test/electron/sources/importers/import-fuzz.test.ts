import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { importDatabase, ImportError } from '../../../../electron/sources/importers/index.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { NOW, removeTempDirs, tempDir } from './fixtures.js';

/**
 * Fuzzed ccx and LLM-Manager files: any cell of any type and size (text up to 20 KB, blobs, reals,
 * huge integers, negative and future times, Unicode). Whatever the file holds, an import either
 * takes every row it read (accepted, duplicate or left out, and says so) or fails with an
 * ImportError having written nothing. Fixed seed for `npm test`; FC_SEED / FC_RUNS explore further.
 */
const SEED = Number(process.env['FC_SEED'] ?? 1_111);
const runs = (n: number) => ({ seed: SEED, numRuns: Number(process.env['FC_RUNS'] ?? n) });
afterAll(() => removeTempDirs());

const NOW_S = Math.floor(NOW / 1000);

const anyCell: fc.Arbitrary<string | number | bigint | Buffer | null> = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -1_000, max: 1_000_000 }),
  fc.integer({ min: NOW_S - 86_400 * 30, max: NOW_S + 86_400 * 2 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom('=HYPERLINK("x")', 'NaN', 'Infinity', '1e400', '-0', ' ', '\u0000', 'messages', 'chat', 'quota', 'open'),
  fc.integer({ min: 1, max: 20_000 }).map((length) => 'w'.repeat(length)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

const ccxRow = fc.record({ k: anyCell, t: anyCell, ok: anyCell, f: anyCell, i: anyCell, o: anyCell, cw: anyCell, cr: anyCell, a: anyCell, m: anyCell });
const circuitRow = fc.record({ k: anyCell, a: anyCell, s: anyCell, opened: anyCell, retry: anyCell, level: anyCell, failures: anyCell, updated: anyCell });

function freshService(): { service: LedgerService; close: () => void } {
  const ledger = Ledger.open(':memory:', { now: () => NOW });
  return { service: new LedgerService(ledger), close: () => ledger.close() };
}

async function importOrNothing(file: string): Promise<void> {
  const { service, close } = freshService();
  try {
    const outcome = await importDatabase(service, file, { batchSize: 3 }).then(
      (report) => ({ report }),
      (error: unknown) => ({ error }),
    );
    const stored = (await service.getStorageInfo()).totalRequests;
    if ('error' in outcome) {
      expect(outcome.error, String(outcome.error)).toBeInstanceOf(ImportError);
      expect(stored).toBe(0);
      return;
    }
    const { requests } = outcome.report;
    expect(requests.accepted + requests.duplicates + requests.skipped).toBe(requests.read);
    expect(stored).toBe(requests.accepted);
  } finally {
    close();
  }
}

describe('an import of a fuzzed file', () => {
  it('of ccx: every row accounted for, or nothing written', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(ccxRow, { maxLength: 12 }), fc.array(circuitRow, { maxLength: 4 }), async (records, circuits) => {
        const file = path.join(tempDir(), `metrics-${n++}.db`);
        const db = new BetterSqlite3(file);
        db.defaultSafeIntegers(true);
        // No declared types: SQLite keeps each cell as given, as a hand-edited or hostile file would.
        db.exec(`CREATE TABLE request_records (id INTEGER PRIMARY KEY, metrics_key, timestamp, success, failure_class, input_tokens, output_tokens,
                   cache_creation_tokens, cache_read_tokens, api_type, model);
                 CREATE TABLE circuit_states (metrics_key, api_type, circuit_state, circuit_opened_at, next_retry_at, backoff_level, consecutive_failures, updated_at)`);
        const insert = db.prepare(`INSERT INTO request_records (metrics_key, timestamp, success, failure_class, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, api_type, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
        for (const r of records) insert.run(r.k, r.t, r.ok, r.f, r.i, r.o, r.cw, r.cr, r.a, r.m);
        const state = db.prepare(`INSERT INTO circuit_states VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
        for (const c of circuits) state.run(c.k, c.a, c.s, c.opened, c.retry, c.level, c.failures, c.updated);
        db.close();
        await importOrNothing(file);
      }),
      runs(60),
    );
  });

  it('of LLM-Manager (shared tables): every row accounted for, or nothing written', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ name: anyCell }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ model: fc.integer({ min: 1, max: 3 }), s: anyCell, e: anyCell, i: anyCell, o: anyCell, c: anyCell, p: anyCell }), { maxLength: 10 }),
        fc.array(fc.record({ model: fc.integer({ min: 1, max: 3 }), max: anyCell, input: anyCell, output: anyCell, cache: anyCell }), { maxLength: 3 }),
        fc.array(fc.record({ model: fc.integer({ min: 1, max: 3 }), s: anyCell, e: anyCell }), { maxLength: 3 }),
        async (models, requests, tiers, runtime) => {
          const file = path.join(tempDir(), `monitoring-${n++}.db`);
          const db = new BetterSqlite3(file);
          db.exec(`CREATE TABLE models (id INTEGER PRIMARY KEY, original_name);
                   CREATE TABLE model_requests (id INTEGER PRIMARY KEY, model_id, start_time, end_time, input_tokens, output_tokens, cache_n, prompt_n);
                   CREATE TABLE tier_pricing (model_id, tier_index, max_input_tokens, input_price, output_price, support_cache, cache_read_price);
                   CREATE TABLE model_runtime (model_id, start_time, end_time)`);
          models.forEach((m, index) => db.prepare('INSERT INTO models VALUES (?, ?)').run(index + 1, m.name));
          for (const r of requests) db.prepare('INSERT INTO model_requests (model_id, start_time, end_time, input_tokens, output_tokens, cache_n, prompt_n) VALUES (?, ?, ?, ?, ?, ?, ?)').run(r.model, r.s, r.e, r.i, r.o, r.c, r.p);
          tiers.forEach((t, index) => db.prepare('INSERT INTO tier_pricing VALUES (?, ?, ?, ?, ?, 1, ?)').run(t.model, index, t.max, t.input, t.output, t.cache));
          for (const r of runtime) db.prepare('INSERT INTO model_runtime VALUES (?, ?, ?)').run(r.model, r.s, r.e);
          db.close();
          await importOrNothing(file);
        },
      ),
      runs(40),
    );
  });
});
