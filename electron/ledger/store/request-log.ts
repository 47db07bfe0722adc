import type { Statement } from 'better-sqlite3';
import type { RequestRow } from '../../../shared/types.js';
import { fromNanos } from '../pricing/rules.js';
import { HOUR_MS } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import { firstIdAt, tsOfId } from './request-ids.js';
import { failureClassName } from './request-writer.js';
import { HOSTS, PROJECTS } from './rollups.js';

/**
 * The columns a row is read with, in this order. Rows come as arrays: better-sqlite3 builds an object
 * of this many keys a property at a time (~7 µs a row; an export of a day at 10M is 360,000 rows).
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
  'request_id',
  'project_id',
  'branch_id',
  'session_id',
  'response_id',
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
 * The raw request log, newest first. Rows are found by id (= time) ranges; for one model the hours in
 * which it had requests come from the hourly rollup's model index, so a rare model does not make the
 * query walk every row of the range.
 */
export class RequestLog {
  private readonly modelHours: Statement<[number, number, number], { bucket: number }>;
  private readonly projectHours: Statement<[number, number, number], { bucket: number }>;
  private readonly hostHours: Statement<[number, number, number], { bucket: number }>;

  constructor(private readonly ctx: StoreContext) {
    this.modelHours = ctx.db.prepare(
      `SELECT DISTINCT bucket FROM rollup_hour WHERE model_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket DESC`,
    );
    this.projectHours = ctx.db.prepare(
      `SELECT DISTINCT bucket FROM ${PROJECTS.tables.rollup_hour} WHERE project_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket DESC`,
    );
    this.hostHours = ctx.db.prepare(
      `SELECT DISTINCT bucket FROM ${HOSTS.tables.rollup_hour} WHERE host_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket DESC`,
    );
  }

  /** A page of at most `limit` rows with id < beforeId, newest first. */
  page(filter: LogFilter, limit: number, beforeId?: number): RequestRow[] {
    const upper = Math.min(firstIdAt(filter.to), beforeId ?? Number.MAX_SAFE_INTEGER);
    const lower = firstIdAt(filter.from);
    if (upper <= lower) return [];
    const out: RawRow[] = [];
    // A project or another machine (other than "none") is rare like a model: its hours come from the rollup's index.
    const narrow =
      filter.modelId !== undefined
        ? { hours: this.modelHours, id: filter.modelId }
        : filter.projectId
          ? { hours: this.projectHours, id: filter.projectId }
          : filter.hostId
            ? { hours: this.hostHours, id: filter.hostId }
            : null;
    if (narrow === null) {
      out.push(...this.scan(filter, lower, upper, limit));
    } else {
      const fromHour = Math.floor(filter.from / HOUR_MS) * HOUR_MS;
      const hours = narrow.hours.all(narrow.id, fromHour, tsOfId(upper - 1) + 1);
      for (const { bucket } of hours) {
        const rows = this.scan(filter, Math.max(lower, firstIdAt(bucket)), Math.min(upper, firstIdAt(bucket + HOUR_MS)), limit - out.length);
        out.push(...rows);
        if (out.length >= limit) break;
      }
    }
    return out.map((row) => this.toRow(row));
  }

  /** Rows in [from, to) oldest first, in chunks: for exports and ccx's LoadRecords. */
  *iterate(filter: LogFilter, chunk = 5_000): Generator<RequestRow[]> {
    let lower = firstIdAt(filter.from);
    const upper = firstIdAt(filter.to);
    for (;;) {
      const rows = this.scanAscending(filter, lower, upper, chunk);
      if (rows.length === 0) return;
      yield rows.map((row) => this.toRow(row));
      lower = rows[rows.length - 1]![0] + 1;
    }
  }

  private scan(filter: LogFilter, lower: number, upper: number, limit: number): RawRow[] {
    const { sql, params } = this.where(filter, lower, upper);
    return this.ctx.db.prepare<unknown[], RawRow>(`SELECT ${COLUMNS.join(', ')} FROM requests WHERE ${sql} ORDER BY id DESC LIMIT ?`).raw(true).all(...params, limit);
  }

  private scanAscending(filter: LogFilter, lower: number, upper: number, limit: number): RawRow[] {
    const { sql, params } = this.where(filter, lower, upper);
    return this.ctx.db.prepare<unknown[], RawRow>(`SELECT ${COLUMNS.join(', ')} FROM requests WHERE ${sql} ORDER BY id ASC LIMIT ?`).raw(true).all(...params, limit);
  }

  private where(filter: LogFilter, lower: number, upper: number): { sql: string; params: unknown[] } {
    const clauses = ['id >= ?', 'id < ?'];
    const params: unknown[] = [lower, upper];
    if (filter.modelId !== undefined) {
      clauses.push('model_id = ?');
      params.push(filter.modelId);
    }
    if (filter.apiTypeId !== undefined) {
      clauses.push('coalesce(api_type_id, 0) = ?');
      params.push(filter.apiTypeId);
    }
    if (filter.projectId !== undefined) {
      clauses.push('coalesce(project_id, 0) = ?');
      params.push(filter.projectId);
    }
    if (filter.hostId !== undefined) {
      clauses.push('coalesce(host_id, 0) = ?');
      params.push(filter.hostId);
    }
    if (filter.channelIds !== undefined) {
      clauses.push(`coalesce(channel_id, 0) IN (${filter.channelIds.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...filter.channelIds);
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
