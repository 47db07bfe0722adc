import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { migrate } from '../../../../electron/ledger/store/migrations.js';
import { LOG_KEPT, StoredIds } from '../../../../electron/ledger/store/stored-ids.js';
import { requestRecordSchema, toRequestRecord, type RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { Harness } from './harness.js';

/**
 * "A record whose requestId is already stored is not stored again", and one upstream answer (its
 * responseId) is one request, over the whole ledger, now that both ids are kept in tables keyed by their
 * row's id, found by its millisecond (not by a unique index): within a batch, across batches, buckets,
 * restarts, and connections writing the same file. Every case holds for both kinds of id.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0);

let h: Harness;
beforeEach(() => {
  h = new Harness(T0 + 40 * DAY);
});
afterEach(() => h.close());

const COLUMNS = [
  { field: 'requestId', table: 'request_ids', log: 'request_id_log' },
  { field: 'responseId', table: 'response_ids', log: 'response_id_log' },
] as const;

/** Ids that look like what clients send: random, so neither time nor text order groups them. */
function uuids(n: number, seed: number): string[] {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state.toString(16).padStart(8, '0');
  };
  return Array.from({ length: n }, () => `${next()}-${next().slice(0, 4)}-4${next().slice(0, 3)}-${next()}${next()}`);
}

function storedCount(ledger: Ledger): number {
  return ledger.db.prepare<[], number>(`SELECT count(*) FROM requests`).pluck().get()!;
}

describe.each(COLUMNS)('a $field already stored', ({ field, table }) => {
  const call = (id: string, ts: number, inputTokens = 10): RequestRecordInput => ({ ts, model: 'gpt-5-mini', inputTokens, outputTokens: 2, [field]: id });

  it('is a duplicate in the same batch, in a later batch, and after a restart', async () => {
    const [a, b] = uuids(2, 7);
    expect(await h.service.ingestRequests([call(a!, T0), call(b!, T0 + 1), call(a!, T0)])).toEqual({ accepted: 2, duplicates: 1 });
    expect(await h.service.ingestRequests([call(b!, T0 + 1), call(a!, T0)])).toEqual({ accepted: 0, duplicates: 2 });
    h.reopen();
    expect(await h.service.ingestRequests([call(a!, T0), call(b!, T0 + 1)])).toEqual({ accepted: 0, duplicates: 2 });
    expect(storedCount(h.ledger)).toBe(2);
  });

  it('is a duplicate sent again with another time, days away (the bucket its row is in, not the time sent)', async () => {
    const [a] = uuids(1, 11);
    await h.service.ingestRequests([call(a!, T0)]);
    // Buckets in between hold ids too, so the search runs through them.
    await h.service.ingestRequests(uuids(50, 12).map((id, i) => call(id, T0 + i * 20 * MINUTE)));
    expect(await h.service.ingestRequests([call(a!, T0 + 30 * DAY), call(a!, T0 - DAY)])).toEqual({ accepted: 0, duplicates: 2 });
    const first = h.ledger.db.prepare<[string], number>(`SELECT input_tokens FROM requests WHERE id IN (SELECT id FROM ${table} WHERE value = ?)`).pluck().all(a!);
    expect(first).toEqual([10]);
  });

  it('is found in its own millisecond, with others 2^16, 2^32 and 2 x 2^32 ms away (alike in their low bits) and years apart', async () => {
    const times = [T0, T0 - 2 ** 16, T0 - 2 ** 32, T0 - 2 ** 33, T0 - 800 * DAY, T0 - 400 * DAY];
    const ids = uuids(times.length, 15);
    await h.service.ingestRequests(ids.map((id, i) => call(id, times[i]!)));
    const again = () => ids.map((id, i) => call(id, times[(i + 1) % times.length]! + 1));
    expect(await h.service.ingestRequests(again())).toEqual({ accepted: 0, duplicates: times.length });
    h.reopen();
    expect(await h.service.ingestRequests(again())).toEqual({ accepted: 0, duplicates: times.length });
  });

  it('is found when its millisecond was full and its row spilled into the next ones (more than 1,024 at one time)', async () => {
    const ids = uuids(2_500, 17);
    expect(await h.service.ingestRequests(ids.map((id) => call(id, T0)))).toEqual({ accepted: 2_500, duplicates: 0 });
    const buckets = h.ledger.db.prepare<[], number>(`SELECT count(DISTINCT id >> 10) FROM requests`).pluck().get();
    expect(buckets).toBe(3);
    h.reopen();
    expect(await h.service.ingestRequests(ids.map((id) => call(id, T0 + DAY)))).toEqual({ accepted: 0, duplicates: 2_500 });
  });

  it('stays a duplicate while the ids held in memory outgrow their first table (folded into a larger one)', async () => {
    const ids = uuids(5_000, 21);
    for (let i = 0; i < ids.length; i += 500) {
      const result = await h.service.ingestRequests(ids.slice(i, i + 500).map((id, j) => call(id, T0 + (i + j) * 1000)));
      expect(result).toEqual({ accepted: 500, duplicates: 0 });
    }
    const again = await h.service.ingestRequests(ids.map((id, j) => call(id, T0 + j * 1000)));
    expect(again).toEqual({ accepted: 0, duplicates: 5_000 });
    expect(storedCount(h.ledger)).toBe(5_000);
  });

  it('can be stored again once its row is gone, and a rolled-back write stores nothing for good', async () => {
    const [a, b] = uuids(2, 31);
    await h.service.ingestRequests([call(a!, T0)]);
    h.ledger.db.prepare(`DELETE FROM requests WHERE id IN (SELECT id FROM ${table} WHERE value = ?)`).run(a!);
    // Its id went with it (a trigger: every path that deletes requests).
    expect(h.ledger.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()).toBe(0);
    expect(await h.service.ingestRequests([call(a!, T0 + MINUTE)])).toEqual({ accepted: 1, duplicates: 0 });

    expect(() =>
      h.ledger.write(() => {
        h.ledger.requests.write([toRequestRecord(requestRecordSchema.parse(call(b!, T0)), h.now)]);
        throw new Error('the write fails after the row went in');
      }),
    ).toThrow('the write fails');
    expect(await h.service.ingestRequests([call(b!, T0)])).toEqual({ accepted: 1, duplicates: 0 });
  });
});

