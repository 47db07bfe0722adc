import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstIdAt, RequestIds, SEQ_PER_MS, tsOfId } from '../../../../electron/ledger/store/request-ids.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { Harness } from './harness.js';

const MINUTE = 60_000;
const BASE = Date.UTC(2024, 4, 1, 10, 0, 0);

let h: Harness;
beforeEach(() => {
  h = new Harness(BASE + 3_600_000);
});
afterEach(() => h.close());

function storedIds(): { id: number; requestId: string | null; input: number }[] {
  return h.ledger.db
    .prepare<[], { id: number; request_id: string | null; input_tokens: number }>(`SELECT r.id, q.value AS request_id, r.input_tokens FROM requests r LEFT JOIN request_ids q ON q.id = r.id ORDER BY r.id`)
    .all()
    .map((row) => ({ id: row.id, requestId: row.request_id, input: row.input_tokens }));
}

const at = (ts: number, extra: Partial<RequestRecordInput> = {}): RequestRecordInput => ({ ts, model: 'm', inputTokens: 1, ...extra });

describe('request ids', () => {
  it('encode the timestamp: id = ts * 1024 + seq', () => {
    expect(SEQ_PER_MS).toBe(1024);
    expect(firstIdAt(BASE)).toBe(BASE * 1024);
    expect(tsOfId(BASE * 1024 + 1023)).toBe(BASE);
    expect(tsOfId(BASE * 1024 + 1024)).toBe(BASE + 1);
    // The latest time the API accepts still makes an exact integer id.
    expect(Number.isSafeInteger(firstIdAt(7_258_118_400_000) + 1023)).toBe(true);
  });

  it('are unique and ordered by time for in-order arrivals, several per millisecond', async () => {
    const times = [BASE, BASE, BASE, BASE + 1, BASE + 5, BASE + 5, BASE + 60_000];
    await h.service.ingestRequests(times.map((ts, i) => at(ts, { inputTokens: i })));
    const rows = storedIds();
    expect(rows).toHaveLength(times.length);
    expect(rows.map((row) => tsOfId(row.id))).toEqual(times);
    // Same order as sent within a millisecond, consecutive sequence numbers from 0.
    expect(rows.map((row) => row.input)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rows.slice(0, 3).map((row) => row.id - firstIdAt(BASE))).toEqual([0, 1, 2]);
  });

  it('stay unique and keep their time when requests arrive out of order', async () => {
    await h.service.ingestRequests([at(BASE + 2_000), at(BASE + 1_000)]);
    await h.service.ingestRequests([at(BASE + 1_000), at(BASE + 1_500), at(BASE + 2_000), at(BASE + 500), at(BASE + 1_000)]);
    const rows = storedIds();
    const ids = rows.map((row) => row.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rows.map((row) => tsOfId(row.id))).toEqual([
      BASE + 500,
      BASE + 1_000,
      BASE + 1_000,
      BASE + 1_000,
      BASE + 1_500,
      BASE + 2_000,
      BASE + 2_000,
    ]);
    const page = await h.service.listRequests({ limit: 100 });
    expect(page.requests.map((row) => row.ts)).toEqual(rows.map((row) => tsOfId(row.id)).reverse());
  });

  it('continue after a restart without reusing an id', async () => {
    await h.service.ingestRequests([at(BASE), at(BASE)]);
    h.reopen();
    await h.service.ingestRequests([at(BASE), at(BASE - 10), at(BASE)]);
    const rows = storedIds();
    expect(rows.map((row) => row.id - firstIdAt(BASE))).toEqual([-10 * 1024, 0, 1, 2, 3]);
  });

  it('skip duplicates: a repeated requestId is not stored again', async () => {
    expect(await h.service.ingestRequests([at(BASE, { requestId: 'a' }), at(BASE, { requestId: 'b' }), at(BASE, { requestId: 'a' })])).toEqual({
      accepted: 2,
      duplicates: 1,
    });
    expect(await h.service.ingestRequests([at(BASE + 7, { requestId: 'b' }), at(BASE + 7)])).toEqual({ accepted: 1, duplicates: 1 });
    const rows = storedIds();
    expect(rows.map((row) => row.requestId)).toEqual(['a', 'b', null]);
    expect(rows.map((row) => tsOfId(row.id))).toEqual([BASE, BASE, BASE + 7]);
  });
});

