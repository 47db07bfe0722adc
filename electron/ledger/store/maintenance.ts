import type { Database } from 'better-sqlite3';
import { HOUR_MS } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import type { CircuitStore } from './circuits.js';
import { PendingRepricing } from './pending-repricing.js';
import { firstIdAt, tsOfId } from './request-ids.js';
import { DIMENSIONS, ROLLUP_LEVELS, SUM_COLUMNS } from './rollups.js';

/** Minute rollups are only needed for short recent ranges; hours and days are kept for ever. */
export const MINUTE_ROLLUP_KEEP_MS = 2 * 24 * HOUR_MS;
const DELETE_CHUNK = 20_000;
/**
 * Takes the rows matching `where` of every dimension's full-key rollups out of its totals, which hold
 * no model or channel to delete by; hourly rows only from `since`. Call before those rows are deleted,
 * inside the same transaction.
 */
function subtractFromDimensionTotals(db: Database, where: string, params: readonly number[], since: number): void {
  for (const dim of DIMENSIONS) {
    for (const level of ['rollup_hour', 'rollup_day'] as const) {
      const from = level === 'rollup_day' ? Number.NEGATIVE_INFINITY : since;
      if (from === Number.POSITIVE_INFINITY) continue;
      const totals = dim.totals[level];
      db.prepare<unknown[]>(
        `INSERT INTO ${totals} (bucket, ${dim.column}, currency_id, ${SUM_COLUMNS.join(', ')})
         SELECT bucket, ${dim.column}, currency_id, ${SUM_COLUMNS.map((column) => `-sum(${column})`).join(', ')}
         FROM ${dim.tables[level]} WHERE bucket >= ? AND ${where} GROUP BY bucket, ${dim.column}, currency_id
         ON CONFLICT DO UPDATE SET ${SUM_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(', ')}`,
      ).run(from, ...params);
      db.prepare<[number]>(`DELETE FROM ${totals} WHERE bucket >= ? AND requests = 0`).run(from);
    }
  }
}

/**
 * Retention and explicit deletions (ccx's CleanupOldRecords and DeleteRecordsByMetricsKeys,
 * LLM-Manager's delete of a model's tables). Rollups keep totals right after raw rows expire; an
 * explicit delete removes a model's or channel's rollups too.
 */
export class Maintenance {
  constructor(
    private readonly ctx: StoreContext,
    private readonly circuits: CircuitStore,
  ) {}

  /**
   * Deletes raw rows older than `before`, a chunk per transaction so other writers get turns; yields
   * to the event loop between chunks. Rollups are untouched. `progress` hears after each chunk how far
   * it has come in time (ms from the oldest row at the start towards `before`): rows go oldest first,
   * and counting them first would scan them all on this thread.
   */
  async deleteRawBefore(before: number, yieldTurn: () => Promise<void>, progress?: (done: number, total: number) => void): Promise<number> {
    const statement = this.ctx.db.prepare<[number, number]>(
      `DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE id < ? ORDER BY id LIMIT ?)`,
    );
    const oldest = this.ctx.db.prepare<[], { id: number | null }>(`SELECT min(id) AS id FROM requests`);
    // Asked only when someone listens (the hourly retention cleanup does not).
    const startedAt = progress ? Math.min(before, tsOfId(oldest.get()?.id ?? firstIdAt(before))) : before;
    const span = before - startedAt;
    let total = 0;
    // Mark coverage first: a query in between then never reads half-deleted raw rows as complete.
    this.ctx.write(() => this.ctx.coverage.setRawFrom(before));
    for (;;) {
      const removed = this.ctx.write(() => statement.run(firstIdAt(before), DELETE_CHUNK).changes);
      total += removed;
      if (removed < DELETE_CHUNK) {
        progress?.(span, span);
        return total;
      }
      if (progress) {
        const left = oldest.get()?.id ?? null;
        progress(left === null ? span : Math.min(span, Math.max(0, tsOfId(left) - startedAt)), span);
      }
      await yieldTurn();
    }
  }

