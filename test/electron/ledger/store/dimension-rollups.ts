import { expect } from 'vitest';
import { ROLLUP_LEVELS, type Dimension } from '../../../../electron/ledger/store/rollups.js';
import type { Ledger } from '../../../../electron/ledger/store/ledger.js';

/*
 * The invariants of one dimension's rollup set (project, host) against itself, the plain rollups and
 * the raw rows: what project-rollups.test.ts and host-rollups.test.ts check after every write path.
 */

const HOUR = 3_600_000;
const SUMS = 'sum(requests) AS requests, sum(failures) AS failures, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cost_nanos) AS cost';

/** The rows a query answers, each as JSON, sorted: for comparing two queries whatever their order. */
export function rows(ledger: Ledger, sql: string): string[] {
  return ledger.db
    .prepare(sql)
    .all()
    .map((row) => JSON.stringify(row))
    .sort();
}

/** `rawFrom`: raw rows at or after it are all kept and must match the dimension's hours. */
export function expectSetConsistent(ledger: Ledger, dim: Dimension, label: string, rawFrom: number | null): void {
  const column = dim.column;
  // Every grain and both of the dimension's sets hold the same sums per value...
  const whole = (table: string) => rows(ledger, `SELECT ${column}, currency_id, ${SUMS} FROM ${table} GROUP BY 1, 2`);
  const days = whole(dim.tables.rollup_day);
  expect(days.length, label).toBeGreaterThan(0);
  for (const table of [dim.tables.rollup_hour, dim.totals.rollup_hour, dim.totals.rollup_day]) expect(whole(table), `${label}: ${table}`).toEqual(days);
  // ...and the totals are the full-key rows summed per bucket.
  for (const grain of ['rollup_hour', 'rollup_day'] as const) {
    const perBucket = (table: string) => rows(ledger, `SELECT bucket, ${column}, currency_id, ${SUMS} FROM ${table} GROUP BY 1, 2, 3`);
    expect(perBucket(dim.totals[grain]), `${label}: totals by ${grain}`).toEqual(perBucket(dim.tables[grain]));
  }
  // A dimension's row never holds more than the plain row of the same key: "none" is never negative.
  for (const grain of ['rollup_minute', 'rollup_hour', 'rollup_day'] as const) {
    const over = ledger.db
      .prepare<[], { n: number }>(
        `SELECT count(*) AS n FROM (SELECT bucket, model_id, channel_id, api_type_id, currency_id, sum(requests) AS r FROM ${dim.tables[grain]} GROUP BY 1, 2, 3, 4, 5) d
         LEFT JOIN ${grain} USING (bucket, model_id, channel_id, api_type_id, currency_id)
         WHERE requests IS NULL OR requests < d.r`,
      )
      .get()!.n;
    expect(over, `${label}: ${dim.name} rows beyond plain ones at ${grain}`).toBe(0);
  }
  // No row is left empty or negative, in the plain set or the dimension's.
  const tables = [...ROLLUP_LEVELS.map(({ table }) => table), ...Object.values(dim.tables), dim.totals.rollup_hour, dim.totals.rollup_day];
  for (const table of tables) {
    expect(ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table} WHERE requests <= 0`).get()!.n, `${label}: ${table}`).toBe(0);
  }
  if (rawFrom === null) return;
  const fromRaw = rows(
    ledger,
    `SELECT ((id >> 10) / ${HOUR}) * ${HOUR} AS bucket, ${column}, model_id, coalesce(currency_id, 0) AS currency_id, count(*) AS requests,
            sum(success = 0) AS failures, sum(input_tokens) AS input, sum(output_tokens) AS output, coalesce(sum(cost_nanos), 0) AS cost
     FROM requests WHERE ${column} IS NOT NULL AND id >= ${rawFrom * 1024} GROUP BY 1, 2, 3, 4`,
  );
  const fromRollup = rows(ledger, `SELECT bucket, ${column}, model_id, currency_id, ${SUMS} FROM ${dim.tables.rollup_hour} WHERE bucket >= ${rawFrom} GROUP BY 1, 2, 3, 4`);
  expect(fromRollup, `${label}: ${dim.name} hours against raw rows`).toEqual(fromRaw);
}
