import type { Statement } from 'better-sqlite3';
import type { RequestRow } from '../../../shared/types.js';
import { fromNanos } from '../pricing/rules.js';
import { HOUR_MS } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import { firstIdAt, tsOfId } from './request-ids.js';
import { failureClassName } from './request-writer.js';
import { HOSTS, PROJECTS } from './rollups.js';
import { StatementCache } from './statement-cache.js';
import { storedIdSql } from './stored-ids.js';

/**
 * The columns a row is read with, in this order. Rows come as arrays: better-sqlite3 builds an object
 * of this many keys a property at a time (~7 µs a row; an export of a day at 10M is 360,000 rows).
 * A request's ids are in tables of their own, keyed by its id (migration 17).
 */
const COLUMNS = [
  'id',
  'model_id',
  'api_type_id',
  'channel_id',
  'source_id',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'success',
  'failure_class',
  'status_code',
  'latency_ms',
  'ttft_ms',
  'cost_nanos',
  'currency_id',
  storedIdSql('request', 'requests.id'),
  'project_id',
  'branch_id',
  'session_id',
  storedIdSql('response', 'requests.id'),
  'host_id',
] as const;

type RawRow = [
  id: number,
  modelId: number,
  apiTypeId: number | null,
  channelId: number | null,
  sourceId: number | null,
  inputTokens: number,
  outputTokens: number,
  cacheReadTokens: number,
  cacheWriteTokens: number,
  success: number,
  failureClass: number | null,
  statusCode: number | null,
  latencyMs: number | null,
  ttftMs: number | null,
  costNanos: number | null,
  currencyId: number | null,
  requestId: string | null,
  projectId: number | null,
  branchId: number | null,
  sessionId: string | null,
  responseId: string | null,
  hostId: number | null,
];

export interface LogFilter {
  modelId?: number;
  apiTypeId?: number;
  channelIds?: number[];
  /** 0 = requests naming no project; -1 matches none. */
  projectId?: number;
  /** 0 = this machine's own requests. */
  hostId?: number;
  from: number;
  to: number;
}

/**
 * Hour buckets read from a rollup per query: few at first (a page of a common model fills within its
 * first hour), more on each later read (a rare one may have a matching hour a month apart).
 */
const FIRST_BUCKETS_READ = 8;
const MAX_BUCKETS_READ = 512;
/** The same for the days a filter's hours are looked for in. */
const FIRST_DAYS_READ = 2;
const MAX_DAYS_READ = 64;

/** An id range [lower, upper) of the requests table. */
type Span = readonly [lower: number, upper: number];

/** A statement of bucket starts and its parameters before the bucket bounds (and limit). */
interface HourQuery {
  statement: Statement<unknown[]>;
  params: unknown[];
}

/**
 * The bucket starts `query` finds in [low, high), in its order, a read at a time: `first` of them, then
 * four times as many on each later read up to `max`, each from past the last one read. The next read is
 * made only once the caller has used the last.
 */
function* bucketReads(query: HourQuery, low: number, high: number, descending: boolean, first: number, max: number): Generator<number[]> {
  for (let take = first; ; take = Math.min(take * 4, max)) {
    const buckets = query.statement.all(...query.params, low, high, take) as number[];
    yield buckets;
    if (buckets.length < take) return;
    const last = buckets[buckets.length - 1]!;
    if (descending) high = last;
    else low = last + 1;
  }
}

/**
 * The raw request log, newest first. Rows are found by id (= time) ranges. A filter narrower than
 * time (model, api type, channel, project, machine) first asks the hourly rollups which hours hold
 * requests matching all of it, so a rare value, or a combination that never occurs, does not make the
 * query walk every row of the range (10M rows take ~0.6 s).
 */
export class RequestLog {
  private readonly statements: StatementCache;

  constructor(private readonly ctx: StoreContext) {
    this.statements = new StatementCache(ctx.db, 64);
  }

  /** A page of at most `limit` rows with id < beforeId, newest first. */
  page(filter: LogFilter, limit: number, beforeId?: number): RequestRow[] {
    const upper = Math.min(firstIdAt(filter.to), beforeId ?? Number.MAX_SAFE_INTEGER);
    const lower = firstIdAt(filter.from);
    const out: RawRow[] = [];
    for (const [from, to] of this.spans(filter, lower, upper, 'DESC')) {
      for (const row of this.scan(filter, from, to, limit - out.length, 'DESC')) out.push(row);
      if (out.length >= limit) break;
    }
    return out.map((row) => this.toRow(row));
  }

