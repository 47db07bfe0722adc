import type { Database } from 'better-sqlite3';
import { HOUR_MS } from '../time/ranges.js';
import { MetaEntries } from './meta-entries.js';

/**
 * How far back the fine-grained data reaches. Minute rollups and raw rows are trimmed by retention;
 * queries only read a grain for times at or after its coverage start, and fall back to coarser
 * grains before it.
 */
export class Coverage {
  private readonly meta: MetaEntries;
  minuteFrom: number;
  rawFrom: number;

  constructor(db: Database) {
    this.meta = new MetaEntries(db);
    this.minuteFrom = 0;
    this.rawFrom = 0;
    this.refresh();
  }

  /** Reads the stored starts again: a second connection's copy after the writer moved them. */
  refresh(): void {
    this.minuteFrom = Number(this.meta.get('minute_rollups_from') ?? 0);
    this.rawFrom = Number(this.meta.get('raw_requests_from') ?? 0);
  }

  /** The first whole hour whose raw rows are all kept: hours before it are (wholly or partly) rollups only. */
  get rawHourFrom(): number {
    return Math.ceil(this.rawFrom / HOUR_MS) * HOUR_MS;
  }

  setMinuteFrom(ts: number): void {
    if (ts <= this.minuteFrom) return;
    this.minuteFrom = ts;
    this.meta.set('minute_rollups_from', String(ts));
  }

  setRawFrom(ts: number): void {
    if (ts <= this.rawFrom) return;
    this.rawFrom = ts;
    this.meta.set('raw_requests_from', String(ts));
  }
}