describe.each(COLUMNS)('two connections writing the same file (the writer thread and the main one, or two processes): $field', ({ field, log }) => {
  const call = (id: string, ts: number): RequestRecordInput => ({ ts, model: 'gpt-5-mini', inputTokens: 10, outputTokens: 2, [field]: id });

  let other: Ledger;
  let otherService: LedgerService;
  beforeEach(() => {
    other = Ledger.open(h.file, { now: () => h.now });
    otherService = new LedgerService(other);
  });
  afterEach(() => {
    otherService.flush();
    other.close();
  });

  it("see each other's ids, whether or not the other had read any yet", async () => {
    const [a, b, c] = uuids(3, 41);
    // `other` has not looked at request ids yet: its first look scans them.
    await h.service.ingestRequests([call(a!, T0)]);
    expect(await otherService.ingestRequests([call(a!, T0), call(b!, T0 + 1)])).toEqual({ accepted: 1, duplicates: 1 });
    // Both hold tables now: each learns the other's new ids from the log.
    expect(await h.service.ingestRequests([call(b!, T0 + 1), call(c!, T0 + 2)])).toEqual({ accepted: 1, duplicates: 1 });
    expect(await otherService.ingestRequests([call(c!, T0 + 2)])).toEqual({ accepted: 0, duplicates: 1 });
    expect(storedCount(h.ledger)).toBe(3);
  });

  it('a table loaded ahead of any write (as the writer thread does) learns what the other stores after it', async () => {
    const [a, b] = uuids(2, 61);
    await h.service.ingestRequests([call(a!, T0)]);
    other.requests.loadStoredIds();
    await h.service.ingestRequests([call(b!, T0 + 1)]);
    expect(await otherService.ingestRequests([call(a!, T0), call(b!, T0 + 1)])).toEqual({ accepted: 0, duplicates: 2 });
  });

  it('a connection that fell behind the log (trimmed) scans the ids again', async () => {
    const ids = uuids(LOG_KEPT + 20, 51);
    await otherService.ingestRequests([call(ids[0]!, T0)]);
    for (const [i, id] of ids.entries()) await h.service.ingestRequests([call(id, T0 + (i + 1) * 1000)]);
    const logged = h.ledger.db.prepare<[], number>(`SELECT count(*) FROM ${log}`).pluck().get()!;
    expect(logged).toBeLessThanOrEqual(LOG_KEPT);
    const again = await otherService.ingestRequests(ids.slice(1).map((id, i) => call(id, T0 + (i + 2) * 1000)));
    expect(again).toEqual({ accepted: 0, duplicates: ids.length - 1 });
  });
});

