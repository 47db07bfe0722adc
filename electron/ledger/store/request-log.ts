import type { Statement } from 'better-sqlite3';
import type { RequestRow } from '../../../shared/types.js';
import { fromNanos } from '../pricing/rules.js';
import { HOUR_MS } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import { firstIdAt, tsOfId } from './request-ids.js';
import { failureClassName } from './request-writer.js';
import { HOSTS, PROJECTS } from './rollups.js';

interface RawRow {
  id: number;
  model_id: number;
  api_type_id: number | null;
  channel_id: number | null;
  source_id: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  success: number;
  failure_class: number | null;
  status_code: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  cost_nanos: number | null;
  currency_id: number | null;
  request_id: string | null;
  project_id: number | null;
  branch_id: number | null;
  session_id: string | null;
  response_id: string | null;
  host_id: number | null;
}

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
      lower = rows[rows.length - 1]!.id + 1;
    }
  }

  private scan(filter: LogFilter, lower: number, upper: number, limit: number): RawRow[] {
    const { sql, params } = this.where(filter, lower, upper);
    return this.ctx.db.prepare<unknown[], RawRow>(`SELECT * FROM requests WHERE ${sql} ORDER BY id DESC LIMIT ?`).all(...params, limit);
  }

  private scanAscending(filter: LogFilter, lower: number, upper: number, limit: number): RawRow[] {
    const { sql, params } = this.where(filter, lower, upper);
    return this.ctx.db.prepare<unknown[], RawRow>(`SELECT * FROM requests WHERE ${sql} ORDER BY id ASC LIMIT ?`).all(...params, limit);
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
    return {
      id: String(row.id),
      ts: tsOfId(row.id),
      model: ctx.models.nameOf(row.model_id),
      apiType: row.api_type_id === null ? null : ctx.apiTypes.nameOf(row.api_type_id),
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cacheReadTokens: row.cache_read_tokens,
      cacheWriteTokens: row.cache_write_tokens,
      success: row.success === 1,
      failureClass: failureClassName(row.failure_class),
      statusCode: row.status_code,
      latencyMs: row.latency_ms,
      ttftMs: row.ttft_ms,
      channel: row.channel_id === null ? null : (ctx.channels.metricsKeyOf(row.channel_id) ?? null),
      source: row.source_id === null ? null : ctx.sources.nameOf(row.source_id),
      requestId: row.request_id,
      cost: row.cost_nanos === null ? null : fromNanos(row.cost_nanos),
      currency: row.currency_id === null ? null : ctx.currencies.nameOf(row.currency_id),
      project: row.project_id === null ? null : ctx.projects.nameOf(row.project_id),
      branch: row.branch_id === null ? null : ctx.branches.nameOf(row.branch_id),
      sessionId: row.session_id,
      responseId: row.response_id,
      host: row.host_id === null ? null : ctx.hosts.nameOf(row.host_id),
    };
  }
}
