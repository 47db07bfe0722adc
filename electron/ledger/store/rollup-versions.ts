import type { Database, Statement } from 'better-sqlite3';

/** The grains whose rows readers keep between calls (bucket-cache.ts). */
export type VersionedGrain = 'rollup_hour' | 'rollup_day';

/** The version table of each kept grain (migration 9). */
export const VERSION_TABLES: Record<VersionedGrain, string> = { rollup_hour: 'rollup_hour_versions', rollup_day: 'rollup_day_versions' };

/**
 * The write side of the bucket cache: every change to an hour or day rollup row, in any set, raises
 * its bucket's number in that grain's version table in the same transaction. Numbers only grow and
 * rows are never deleted, so a reader holding rows summed at number N knows they are still the rows
 * of that bucket exactly while its number is N.
 */
export class RollupVersions {
  private readonly touchOne: Record<VersionedGrain, Statement<[number]>>;
  private readonly touchEvery: Statement<[]>[] = [];

  constructor(db: Database) {
    const touch = (table: string) => db.prepare<[number]>(`INSERT INTO ${table} (bucket, version) VALUES (?, 1) ON CONFLICT DO UPDATE SET version = version + 1`);
    this.touchOne = { rollup_hour: touch(VERSION_TABLES.rollup_hour), rollup_day: touch(VERSION_TABLES.rollup_day) };
    for (const [grain, table] of Object.entries(VERSION_TABLES)) {
      this.touchEvery.push(
        db.prepare(`UPDATE ${table} SET version = version + 1`),
        // Buckets that gained rows without a number (day rows rebuilt under another calendar).
        db.prepare(`INSERT INTO ${table} (bucket, version) SELECT DISTINCT bucket, 1 FROM ${grain} WHERE true ON CONFLICT DO NOTHING`),
      );
    }
  }

  /** The buckets (starts) of one grain whose rows a write changed. */
  touch(grain: VersionedGrain, buckets: Iterable<number>): void {
    const statement = this.touchOne[grain];
    for (const bucket of buckets) statement.run(bucket);
  }

  /** After a change to rollup rows not made bucket by bucket (a model or channel deleted, days rebuilt). */
  touchAll(): void {
    for (const statement of this.touchEvery) statement.run();
  }
}