  /**
   * Rows in [from, to) oldest first, in chunks of `chunk` (the last one shorter): for exports and ccx's
   * LoadRecords. `after`: only rows with a greater id (where the previous page of an export ended).
   */
  *iterate(filter: LogFilter, chunk = 5_000, after?: number): Generator<RequestRow[]> {
    let pending: RawRow[] = [];
    const lowest = after === undefined ? firstIdAt(filter.from) : Math.max(firstIdAt(filter.from), after + 1);
    for (const [from, to] of this.spans(filter, lowest, firstIdAt(filter.to), 'ASC')) {
      let lower = from;
      for (;;) {
        const wanted = chunk - pending.length;
        const rows = this.scan(filter, lower, to, wanted, 'ASC');
        for (const row of rows) pending.push(row);
        if (pending.length >= chunk) {
          yield pending.map((row) => this.toRow(row));
          pending = [];
        }
        if (rows.length < wanted) break;
        lower = rows[rows.length - 1]![0] + 1;
      }
    }
    if (pending.length > 0) yield pending.map((row) => this.toRow(row));
  }

  /**
   * The id ranges within [lower, upper) that can hold matching rows, in the given order: the whole
   * range when the filter is only time, else one range per run of consecutive hours whose rollups
   * hold matching requests. Rollups keep every hour that raw rows have (and more, once retention has
   * removed raw rows), so no matching row is left out.
   */
  private *spans(filter: LogFilter, lower: number, upper: number, order: 'ASC' | 'DESC'): Generator<Span> {
    if (upper <= lower) return;
    const hours = this.hourQuery(filter, order);
    if (hours === null) {
      yield [lower, upper];
      return;
    }
    const descending = order === 'DESC';
    // A row's hour in the rollups is its id's (request-writer.ts), so an hour's rows are its id range.
    const spanOf = (first: number, last: number): Span | null => {
      const from = Math.max(lower, firstIdAt(first));
      const to = Math.min(upper, firstIdAt(last + HOUR_MS));
      return from < to ? [from, to] : null;
    };
    // Bucket bounds: the hour holding `lower`, up to the hour of the last id below `upper`.
    const low = Math.floor(tsOfId(lower) / HOUR_MS) * HOUR_MS;
    const high = tsOfId(upper - 1) + 1;
    const windows = hours.days === null ? [[low, high] as const] : this.dayWindows(hours.days, low, high, descending);
    for (const [from, to] of windows) yield* this.hourSpans(hours, from, to, descending, spanOf);
  }

  /**
   * The parts of [low, high) in the days whose rollups hold matching requests, consecutive days as one
   * part, in the given order; days read a few at first (a page of a common model fills within its first
   * day), more on each later read. A day that starts inside an hour brings that hour in (its hourly
   * rows cover both days).
   */
  private *dayWindows(days: HourQuery, low: number, high: number, descending: boolean): Generator<readonly [number, number]> {
    const { calendar } = this.ctx;
    for (const found of bucketReads(days, calendar.dayStart(low), high, descending, FIRST_DAYS_READ, MAX_DAYS_READ)) {
      let window: [number, number] | null = null;
      for (const day of found) {
        const from = Math.max(low, Math.floor(day / HOUR_MS) * HOUR_MS);
        const to = Math.min(high, calendar.nextDay(day));
        if (from >= to) continue;
        if (window !== null && (descending ? to >= window[0] : from <= window[1])) {
          if (descending) window[0] = Math.min(window[0], from);
          else window[1] = Math.max(window[1], to);
          continue;
        }
        if (window !== null) yield window;
        window = [from, to];
      }
      if (window !== null) yield window;
    }
  }

  /** The spans of runs of matching hours in [low, high), read a few hours at first, more on each later read. */
  private *hourSpans(hours: HourQuery, low: number, high: number, descending: boolean, spanOf: (first: number, last: number) => Span | null): Generator<Span> {
    for (const buckets of bucketReads(hours, low, high, descending, FIRST_BUCKETS_READ, MAX_BUCKETS_READ)) {
      // The run of consecutive hours being gathered, [first, last] by bucket start. It is given at
      // the end of each read too, so that a filter matching every hour is read from its first hours
      // while the next buckets wait.
      let run: [first: number, last: number] | null = null;
      for (const bucket of buckets) {
        if (run !== null && (descending ? bucket + HOUR_MS === run[0] : bucket === run[1] + HOUR_MS)) {
          if (descending) run[0] = bucket;
          else run[1] = bucket;
          continue;
        }
        const span = run === null ? null : spanOf(run[0], run[1]);
        if (span !== null) yield span;
        run = [bucket, bucket];
      }
      const span = run === null ? null : spanOf(run[0], run[1]);
      if (span !== null) yield span;
    }
  }