describe('more than 1024 requests in one millisecond', () => {
  // The last millisecond of a minute, so the spill crosses a minute boundary (and a rollup bucket).
  const T = BASE + 5 * MINUTE - 1;

  it('spill into the next millisecond, unique and in order', async () => {
    await h.service.ingestRequests(Array.from({ length: 1030 }, (_, i) => at(T, { inputTokens: i })));
    await h.service.ingestRequests([at(T + 1, { inputTokens: 5_000 }), at(T, { inputTokens: 6_000 })]);
    const rows = storedIds();
    expect(rows).toHaveLength(1032);
    expect(new Set(rows.map((row) => row.id)).size).toBe(1032);
    expect(rows.filter((row) => tsOfId(row.id) === T)).toHaveLength(1024);
    expect(rows.slice(1024).map((row) => [tsOfId(row.id), row.input])).toEqual([
      [T + 1, 1024],
      [T + 1, 1025],
      [T + 1, 1026],
      [T + 1, 1027],
      [T + 1, 1028],
      [T + 1, 1029],
      [T + 1, 5_000],
      // The later request for the full millisecond T also goes to the next free id.
      [T + 1, 6_000],
    ]);
  });

  it('are counted at the time their id encodes, the same from raw rows and from rollups', async () => {
    await h.service.ingestRequests(Array.from({ length: 1030 }, () => at(T)));
    const count = async (from: number, to: number) => (await h.service.getSummary({ from, to })).totals.requests;
    const minuteStart = T + 1 - MINUTE;
    // Raw rows answer these.
    expect(await count(T, T + 1)).toBe(1024);
    expect(await count(T + 1, T + 2)).toBe(6);
    // A whole minute is answered by the minute rollup, whole hours by the hour rollup.
    expect(await count(minuteStart, T + 1)).toBe(1024);
    expect(await count(T + 1, T + 1 + MINUTE)).toBe(6);
    expect(await count(minuteStart, T + 2)).toBe(1030);
    expect(await count(BASE, BASE + 3_600_000)).toBe(1030);
    const history = await h.service.getHistory({ from: minuteStart, to: T + 1 + MINUTE, interval: 60 });
    expect(history.buckets.map((bucket) => bucket.requests)).toEqual([1024, 6]);
  });

  it('are priced by the version in force at the time their id encodes', async () => {
    await h.service.addPriceVersion({ model: 'm', version: { method: 'tokens', currency: 'USD', effectiveFrom: 0, tiers: [{ maxPromptTokens: null, input: 1, output: 0 }] } });
    await h.service.addPriceVersion({ model: 'm', version: { method: 'tokens', currency: 'USD', effectiveFrom: T + 1, tiers: [{ maxPromptTokens: null, input: 2, output: 0 }] } });
    await h.service.ingestRequests(Array.from({ length: 1030 }, () => at(T, { inputTokens: 1_000 })));
    const rows = (await h.service.listRequests({ limit: 2_000 })).requests;
    for (const row of rows) expect(row.cost).toBe(row.ts === T ? 0.001 : 0.002);
    const summary = await h.service.getSummary({ from: BASE, to: BASE + 3_600_000 });
    expect(summary.totals.cost).toEqual({ USD: (1024 * 1_000_000 + 6 * 2_000_000) / 1e9 });
    // Re-pricing the window with the same prices changes nothing.
    const preview = await h.service.previewPriceVersion({
      model: 'm',
      version: { method: 'tokens', currency: 'USD', effectiveFrom: T + 1, tiers: [{ maxPromptTokens: null, input: 2, output: 0 }] },
    });
    expect(preview.before).toEqual(preview.after);
  });
});

