import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { UTC_CALENDAR, zoneCalendar } from '../../../../electron/ledger/time/day-calendar.js';
import { useTimeZone } from '../time/tz.js';
import { Harness, prng } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 22, 10, 17);

function dayBuckets(ledger: Ledger): number[] {
  return ledger.db
    .prepare<[], { bucket: number }>(`SELECT DISTINCT bucket FROM rollup_day ORDER BY bucket`)
    .all()
    .map((row) => row.bucket);
}

describe('day rollups in a whole-hour time zone', () => {
  useTimeZone('Asia/Shanghai');

  it('start at local midnight, and local-day history reads them with the same totals as the raw rows', async () => {
    const h = new Harness(NOW);
    try {
      const random = prng(7);
      const records = Array.from({ length: 3000 }, (_, i) => ({
        ts: NOW - Math.floor(random() * 20 * DAY),
        model: `m${i % 4}`,
        inputTokens: 1 + Math.floor(random() * 5000),
        outputTokens: Math.floor(random() * 900),
      }));
      await h.service.addPriceVersion({ model: 'm1', version: { method: 'tokens', currency: 'CNY', tiers: [{ maxPromptTokens: null, input: 2, output: 8 }] } });
      await h.service.ingestRequests(records);
      const shanghai = zoneCalendar('Asia/Shanghai');
      for (const bucket of dayBuckets(h.ledger)) expect(shanghai.dayStart(bucket)).toBe(bucket);

      const history = await h.service.getHistory({ range: '30d', groupBy: 'model' });
      expect(history.interval).toBe(86_400);
      for (const bucket of history.buckets) expect(shanghai.dayStart(bucket.ts)).toBe(bucket.ts);
      const byModel = new Map<string, number>();
      for (const bucket of history.buckets) byModel.set(bucket.model!, (byModel.get(bucket.model!) ?? 0) + bucket.inputTokens);
      for (let m = 0; m < 4; m++) {
        const expected = records.filter((r) => r.model === `m${m}`).reduce((sum, r) => sum + r.inputTokens, 0);
        expect(byModel.get(`m${m}`)).toBe(expected);
      }
    } finally {
      h.close();
    }
  });

  it('are rebuilt from the hourly rollups when the store opens under another calendar', async () => {
    const h = new Harness(NOW);
    try {
      await h.service.ingestRequests(
        Array.from({ length: 500 }, (_, i) => ({ ts: NOW - i * 37 * 60_000, model: 'local-llm', inputTokens: i + 1, outputTokens: 2 })),
      );
      const before = await h.service.getSummary({ from: NOW - 15 * DAY, to: NOW });
      const totalsOf = (ledger: Ledger) =>
        ledger.db.prepare(`SELECT sum(requests) AS r, sum(input_tokens) AS i FROM rollup_day`).get();
      const shanghaiTotals = totalsOf(h.ledger);
      h.service.flush();
      h.ledger.close();

      const utcLedger = Ledger.open(h.file, { now: () => NOW, calendar: UTC_CALENDAR });
      try {
        for (const bucket of dayBuckets(utcLedger)) expect(bucket % DAY).toBe(0);
        expect(totalsOf(utcLedger)).toEqual(shanghaiTotals);
        const after = await new LedgerService(utcLedger).getSummary({ from: NOW - 15 * DAY, to: NOW });
        expect(after.totals).toEqual(before.totals);
      } finally {
        utcLedger.close();
      }
      h.ledger = Ledger.open(h.file, { now: () => NOW });
      h.service = new LedgerService(h.ledger);
      expect(dayBuckets(h.ledger).every((bucket) => zoneCalendar('Asia/Shanghai').dayStart(bucket) === bucket)).toBe(true);
    } finally {
      h.close();
    }
  });
});

describe('day rollups in a zone whose midnight is not on the hour', () => {
  useTimeZone('Asia/Kolkata');

  it('are rebuilt exactly from raw rows for the hour that holds midnight', async () => {
    const h = new Harness(NOW);
    try {
      h.service.flush();
      h.ledger.close();
      // Written under UTC days first, as on a machine that then moved to India.
      const utc = Ledger.open(h.file, { now: () => NOW, calendar: UTC_CALENDAR });
      const records = Array.from({ length: 2000 }, (_, i) => ({ ts: NOW - i * 7 * 60_000 - 13_000, model: `m${i % 3}`, inputTokens: 10 + i, outputTokens: 1 }));
      await new LedgerService(utc).ingestRequests(records);
      utc.close();

      h.ledger = Ledger.open(h.file, { now: () => NOW });
      h.service = new LedgerService(h.ledger);
      const kolkata = zoneCalendar('Asia/Kolkata');
      for (const bucket of dayBuckets(h.ledger)) expect(kolkata.dayStart(bucket)).toBe(bucket);
      const perDay = h.ledger.db
        .prepare<[], { bucket: number; n: number }>(`SELECT bucket, sum(input_tokens) AS n FROM rollup_day GROUP BY bucket ORDER BY bucket`)
        .all();
      const expected = new Map<number, number>();
      for (const r of records) expected.set(kolkata.dayStart(r.ts), (expected.get(kolkata.dayStart(r.ts)) ?? 0) + r.inputTokens);
      expect(perDay.map((row) => [row.bucket, row.n])).toEqual([...expected.entries()].sort((a, b) => a[0] - b[0]));

      const history = await h.service.getHistory({ from: NOW - 14 * DAY, to: NOW, interval: 86_400 });
      expect(history.buckets.reduce((sum, b) => sum + b.inputTokens, 0)).toBe(records.reduce((sum, r) => sum + r.inputTokens, 0));
      for (const bucket of history.buckets) {
        const inBucket = records.filter((r) => kolkata.dayStart(r.ts) === bucket.ts).reduce((sum, r) => sum + r.inputTokens, 0);
        expect(bucket.inputTokens).toBe(inBucket);
      }
    } finally {
      h.close();
    }
  });
});
