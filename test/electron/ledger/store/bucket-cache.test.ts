import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { BucketCache, type BucketRow } from '../../../../electron/ledger/store/bucket-cache.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { Harness } from './harness.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 9, 1);
const NOW = DAY0 + 8 * DAY + 5 * 3_600_000 + 17 * MINUTE;
const K1 = '1111111111111111';

describe('BucketCache', () => {
  const shape = 'q';
  const rowsOf = (day: number, n: number): BucketRow[] => Array.from({ length: n }, (_, i) => [day, i + 1, 0, 1, 10 * (i + 1)]);

  /** A reader over fixed rows that records each stretch it was asked for. */
  function source(days: Map<number, BucketRow[]>) {
    const reads: [number, number][] = [];
    const read = (from: number, to: number) => {
      reads.push([from, to]);
      return [...days].filter(([day]) => day >= from && day < to).flatMap(([, rows]) => rows);
    };
    return { reads, read };
  }

  const collect = (cache: BucketCache, from: number, to: number, versions: [number, number][], read: (from: number, to: number) => BucketRow[]) => {
    const out: BucketRow[] = [];
    cache.rows(shape, from, to, versions, read, (row) => out.push(row));
    return out.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  };

  it('reads the whole range once, then only the days whose version changed', () => {
    const days = new Map([1, 2, 3, 4].map((d) => [d * 10, rowsOf(d * 10, 2)]));
    const { reads, read } = source(days);
    const cache = new BucketCache();
    const versions: [number, number][] = [
      [10, 1],
      [20, 1],
      [30, 1],
      [40, 1],
    ];
    const first = collect(cache, 0, 50, versions, read);
    expect(first).toHaveLength(8);
    expect(reads).toEqual([[10, 41]]);

    reads.length = 0;
    expect(collect(cache, 0, 50, versions, read)).toEqual(first);
    expect(reads).toEqual([]);

    // Day 30 changed: only the stretch holding it is read again, and its new rows are answered.
    days.set(30, rowsOf(30, 3));
    reads.length = 0;
    const after = collect(cache, 0, 50, [
      [10, 1],
      [20, 1],
      [30, 2],
      [40, 1],
    ], read);
    expect(reads).toEqual([[30, 31]]);
    expect(after).toHaveLength(9);
  });

  it('keeps a versioned day with no rows for the query as empty, and reads only days that have a version', () => {
    const days = new Map([
      [10, rowsOf(10, 1)],
      [20, rowsOf(20, 1)],
    ]);
    const { reads, read } = source(days);
    const cache = new BucketCache();
    const versions: [number, number][] = [
      [10, 1],
      [20, 1],
      [30, 4],
    ];
    expect(collect(cache, 0, 40, versions, read)).toHaveLength(2);
    expect(reads).toEqual([[10, 31]]);
    reads.length = 0;
    expect(collect(cache, 0, 40, versions, read)).toHaveLength(2);
    expect(reads).toEqual([]);
  });

  it('keeps at most its row budget, dropping the least recently used days first', () => {
    const days = new Map([1, 2, 3].map((d) => [d * 10, rowsOf(d * 10, 2)]));
    const { reads, read } = source(days);
    const cache = new BucketCache(8);
    collect(cache, 0, 40, [
      [10, 1],
      [20, 1],
      [30, 1],
    ], read);
    // 3 days of 2 rows (+1 each) exceed 8: the first day kept was dropped.
    expect(cache.size).toBe(2);
    reads.length = 0;
    const versions: [number, number][] = [
      [10, 1],
      [20, 1],
      [30, 1],
    ];
    // Days 20 and 30 come from memory (30 is now the most recently used) ...
    collect(cache, 20, 40, versions, read);
    expect(reads).toEqual([]);
    // ... day 10 is read again, and takes the place of day 20, the least recently used.
    collect(cache, 10, 20, versions, read);
    expect(reads).toEqual([[10, 11]]);
    expect(cache.size).toBe(2);
    reads.length = 0;
    collect(cache, 30, 40, versions, read);
    expect(reads).toEqual([]);
    collect(cache, 20, 30, versions, read);
    expect(reads).toEqual([[20, 21]]);
  });
});

