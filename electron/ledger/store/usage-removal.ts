import type { Statement } from 'better-sqlite3';
import { HOUR_MS } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import { hourParts, type RepricePart } from './repricing.js';
import { firstIdAt, tsOfId } from './request-ids.js';
import { DIMENSIONS, requestSums, RollupDelta, S_REQUESTS, SUM_COLUMNS, SUM_COUNT, type DimensionName } from './rollups.js';

/** Whose usage is removed: a model, or channels (in every model). */
export interface RemovalSubject {
  column: 'model_id' | 'channel_id';
  ids: readonly number[];
}

/**
 * What a removed raw row adds to the rollups, under its key (a channel's rows span models), as the
 * DELETE returns it: an array, since better-sqlite3 builds an object of this many keys a property at a
 * time (~1.5 µs a row; removing a model at 10M returns ~2M rows).
 */
type RemovedRow = [
  id: number,
  modelId: number,
  channelId: number | null,
  apiTypeId: number | null,
  inputTokens: number,
  outputTokens: number,
  cacheReadTokens: number,
  cacheWriteTokens: number,
  success: number,
  latencyMs: number | null,
  costNanos: number | null,
  currencyId: number | null,
  projectId: number | null,
  hostId: number | null,
];

/**
 * Removes a model's or channels' usage a part at a time, raw rows and the rollups they add to in the
 * same transaction, so that the stored sums add up between parts and a deletion can be cut into short
 * transactions. One transaction used to delete a whole model: at 10M requests, 1.9M of one model
 * stopped the server for 7.8 s. The parts are those of a re-pricing (Repricer.partsOf): a few minutes
 * of raw rows, or an hour kept only as rollups.
 */
export class UsageRemoval {
  private readonly statements = new Map<string, Statement<unknown[], never>>();

  constructor(private readonly ctx: StoreContext) {}

  /** Every hour with usage of the subject, cut like a re-pricing's window (raw hours in `rawPartMs` parts). */
  partsOf(subject: RemovalSubject, rawPartMs: number): RepricePart[] {
    const hours = this.statement<{ bucket: number }>(subject, 'hours', (where) => `SELECT DISTINCT bucket FROM rollup_hour WHERE ${where} ORDER BY bucket`);
    const buckets = hours.all(...subject.ids).map((row) => row.bucket);
    return hourParts(buckets, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, this.ctx.coverage.rawHourFrom, rawPartMs);
  }

  /**
   * Removes the subject's usage in `parts` (taken one by one: the caller may stop handing them out),
   * inside the caller's write transaction; returns how many requests that was. An hour whose raw rows
   * expired since partsOf() is removed from its rollups, once, at its first part.
   */
  removeParts(subject: RemovalSubject, parts: Iterable<RepricePart>): number {
    const delta = new RollupDelta();
    const rawHourFrom = this.ctx.coverage.rawHourFrom;
    let removed = 0;
    for (const part of parts) {
      if (part.hour >= rawHourFrom) removed += this.removeRaw(subject, part.from, part.to, delta);
      else if (part.first) removed += this.removeHour(subject, part.hour, delta);
    }
    this.ctx.rollups.apply(delta, this.ctx.coverage.minuteFrom);
    return removed;
  }

  private removeRaw(subject: RemovalSubject, from: number, to: number, delta: RollupDelta): number {
    // One pass: the raw table has no index but the id, so each part scans all models' rows in its minutes.
    const remove = this.statement<RemovedRow>(
      subject,
      'raw',
      (where) =>
        `DELETE FROM requests WHERE id >= ? AND id < ? AND ${where}
         RETURNING id, model_id, channel_id, api_type_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, success,
                   latency_ms, cost_nanos, currency_id, project_id, host_id`,
    );
    const rows = remove.raw(true).all(firstIdAt(from), firstIdAt(to), ...subject.ids);
    const sums = new Array<number>(SUM_COUNT);
    for (const [id, modelId, channelId, apiTypeId, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, success, latencyMs, costNanos, currencyId, projectId, hostId] of rows) {
      const key = { modelId, channelId: channelId ?? 0, apiTypeId: apiTypeId ?? 0, currencyId: currencyId ?? 0, projectId: projectId ?? 0, hostId: hostId ?? 0 };
      const request = { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, success: success === 1, latencyMs };
      delta.add(tsOfId(id), key, requestSums(sums, request, costNanos), -1);
    }
    return rows.length;
  }

  /** An hour kept only as rollups (minute rows where still kept): each set's rows are taken out of it. */
  private removeHour(subject: RemovalSubject, hour: number, delta: RollupDelta): number {
    const minutes = hour >= this.ctx.coverage.minuteFrom;
    let requests = 0;
    for (const set of ['plain', ...DIMENSIONS.map((dim) => dim.name)] as const) {
      const dim = DIMENSIONS.find((candidate) => candidate.name === set);
      const table = dim ? dim.tables[minutes ? 'rollup_minute' : 'rollup_hour'] : minutes ? 'rollup_minute' : 'rollup_hour';
      const read = this.statement<Record<string, number>>(
        subject,
        table,
        (where) =>
          `SELECT bucket, model_id, channel_id, api_type_id, currency_id, ${dim ? dim.column : '0'} AS dimension_id, ${SUM_COLUMNS.join(', ')}
           FROM ${table} WHERE bucket >= ? AND bucket < ? AND ${where}`,
      );
      for (const row of read.all(hour, hour + HOUR_MS, ...subject.ids)) {
        const sums = SUM_COLUMNS.map((column) => row[column]!);
        if (set === 'plain') requests += sums[S_REQUESTS]!;
        const dimension = (name: DimensionName) => (set === name ? row['dimension_id']! : 0);
        const key = {
          modelId: row['model_id']!,
          channelId: row['channel_id']!,
          apiTypeId: row['api_type_id']!,
          currencyId: row['currency_id']!,
          projectId: dimension('project'),
          hostId: dimension('host'),
        };
        delta.add(row['bucket']!, key, sums, -1, set);
      }
    }
    // A manual cleanup may have cut this hour: the raw rows it kept are counted in the rollups above.
    if (hour + HOUR_MS > this.ctx.coverage.rawFrom) this.deleteRaw(subject, hour, hour + HOUR_MS);
    return requests;
  }

  private deleteRaw(subject: RemovalSubject, from: number, to: number): void {
    this.statement(subject, 'delete', (where) => `DELETE FROM requests WHERE id >= ? AND id < ? AND ${where}`).run(firstIdAt(from), firstIdAt(to), ...subject.ids);
  }

  /** One prepared statement per use, column and number of ids. */
  private statement<Row>(subject: RemovalSubject, use: string, sql: (where: string) => string): Statement<unknown[], Row> {
    const key = `${use}:${subject.column}:${subject.ids.length}`;
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.ctx.db.prepare<unknown[], never>(sql(`${subject.column} IN (${subject.ids.map(() => '?').join(', ')})`));
      this.statements.set(key, statement);
    }
    return statement as unknown as Statement<unknown[], Row>;
  }
}
