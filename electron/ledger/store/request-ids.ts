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

/** Late milliseconds remembered at most (an import spread over a month touches one per request). */
const MAX_LATE_MS = 65_536;

export class RequestIds {
  private maxId: number;
  private readonly lastInMs: Statement<[number, number], { id: number | null }>;
  private readonly selectMax: Statement<[], { id: number | null }>;
  /**
   * Late arrivals (an older time than the newest id's millisecond): the next id to hand out in each
   * millisecond looked up, and for each millisecond found full the next one to try (followed and
   * shortened as in a union-find). Without them every request of a client that sends one old
   * timestamp for a whole import asked the table about every millisecond the earlier ones filled:
   * quadratic, 10,000 records/s by the second 100,000. Only milliseconds below the newest id's are
   * kept, where in-order ids are never handed out; reload() drops both.
   */
  private readonly lateNext = new Map<number, number>();
  private readonly fullUntil = new Map<number, number>();

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

  /** After a rollback, or another connection's commit, what is kept in memory may be wrong: read again. */
  reload(): void {
    this.maxId = this.selectMax.get()?.id ?? 0;
    this.lateNext.clear();
    this.fullUntil.clear();
  }

  private freeAfter(ts: number): number {
    for (let ms = this.firstNotFull(ts); ; ms = this.firstNotFull(ms + 1)) {
      const base = ms * SEQ_PER_MS;
      // Caught up with the newest id's millisecond: the in-order rule (next() raises maxId).
      if (ms >= tsOfId(this.maxId)) return Math.max(base, this.maxId + 1);
      let next = this.lateNext.get(ms);
      if (next === undefined) {
        const last = this.lastInMs.get(base, base + SEQ_PER_MS)?.id ?? null;
        next = last === null ? base : last + 1;
      }
      if (next < base + SEQ_PER_MS) {
        if (this.lateNext.size >= MAX_LATE_MS) this.lateNext.clear();
        this.lateNext.set(ms, next + 1);
        return next;
      }
      this.lateNext.delete(ms);
      if (this.fullUntil.size >= MAX_LATE_MS) this.fullUntil.clear();
      this.fullUntil.set(ms, ms + 1);
    }
  }

  /** The first millisecond from `ms` on not known to be full, each link passed pointed at it. */
  private firstNotFull(ms: number): number {
    let end = ms;
    for (let to = this.fullUntil.get(end); to !== undefined; to = this.fullUntil.get(end)) end = to;
    for (let at = ms; at !== end; ) {
      const to = this.fullUntil.get(at)!;
      this.fullUntil.set(at, end);
      at = to;
    }
    return end;
  }
}
