import type { Statement } from 'better-sqlite3';
import { FAILURE_CLASSES, type FailureClass } from '../../../shared/record-limits.js';
import type { RequestRecord } from '../../../shared/schemas/request-record.js';
import { requestCostNanos, versionAt } from '../pricing/rules.js';
import { CatalogueCosts } from './catalogue-costs.js';
import { CataloguePricedWrites } from './catalogue-sources.js';
import type { StoreContext } from './context.js';
import { tsOfId } from './request-ids.js';
import { requestSums, RollupDelta, zeroSums } from './rollups.js';
import { ResponseIds } from './response-ids.js';
import { StoredIds } from './stored-ids.js';

export interface WriteResult {
  accepted: number;
  duplicates: number;
  models: Set<string>;
}

function noteSeen(spans: Map<number, { first: number; last: number }>, id: number, ts: number): void {
  const span = spans.get(id);
  if (!span) spans.set(id, { first: ts, last: ts });
  else if (ts < span.first) span.first = ts;
  else if (ts > span.last) span.last = ts;
}

export function failureClassCode(failureClass: FailureClass | null): number | null {
  return failureClass === null ? null : FAILURE_CLASSES.indexOf(failureClass) + 1;
}

export function failureClassName(code: number | null): FailureClass | null {
  return code === null ? null : (FAILURE_CLASSES[code - 1] ?? null);
}

/**
 * Writes request records and their rollups. Call inside StoreContext.write(): the raw rows and the
 * rollup changes commit together or not at all.
 */
export class RequestWriter {
  private readonly insert: Statement<unknown[]>;
  private readonly delta = new RollupDelta();
  private readonly catalogue: CatalogueCosts;
  private readonly cataloguePriced: CataloguePricedWrites;
  private readonly responses: ResponseIds;
  private readonly requestIds: StoredIds;
  private readonly responseIds: StoredIds;
  /** Request and response ids: kept in step with every write. */
  private readonly storedIds: readonly StoredIds[];
  /** First and last request time of each project and host written, kept on its dictionary row. */
  private readonly seen: Record<'projects' | 'hosts', Statement<[{ first: number; last: number; id: number }]>>;

  /** Outcomes per channel, first and last request time per project and host: of the write in progress. */
  private readonly outcomes = new Map<number, { success: number | null; failure: number | null }>();
  private readonly projectsSeen = new Map<number, { first: number; last: number }>();
  private readonly hostsSeen = new Map<number, { first: number; last: number }>();
  private readonly sums = zeroSums();
  private readonly projectSeen = (projectId: number, ts: number): void => noteSeen(this.projectsSeen, projectId, ts);

