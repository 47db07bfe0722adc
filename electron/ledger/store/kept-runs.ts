import type { Database, Statement } from 'better-sqlite3';

/** A run as the runtime sums read it: [model_id, start_at, end_at, host id or 0]. */
export type RunRowSpan = [number, number, number | null, number];

/** Above this many runs the rows are not kept: each call asks SQLite for its range instead. */
const KEEP_AT_MOST = 50_000;

/**
 * Every run's span, kept by a reader while `runs_version` holds (migration 10: triggers raise it in the
 * same transaction whenever a run is added, deleted, or changes model, start, end or host; heartbeats
 * do not). Every summary and history sums the runtime of the runs in its range: ~1,000 runs were read
 * for each call (~1 ms of a 30-day history), though they change only when a model starts or stops.
 */
export class KeptRuns {
  private readonly version: Statement<[], number>;
  private readonly all: Statement<[], RunRowSpan>;
  private readonly overlapping: Statement<[number, number], RunRowSpan>;
  private kept: { version: number; rows: RunRowSpan[] } | null = null;

  constructor(db: Database) {
    this.version = db.prepare<[], number>(`SELECT version FROM runs_version`).pluck();
    this.all = db.prepare<[], RunRowSpan>(`SELECT model_id, start_at, end_at, coalesce(host_id, 0) FROM runs ORDER BY start_at LIMIT ${KEEP_AT_MOST + 1}`).raw(true);
    this.overlapping = db
      .prepare<[number, number], RunRowSpan>(`SELECT model_id, start_at, end_at, coalesce(host_id, 0) FROM runs WHERE start_at < ? AND (end_at IS NULL OR end_at > ?) ORDER BY start_at`)
      .raw(true);
  }

  /** Runs overlapping [from, to), oldest first. */
  between(from: number, to: number): RunRowSpan[] {
    // Read before the rows: rows newer than the number are read again next time, never kept as current.
    const version = this.version.get()!;
    if (this.kept?.version !== version) {
      const rows = this.all.all();
      this.kept = rows.length > KEEP_AT_MOST ? null : { version, rows };
      if (this.kept === null) return this.overlapping.all(to, from);
    }
    const out: RunRowSpan[] = [];
    for (const row of this.kept.rows) {
      if (row[1] >= to) break;
      if (row[2] === null || row[2] > from) out.push(row);
    }
    return out;
  }
}
