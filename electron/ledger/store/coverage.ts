import type { Database, Statement } from 'better-sqlite3';

/**
 * How far back the fine-grained data reaches. Minute rollups and raw rows are trimmed by retention;
 * queries only read a grain for times at or after its coverage start, and fall back to coarser
 * grains before it.
 */
export class Coverage {
  private readonly read: Statement<[string], { value: string }>;
  private readonly write: Statement<[string, string]>;
  minuteFrom: number;
  rawFrom: number;

  constructor(db: Database) {
    this.read = db.prepare(`SELECT value FROM meta WHERE key = ?`);
    this.write = db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
    this.minuteFrom = 0;
    this.rawFrom = 0;
    this.refresh();
  }

  /** Reads the stored starts again: a second connection's copy after the writer moved them. */
  refresh(): void {
    this.minuteFrom = Number(this.read.get('minute_rollups_from')?.value ?? 0);
    this.rawFrom = Number(this.read.get('raw_requests_from')?.value ?? 0);
  }

  setMinuteFrom(ts: number): void {
    if (ts <= this.minuteFrom) return;
    this.minuteFrom = ts;
    this.write.run('minute_rollups_from', String(ts));
  }

  setRawFrom(ts: number): void {
    if (ts <= this.rawFrom) return;
    this.rawFrom = ts;
    this.write.run('raw_requests_from', String(ts));
  }
}