  constructor(private readonly ctx: StoreContext) {
    this.insert = ctx.db.prepare(
      `INSERT INTO requests (id, model_id, api_type_id, channel_id, source_id, input_tokens, output_tokens,
         cache_read_tokens, cache_write_tokens, success, failure_class, status_code, latency_ms, ttft_ms,
         cost_nanos, currency_id, provider_id, cache_write_1h_tokens, price_source_id,
         project_id, branch_id, session_id, host_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.catalogue = new CatalogueCosts(ctx);
    this.cataloguePriced = new CataloguePricedWrites(ctx);
    this.requestIds = new StoredIds(ctx.db, 'request');
    this.responseIds = new StoredIds(ctx.db, 'response');
    this.responses = new ResponseIds(ctx, this.responseIds);
    this.storedIds = [this.requestIds, this.responseIds];
    const seen = (table: string) =>
      ctx.db.prepare<[{ first: number; last: number; id: number }]>(
        `UPDATE ${table} SET first_seen = min(coalesce(first_seen, @first), @first), last_seen = max(coalesce(last_seen, @last), @last) WHERE id = @id`,
      );
    this.seen = { projects: seen('projects'), hosts: seen('hosts') };
  }

  /** Reads the stored request and response ids into memory now, rather than in the first write that carries one. */
  loadStoredIds(): void {
    for (const ids of this.storedIds) ids.load();
  }

  /** One batch in a write of its own: its rows, then its rollups. */
  write(records: readonly RequestRecord[]): WriteResult {
    this.begin();
    const result = this.add(records);
    this.finish();
    return result;
  }

  /**
   * Starts a write of one or more batches (add() each, then finish()), all in the caller's
   * transaction: a group commit sums its batches' rollups once, so an hour or day row that every
   * batch touches is written once per transaction rather than once per batch.
   */
  begin(): void {
    // A write that threw part-way (its transaction rolled back) may have left changes here.
    this.delta.clear();
    this.cataloguePriced.clear();
    this.outcomes.clear();
    this.projectsSeen.clear();
    this.hostsSeen.clear();
    for (const ids of this.storedIds) ids.beginWrite();
  }

  /** Stores one batch's rows and adds them to the rollups of the write begun. */
  add(records: readonly RequestRecord[]): WriteResult {
    const { ctx, delta, sums, outcomes, projectSeen } = this;
    const result: WriteResult = { accepted: 0, duplicates: 0, models: new Set() };

    for (const record of records) {
      // The same upstream answer already stored (through the proxy or an agent's log, whichever came
      // first): counted once; what it adds is the attribution the stored row lacks.
      if (record.responseId && this.responses.absorb(record, delta, projectSeen)) {
        result.duplicates++;
        continue;
      }
      const requestId = record.requestId;
      if (requestId !== null && this.requestIds.has(requestId)) {
        result.duplicates++;
        continue;
      }
      const modelId = ctx.models.ensure(record.model);
      const apiTypeId = record.apiType === null ? 0 : ctx.apiTypes.ensure(record.apiType);
      const channelId = record.channel === null ? 0 : ctx.channels.ensure(record.channel, apiTypeId);
      const sourceId = record.source === null ? null : ctx.sources.ensure(record.source);
      const id = ctx.ids.next(record.ts);
      // The stored time is the one the id encodes (a request past 1024 in a millisecond spills into the
      // next one): price it and sum it there, so rollups and re-pricing agree with the raw row.
      const ts = tsOfId(id);
      // The rule order: the user's version in force at ts, else the catalogue's price at ts (never
      // for a local model), else unpriced.
      const version = versionAt(ctx.prices.versions(modelId), ts);
      let cost = version === undefined ? null : requestCostNanos(version, record);
      let currencyId = version === undefined ? 0 : version.currencyId;
      let priceSourceId: number | null = null;
      if (version === undefined) {
        const priced = this.catalogue.price(modelId, record, channelId, ts);
        if (priced !== null) ({ cost, currencyId, sourceId: priceSourceId } = priced);
      }
      const providerId = record.provider ? ctx.providers.ensure(record.provider) : null;
      const oneHour = record.cacheWrite1hTokens ?? 0;
      const projectId = record.project ? ctx.projects.ensure(record.project) : 0;
      const branchId = record.branch ? ctx.branches.ensure(record.branch) : null;
      const hostId = record.host ? ctx.hosts.ensure(record.host) : 0;

      this.insert.run(
        id,
        modelId,
        apiTypeId === 0 ? null : apiTypeId,
        channelId === 0 ? null : channelId,
        sourceId,
        record.inputTokens,
        record.outputTokens,
        record.cacheReadTokens,
        record.cacheWriteTokens,
        record.success ? 1 : 0,
        failureClassCode(record.failureClass),
        record.statusCode,
        record.latencyMs,
        record.ttftMs,
        cost,
        currencyId === 0 ? null : currencyId,
        providerId,
        oneHour === 0 ? null : oneHour,
        priceSourceId,
        projectId === 0 ? null : projectId,
        branchId,
        record.sessionId ?? null,
        hostId === 0 ? null : hostId,
      );
      result.accepted++;
      result.models.add(record.model);
      if (requestId !== null) this.requestIds.stored(requestId, id);
      if (record.responseId) this.responseIds.stored(record.responseId, id);

      delta.addRequest(ts, modelId, channelId, apiTypeId, currencyId, projectId, hostId, requestSums(sums, record, cost));
      if (priceSourceId !== null) this.cataloguePriced.add(modelId, priceSourceId, id);
      if (projectId !== 0) projectSeen(projectId, ts);
      if (hostId !== 0) noteSeen(this.hostsSeen, hostId, ts);

      if (channelId !== 0) {
        let outcome = outcomes.get(channelId);
        if (!outcome) outcomes.set(channelId, (outcome = { success: null, failure: null }));
        if (record.success) outcome.success = Math.max(outcome.success ?? 0, record.ts);
        else outcome.failure = Math.max(outcome.failure ?? 0, record.ts);
      }
    }

    return result;
  }

  /** Writes the rollups, request-time spans and channel outcomes of the batches added since begin(). */
  finish(): void {
    const { ctx } = this;
    ctx.rollups.apply(this.delta, ctx.coverage.minuteFrom);
    this.cataloguePriced.flush();
    for (const [id, span] of this.projectsSeen) this.seen.projects.run({ first: span.first, last: span.last, id });
    for (const [id, span] of this.hostsSeen) this.seen.hosts.run({ first: span.first, last: span.last, id });
    for (const [channelId, outcome] of this.outcomes) ctx.channels.recordOutcome(channelId, outcome.success, outcome.failure);
    for (const ids of this.storedIds) ids.endWrite();
  }
}
