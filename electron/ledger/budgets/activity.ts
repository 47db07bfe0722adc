import type { Database } from 'better-sqlite3';

/**
 * When the ledger first saw anything (the first hour with requests, or the first run's start), or
 * null for an empty ledger. The forecast's trailing window never reaches before it, so a ledger a day
 * old does not average one day's spend over seven. Both reads are the first entry of an index.
 */
export function firstActivityAt(db: Database): number | null {
  const hour = db.prepare<[], { first: number | null }>(`SELECT MIN(bucket) AS first FROM rollup_hour`).get()?.first ?? null;
  const run = db.prepare<[], { first: number | null }>(`SELECT MIN(start_at) AS first FROM runs`).get()?.first ?? null;
  if (hour === null) return run;
  if (run === null) return hour;
  return Math.min(hour, run);
}