describe('summaries and histories read from kept hours and days', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness(NOW);
    const records: RequestRecordInput[] = [];
    for (let day = 0; day < 8; day++) {
      for (let i = 0; i < 12; i++) {
        records.push({
          ts: DAY0 + day * DAY + i * 97 * MINUTE + 5_000,
          model: i % 3 === 0 ? 'alpha' : 'beta',
          inputTokens: 100 + day * 10 + i,
          outputTokens: 7 + i,
          ...(i % 2 === 0 ? { project: '/src/app' } : {}),
          ...(i % 4 === 1 ? { channel: K1, apiType: 'openai' } : {}),
        });
      }
    }
    await h.service.ingestRequests(records);
    await h.service.addPriceVersion({ model: 'alpha', version: { method: 'tokens', tiers: [{ maxPromptTokens: null, input: 2, output: 4 }] } });
  });
  afterEach(() => h.close());

  const range = { from: DAY0 - 3 * DAY, to: NOW };
  /** The reads a dashboard repeats: each keeps its hours and days after the first call. */
  const answers = async (service: LedgerService) => ({
    summary: await service.getSummary(range),
    project: await service.getSummary({ ...range, project: '/src/app' }),
    byModel: await service.getHistory({ ...range, interval: 86_400, groupBy: 'model' }),
    byProject: await service.getHistory({ ...range, interval: 86_400, groupBy: 'project' }),
    weekly: await service.getHistory({ ...range, interval: 7 * 86_400 }),
    today: await service.getSummary({ range: 'today' }),
    hourly: await service.getHistory({ range: '24h', interval: 3_600, groupBy: 'model' }),
    hourlyProject: await service.getHistory({ range: '24h', interval: 7_200, project: '/src/app' }),
  });

  /** The same reads from a second connection that never read before (nothing kept). */
  async function fresh() {
    const ledger = Ledger.open(h.file, { now: () => h.now });
    try {
      return await answers(new LedgerService(ledger));
    } finally {
      ledger.close();
    }
  }

  const changes: [string, () => Promise<unknown>][] = [
    ['a late record lands on a past day', () => h.service.ingestRequests([{ ts: DAY0 + 2 * DAY + 3 * MINUTE, model: 'alpha', inputTokens: 5_000, outputTokens: 1, project: '/src/app' }])],
    ['a price change re-prices past days', () => h.service.addPriceVersion({ model: 'beta', version: { method: 'tokens', tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] } })],
    ['a model is deleted', () => h.service.deleteModel({ model: 'alpha' })],
    ['a channel is deleted', () => h.service.deleteChannels({ metricsKeys: [K1], apiType: 'openai' })],
  ];

  for (const [what, change] of changes) {
    it(`answer as a fresh read after ${what}`, async () => {
      const before = await answers(h.service);
      expect(before).toEqual(await fresh());
      // Read twice: the second answer comes from kept hours and days.
      expect(await answers(h.service)).toEqual(before);
      await change();
      const after = await answers(h.service);
      expect(after).toEqual(await fresh());
      expect(after).not.toEqual(before);
    });
  }

  it('gives every hour and day that holds rollup rows, in any set, a version', async () => {
    for (const [, change] of changes) await change();
    for (const grain of ['hour', 'day']) {
      const tables = h.ledger.db.prepare<[string], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rollup_%' || ?`).all(grain);
      expect(tables.length).toBe(5);
      for (const { name } of tables) {
        const missing = h.ledger.db.prepare(`SELECT DISTINCT bucket FROM ${name} WHERE bucket NOT IN (SELECT bucket FROM rollup_${grain}_versions)`).all();
        expect(missing, name).toEqual([]);
      }
    }
  });

  it('raises the version of exactly the hours and the day a write touched', async () => {
    const versions = (table: string) => new Map(h.ledger.db.prepare<[], [number, number]>(`SELECT bucket, version FROM ${table}`).raw(true).all());
    const days = versions('rollup_day_versions');
    const hours = versions('rollup_hour_versions');
    expect(days.size).toBe(8);
    // Twelve requests a day, 97 minutes apart: twelve hours of each day hold rows.
    expect(hours.size).toBe(8 * 12);
    const day = DAY0 + 5 * DAY;
    // Hour 3 of that day holds rows already; hour 2 holds none yet.
    await h.service.ingestRequests([3, 2].map((hour) => ({ ts: day + hour * 3_600_000 + MINUTE, model: 'beta', inputTokens: 1, outputTokens: 1 })));
    const daysAfter = versions('rollup_day_versions');
    const hoursAfter = versions('rollup_hour_versions');
    for (const [start, version] of days) expect(daysAfter.get(start), new Date(start).toISOString()).toBe(start === day ? version + 1 : version);
    for (const [start, version] of hours) expect(hoursAfter.get(start), new Date(start).toISOString()).toBe(start === day + 3 * 3_600_000 ? version + 1 : version);
    expect(hoursAfter.get(day + 2 * 3_600_000)).toBe(1);
    expect(hoursAfter.size).toBe(hours.size + 1);
  });
});