  /** How many raw rows deleteRawBefore(before) would delete now (the id holds the time: a range count). */
  countRawBefore(before: number): number {
    return (this.ctx.db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM requests WHERE id < ?`).get(firstIdAt(before)) ?? { n: 0 }).n;
  }

  trimMinuteRollups(now: number): number {
    const cutoff = Math.floor((now - MINUTE_ROLLUP_KEEP_MS) / HOUR_MS) * HOUR_MS;
    return this.ctx.write(() => {
      this.ctx.coverage.setMinuteFrom(cutoff);
      for (const dim of DIMENSIONS) this.ctx.db.prepare<[number]>(`DELETE FROM ${dim.tables.rollup_minute} WHERE bucket < ?`).run(cutoff);
      return this.ctx.db.prepare<[number]>(`DELETE FROM rollup_minute WHERE bucket < ?`).run(cutoff).changes;
    });
  }

  /**
   * Everything of one model; call inside a write transaction. Its usage is best removed in slices first
   * (UsageRemoval): this removes what is left of it (requests written meanwhile) in one go.
   */
  deleteModel(modelId: number): { requests: number; runs: number; priceVersions: number } {
    const db = this.ctx.db;
    const requests = this.removeUsage('model_id = ?', [modelId]);
    const runs = db.prepare<[number]>(`DELETE FROM runs WHERE model_id = ?`).run(modelId).changes;
    const priceVersions = db.prepare<[number]>(`DELETE FROM price_versions WHERE model_id = ?`).run(modelId).changes;
    new PendingRepricing(this.ctx).drop(modelId);
    db.prepare<[number]>(`DELETE FROM models WHERE id = ?`).run(modelId);
    return { requests, runs, priceVersions };
  }

  /** Records, rollups and circuit states of channels; call inside a write transaction (after UsageRemoval, as deleteModel). */
  deleteChannels(channelIds: number[]): { requests: number; circuits: number; circuitEvents: number } {
    const list = channelIds.map(() => '?').join(', ');
    const requests = this.removeUsage(`channel_id IN (${list})`, channelIds);
    const { circuits, events } = this.circuits.deleteFor(channelIds);
    this.ctx.db.prepare<number[]>(`DELETE FROM channels WHERE id IN (${list})`).run(...channelIds);
    return { requests, circuits, circuitEvents: events };
  }

  /**
   * The raw rows and rollups matching `where`; returns how many requests they counted. The raw table has
   * no index but the id, so the hourly rollups say which hours to look in: every raw row's hour has a
   * rollup row, written in the row's own transaction and kept for ever (a scan of the raw table held
   * 0.65 s at 10M). Hourly and minute rows of every set exist only in those hours too, so after a sliced
   * removal only the hours written meanwhile are searched (the tables lead with the bucket: scanning them
   * all held the server 0.4 s); day rows are few and searched whole.
   */
  private removeUsage(where: string, params: readonly number[]): number {
    const db = this.ctx.db;
    const requests = db.prepare<unknown[], { n: number | null }>(`SELECT sum(requests) AS n FROM rollup_day WHERE ${where}`).get(...params)?.n ?? 0;
    const hours = db.prepare<unknown[], { bucket: number }>(`SELECT DISTINCT bucket FROM rollup_hour WHERE ${where} ORDER BY bucket`).all(...params);
    const deleteRaw = db.prepare<unknown[]>(`DELETE FROM requests WHERE id >= ? AND id < ? AND ${where}`);
    for (const { bucket } of hours) deleteRaw.run(firstIdAt(bucket), firstIdAt(bucket + HOUR_MS), ...params);
    const since = hours[0]?.bucket ?? Number.POSITIVE_INFINITY;
    subtractFromDimensionTotals(db, where, params, since);
    for (const { table: level } of ROLLUP_LEVELS) {
      const from = level === 'rollup_day' ? Number.NEGATIVE_INFINITY : since;
      if (from === Number.POSITIVE_INFINITY) continue;
      for (const table of [level, ...DIMENSIONS.map((dim) => dim.tables[level])]) {
        db.prepare<unknown[]>(`DELETE FROM ${table} WHERE bucket >= ? AND ${where}`).run(from, ...params);
      }
    }
    this.ctx.rollups.versions.touchAll();
    return requests;
  }

  /** Cheap facts for the Data view: no scan of the request table (ids hold their time). */
  storageFacts(): { pageBytes: number; totalRequests: number; oldestId: number | null; newestId: number | null; models: number; channels: number } {
    const db = this.ctx.db;
    const pageCount = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    // Two subqueries: SQLite answers a lone min() or max() from the end of the key, but min() and max()
    // in one SELECT scan the whole table (~0.5 s at 10M rows, on the event loop every Overview refresh).
    const ids = db.prepare('SELECT (SELECT min(id) FROM requests) AS oldest, (SELECT max(id) FROM requests) AS newest').get() as {
      oldest: number | null;
      newest: number | null;
    };
    const total = db.prepare('SELECT coalesce(sum(requests), 0) AS n FROM rollup_day').get() as { n: number };
    const models = db.prepare('SELECT count(*) AS n FROM models').get() as { n: number };
    const channels = db.prepare('SELECT count(*) AS n FROM channels').get() as { n: number };
    return { pageBytes: pageCount * pageSize, totalRequests: total.n, oldestId: ids.oldest, newestId: ids.newest, models: models.n, channels: channels.n };
  }
}