  /**
   * The hours whose rollup rows match every part of the filter the rollups key on; null when the filter
   * is only time, or only "no project" / "this machine" (the plain tables hold those with everything
   * else). A machine's or a project's hours come from its totals, indexed by value and hour; the rest of
   * the filter, if any, is looked up in each such hour's full-key rows (their key starts with the hour
   * and the value). Otherwise the plain hourly rows are read in hour order, within the days whose plain
   * daily rows match (`days`: a filter that matches nothing, or a model used on a few days, reads a
   * month's daily rows rather than its hourly ones).
   */
  private hourQuery(filter: LogFilter, order: 'ASC' | 'DESC'): (HourQuery & { days: HourQuery | null }) | null {
    const clauses: string[] = [];
    const params: unknown[] = [];
    // Rollups key a missing api type or channel as 0, as the raw filter's coalesce(…, 0) does.
    keyClauses(filter, (column) => column, clauses, params);
    const dimension = filter.hostId !== undefined && filter.hostId !== 0 ? { set: HOSTS, value: filter.hostId } : filter.projectId !== undefined && filter.projectId !== 0 ? { set: PROJECTS, value: filter.projectId } : null;
    if (dimension !== null) {
      const { tables, totals, column } = dimension.set;
      // Unqualified, the key columns name the inner table's (the totals have none of them).
      const rest = clauses.length === 0 ? '' : ` AND EXISTS (SELECT 1 FROM ${tables.rollup_hour} h WHERE h.bucket = t.bucket AND h.${column} = t.${column} AND ${clauses.join(' AND ')})`;
      // Placeholders in the order the caller binds them: these params, then the hour bounds and the limit.
      const sql = `SELECT DISTINCT t.bucket FROM ${totals.rollup_hour} t WHERE t.${column} = ?${rest} AND t.bucket >= ? AND t.bucket < ? ORDER BY t.bucket ${order} LIMIT ?`;
      return { statement: this.statements.get(sql).pluck(true), params: [dimension.value, ...params], days: null };
    }
    if (clauses.length === 0) return null;
    const where = `${clauses.join(' AND ')} AND bucket >= ? AND bucket < ?`;
    return {
      statement: this.statements.get(`SELECT DISTINCT bucket FROM rollup_hour WHERE ${where} ORDER BY bucket ${order} LIMIT ?`).pluck(true),
      params,
      days: { statement: this.statements.get(`SELECT DISTINCT bucket FROM rollup_day WHERE ${where} ORDER BY bucket ${order} LIMIT ?`).pluck(true), params },
    };
  }

  private scan(filter: LogFilter, lower: number, upper: number, limit: number, order: 'ASC' | 'DESC'): RawRow[] {
    const { sql, params } = this.where(filter, lower, upper);
    return this.statements
      .get(`SELECT ${COLUMNS.join(', ')} FROM requests WHERE ${sql} ORDER BY id ${order} LIMIT ?`)
      .raw(true)
      .all(...params, limit) as RawRow[];
  }

  private where(filter: LogFilter, lower: number, upper: number): { sql: string; params: unknown[] } {
    const clauses = ['id >= ?', 'id < ?'];
    const params: unknown[] = [lower, upper];
    keyClauses(filter, (column) => `coalesce(${column}, 0)`, clauses, params);
    if (filter.projectId !== undefined) {
      clauses.push('coalesce(project_id, 0) = ?');
      params.push(filter.projectId);
    }
    if (filter.hostId !== undefined) {
      clauses.push('coalesce(host_id, 0) = ?');
      params.push(filter.hostId);
    }
    return { sql: clauses.join(' AND '), params };
  }

  private toRow(row: RawRow): RequestRow {
    const { ctx } = this;
    const [id, modelId, apiTypeId, channelId, sourceId, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, success, failureClass, statusCode, latencyMs, ttftMs, costNanos, currencyId, requestId, projectId, branchId, sessionId, responseId, hostId] = row;
    return {
      id: String(id),
      ts: tsOfId(id),
      model: ctx.models.nameOf(modelId),
      apiType: apiTypeId === null ? null : ctx.apiTypes.nameOf(apiTypeId),
      inputTokens,
      outputTokens,
      cacheReadTokens,
      cacheWriteTokens,
      success: success === 1,
      failureClass: failureClassName(failureClass),
      statusCode,
      latencyMs,
      ttftMs,
      channel: channelId === null ? null : (ctx.channels.metricsKeyOf(channelId) ?? null),
      source: sourceId === null ? null : ctx.sources.nameOf(sourceId),
      requestId,
      cost: costNanos === null ? null : fromNanos(costNanos),
      currency: currencyId === null ? null : ctx.currencies.nameOf(currencyId),
      project: projectId === null ? null : ctx.projects.nameOf(projectId),
      branch: branchId === null ? null : ctx.branches.nameOf(branchId),
      sessionId,
      responseId,
      host: hostId === null ? null : ctx.hosts.nameOf(hostId),
    };
  }
}

/**
 * The filter's model, api type and channels as SQL clauses, the last two on their columns as `column`
 * gives them (raw rows keep NULL where rollups keep 0).
 */
function keyClauses(filter: LogFilter, column: (name: 'api_type_id' | 'channel_id') => string, clauses: string[], params: unknown[]): void {
  if (filter.modelId !== undefined) {
    clauses.push('model_id = ?');
    params.push(filter.modelId);
  }
  if (filter.apiTypeId !== undefined) {
    clauses.push(`${column('api_type_id')} = ?`);
    params.push(filter.apiTypeId);
  }
  if (filter.channelIds !== undefined) {
    clauses.push(`${column('channel_id')} IN (${filter.channelIds.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...filter.channelIds);
  }
}