describe('many requests at one older time (a client sending one timestamp for a whole import)', () => {
  const OLD = BASE + 10 * MINUTE;
  const NEWEST = BASE + 50 * MINUTE;

  it('fill one millisecond after another from that time, however many writes they come in', async () => {
    await h.service.ingestRequests([at(NEWEST)]);
    for (let write = 0; write < 3; write++) {
      await h.service.ingestRequests(Array.from({ length: 1_500 }, (_, i) => at(OLD, { inputTokens: write * 1_500 + i })));
    }
    const old = storedIds().filter((row) => tsOfId(row.id) < NEWEST);
    expect(old).toHaveLength(4_500);
    expect(new Set(old.map((row) => row.id)).size).toBe(4_500);
    const perMs = new Map<number, number>();
    for (const row of old) perMs.set(tsOfId(row.id), (perMs.get(tsOfId(row.id)) ?? 0) + 1);
    expect([...perMs]).toEqual([
      [OLD, 1024],
      [OLD + 1, 1024],
      [OLD + 2, 1024],
      [OLD + 3, 1024],
      [OLD + 4, 404],
    ]);
    // In id order as they were sent.
    expect(old.map((row) => row.input)).toEqual(Array.from({ length: 4_500 }, (_, i) => i));
    expect((await h.service.getSummary({ from: OLD, to: OLD + 5 })).totals.requests).toBe(4_500);
  });

  it('meet the newest millisecond and go on after its last id, and the next in-order request after theirs', async () => {
    await h.service.ingestRequests([at(NEWEST), at(NEWEST), at(NEWEST)]);
    await h.service.ingestRequests(Array.from({ length: 1_030 }, () => at(NEWEST - 1)));
    await h.service.ingestRequests([at(NEWEST, { inputTokens: 7 })]);
    // And a later one for the full millisecond goes after that one too.
    await h.service.ingestRequests([at(NEWEST - 1, { inputTokens: 8 })]);
    const rows = storedIds();
    expect(new Set(rows.map((row) => row.id)).size).toBe(1_035);
    expect(rows.filter((row) => tsOfId(row.id) === NEWEST - 1)).toHaveLength(1_024);
    const newest = rows.filter((row) => tsOfId(row.id) === NEWEST).map((row) => row.id - firstIdAt(NEWEST));
    expect(newest).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rows.slice(-2).map((row) => row.input)).toEqual([7, 8]);
  });
});

describe('RequestIds on its own table', () => {
  let db: BetterSqlite3.Database;
  let lookups: number;
  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
    db.exec('CREATE TABLE requests (id INTEGER PRIMARY KEY)');
    lookups = 0;
    // Counts the table lookups of the millisecond search (the statement with a range).
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      if (!sql.includes('WHERE id >=')) return statement;
      const get = statement.get.bind(statement);
      statement.get = ((...args: unknown[]) => {
        lookups++;
        return get(...args);
      }) as typeof statement.get;
      return statement;
    }) as typeof db.prepare;
  });
  afterEach(() => db.close());

  const store = (ids: RequestIds, ts: number) => {
    const id = ids.next(ts);
    db.prepare('INSERT INTO requests (id) VALUES (?)').run(id);
    return id;
  };

  it('asks the table about each older millisecond once, not once per request', () => {
    const ids = new RequestIds(db);
    store(ids, BASE + MINUTE);
    for (let i = 0; i < 10_000; i++) store(ids, BASE);
    const count = db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number };
    expect(count.n).toBe(10_001);
    // 10 milliseconds filled: one lookup each (without what it keeps, ~49,000).
    expect(lookups).toBeLessThanOrEqual(10);
  });

  it('reads the table again once reloaded: ids stored meanwhile by another connection are not handed out', () => {
    const ids = new RequestIds(db);
    store(ids, BASE + MINUTE);
    expect(store(ids, BASE)).toBe(firstIdAt(BASE));
    // Another connection stores the next ids of that millisecond; the writer is told (reload).
    const other = db.prepare('INSERT INTO requests (id) VALUES (?)');
    for (let seq = 1; seq <= 5; seq++) other.run(firstIdAt(BASE) + seq);
    ids.reload();
    expect(store(ids, BASE)).toBe(firstIdAt(BASE) + 6);
  });
});