describe('a response id stored through another connection', () => {
  it("is found by the other to fill in the stored row's attribution (the agent's log after the proxy)", async () => {
    const other = Ledger.open(h.file, { now: () => h.now });
    const otherService = new LedgerService(other);
    try {
      const [response] = uuids(1, 71);
      other.requests.loadStoredIds();
      const proxied = { ts: T0, model: 'gpt-5-mini', inputTokens: 10, outputTokens: 2, responseId: response! };
      expect(await h.service.ingestRequests([proxied])).toEqual({ accepted: 1, duplicates: 0 });
      const logged = { ...proxied, ts: T0 + 900, requestId: 'agent:1', project: '/home/me/src/shop', sessionId: 's-1' };
      expect(await otherService.ingestRequests([logged])).toEqual({ accepted: 0, duplicates: 1 });
      const row = h.ledger.db.prepare<[string], { project: string; session_id: string }>(
        `SELECT p.path AS project, r.session_id FROM requests r JOIN projects p ON p.id = r.project_id JOIN response_ids q ON q.id = r.id WHERE q.value = ?`,
      );
      expect(row.get(response!)).toEqual({ project: '/home/me/src/shop', session_id: 's-1' });
      expect(storedCount(h.ledger)).toBe(1);
    } finally {
      otherService.flush();
      other.close();
    }
  });
});

describe('the fingerprints of the stored ids, as they grow', () => {
  /** 5,000 ids stored through `ids` in one write, one per millisecond; a row put in by hand before them. */
  function grow(ids: StoredIds, db: BetterSqlite3.Database, texts: readonly string[]): void {
    ids.load();
    expect(ids.tableCount).toBe(1);
    db.prepare(`INSERT INTO request_ids (id, value) VALUES (?, 'behind its back')`).run((T0 - 1) * 1024);
    db.transaction(() => {
      ids.beginWrite();
      texts.forEach((text, i) => {
        expect(ids.has(text)).toBe(false);
        ids.stored(text, (T0 + i) * 1024);
      });
      ids.endWrite();
    })();
    expect(texts.every((text) => ids.has(text))).toBe(true);
    expect(texts.map((text) => ids.rowOf(text))).toEqual(texts.map((_, i) => (T0 + i) * 1024));
    expect(uuids(1_000, 92).some((text) => ids.has(text))).toBe(false);
    // Never scanned again: the row written behind its back is unknown to it, and found by a new scan.
    expect(ids.has('behind its back')).toBe(false);
    const again = new StoredIds(db, 'request');
    again.load();
    expect(again.tableCount).toBe(1);
    expect(texts.every((text) => again.has(text))).toBe(true);
    expect(again.has('behind its back')).toBe(true);
  }

  it('while few, are folded into one table twice as large when it fills, without scanning the stored ids again', () => {
    const db = new BetterSqlite3(':memory:');
    migrate(db);
    const ids = new StoredIds(db, 'request');
    grow(ids, db, uuids(5_000, 91));
    // 1,024 slots held 768, then 2,048 slots 1,536, then 4,096: each rebuilt from the hashes kept, one table to ask.
    expect(ids.tableCount).toBe(1);
    db.close();
  });

  it('past the limit of hashes kept, go to a larger table beside a full one, without scanning the stored ids again', () => {
    const db = new BetterSqlite3(':memory:');
    migrate(db);
    const ids = new StoredIds(db, 'request', 2_000);
    grow(ids, db, uuids(5_000, 91));
    // Folded into 4,096 slots at 1,537 ids; the hashes let go at 2,000; 3,072 fill it, the rest go to 8,192 beside it.
    expect(ids.tableCount).toBe(2);
    db.close();
  });
});
