import type { Database, Statement } from 'better-sqlite3';

/**
 * Request ids carry their timestamp: id = ts * 1024 + seq, so a time range is a rowid range. Ids are
 * handed out in memory for the usual in-order arrivals; an older timestamp asks the table for the
 * last id used in its millisecond. More than 1024 requests in one millisecond spill into the next.
 */
export const SEQ_PER_MS = 1024;

export function tsOfId(id: number): number {
  return Math.floor(id / SEQ_PER_MS);
}

export function firstIdAt(ts: number): number {
  return ts * SEQ_PER_MS;
}

export class RequestIds {
  private maxId: number;
  private readonly lastInMs: Statement<[number, number], { id: number | null }>;
  private readonly selectMax: Statement<[], { id: number | null }>;

  constructor(db: Database) {
    this.selectMax = db.prepare(`SELECT max(id) AS id FROM requests`);
    this.lastInMs = db.prepare(`SELECT max(id) AS id FROM requests WHERE id >= ? AND id < ?`);
    this.maxId = this.selectMax.get()?.id ?? 0;
  }

  next(ts: number): number {
    const base = ts * SEQ_PER_MS;
    let id: number;
    if (base > this.maxId) {
      id = base;
    } else if (this.maxId < base + SEQ_PER_MS) {
      id = this.maxId + 1;
    } else {
      id = this.freeAfter(ts);
    }
    if (id > this.maxId) this.maxId = id;
    return id;
  }

  /** After a rollback the in-memory high-water mark may point at ids that were never written. */
  reload(): void {
    this.maxId = this.selectMax.get()?.id ?? 0;
  }

  private freeAfter(ts: number): number {
    for (let ms = ts; ; ms++) {
      const base = ms * SEQ_PER_MS;
      const last = this.lastInMs.get(base, base + SEQ_PER_MS)?.id ?? null;
      if (last === null) return base;
      if (last < base + SEQ_PER_MS - 1) return last + 1;
    }
  }
}
