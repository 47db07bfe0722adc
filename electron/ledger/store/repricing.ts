import type { Statement } from 'better-sqlite3';
import { isLinear, requestCostNanos, selectTier, tierCostNanos, versionAt, type CompiledVersion, type PricedTokens } from '../pricing/rules.js';
import { HOUR_MS } from '../time/ranges.js';
import type { TokenTotals } from '../../../shared/types.js';
import { CatalogueCosts, type CatalogueSubject } from './catalogue-costs.js';
import type { StoreContext } from './context.js';
import { firstIdAt, tsOfId } from './request-ids.js';
import {
  DIMENSIONS,
  type DimensionName,
  requestSums,
  RollupDelta,
  S_CACHE_READ,
  S_CACHE_WRITE,
  S_COST,
  S_INPUT,
  S_OUTPUT,
  S_REQUESTS,
  SUM_COLUMNS,
  SUM_COUNT,
} from './rollups.js';

export interface RepriceOutcome {
  affected: number;
  before: Map<number, number>;
  after: Map<number, number>;
  unpricedBefore: number;
  unpricedAfter: number;
  notRepriced: number;
  /** Raw requests whose cost, currency or price source changes (rollup-only hours are not counted). */
  changed: number;
}

/** A part of a re-pricing: [from, to) within one hour; `first` marks the hour's first part. */
export interface RepricePart {
  hour: number;
  from: number;
  to: number;
  first: boolean;
}

export function emptyOutcome(): RepriceOutcome {
  return { affected: 0, before: new Map(), after: new Map(), unpricedBefore: 0, unpricedAfter: 0, notRepriced: 0, changed: 0 };
}

/**
 * A raw request as re-pricing reads it, an array: better-sqlite3 builds an object of this many keys a
 * property at a time (~3 µs a row), and a re-pricing at 10M reads millions of rows (1.86M for a model
 * with a month in its window). What pricing needs comes first; a re-pricing that writes reads the
 * rollup key and sums after it.
 */
const PRICE_COLUMNS = 'id, api_type_id, channel_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, cost_nanos, currency_id, price_source_id, source_id, provider_id';
type PriceRow = [
  id: number,
  apiTypeId: number | null,
  channelId: number | null,
  inputTokens: number,
  outputTokens: number,
  cacheReadTokens: number,
  cacheWriteTokens: number,
  cacheWrite1hTokens: number | null,
  costNanos: number | null,
  currencyId: number | null,
  priceSourceId: number | null,
  sourceId: number | null,
  providerId: number | null,
];
type UpdateRow = [...PriceRow, success: number, latencyMs: number | null, projectId: number | null, hostId: number | null];

/** A rollup row of the plain set or of one dimension's (`dimension_id` 0 in the plain set). */
interface HourRollupRow {
  bucket: number;
  channel_id: number;
  api_type_id: number;
  currency_id: number;
  dimension_id: number;
  sums: number[];
}

type SetName = 'plain' | DimensionName;

/**
 * Prices again the requests of one model in [from, to) under a new list of versions. Raw rows are
 * priced one by one; hours whose raw rows have expired are priced from their rollup sums when the new
 * version is linear (one tier, hourly or free) and otherwise left as they were and counted. With
 * `apply` false nothing is written: that is the preview.
 */
export class Repricer {
  private readonly hours: Statement<[number, number, number], { bucket: number }>;
  /** Raw rows of a model in an id range, for a preview or an hour re-priced from its rollups. */
  private readonly priceRows: Statement<[number, number, number], PriceRow>;
  /** The same with what a written re-pricing moves in the rollups. */
  private readonly updateRows: Statement<[number, number, number], UpdateRow>;
  private readonly hourRollups = new Map<SetName, Statement<unknown[], Record<string, number>>>();
  private readonly minuteRollups = new Map<SetName, Statement<unknown[], Record<string, number>>>();
  private readonly updateRow: Statement<[number | null, number | null, number | null, number]>;
  private readonly catalogue: CatalogueCosts;

  constructor(private readonly ctx: StoreContext) {
    const db = ctx.db;
    this.hours = db.prepare(`SELECT DISTINCT bucket FROM rollup_hour WHERE model_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`);
    // Expired hours are re-priced from every set of rollups, each row by its own tokens.
    const rollupRows = (table: string, dimensionColumn: string, where: string) =>
      db.prepare<unknown[], Record<string, number>>(
        `SELECT bucket, channel_id, api_type_id, currency_id, ${dimensionColumn} AS dimension_id, ${SUM_COLUMNS.join(', ')}
         FROM ${table} WHERE model_id = ? AND ${where}`,
      );
    this.hourRollups.set('plain', rollupRows('rollup_hour', '0', 'bucket = ?'));
    this.minuteRollups.set('plain', rollupRows('rollup_minute', '0', 'bucket >= ? AND bucket < ?'));
    for (const dim of DIMENSIONS) {
      this.hourRollups.set(dim.name, rollupRows(dim.tables.rollup_hour, dim.column, 'bucket = ?'));
      this.minuteRollups.set(dim.name, rollupRows(dim.tables.rollup_minute, dim.column, 'bucket >= ? AND bucket < ?'));
    }
    const where = 'FROM requests WHERE id >= ? AND id < ? AND model_id = ?';
    this.priceRows = db.prepare<[number, number, number], PriceRow>(`SELECT ${PRICE_COLUMNS} ${where}`).raw(true);
    this.updateRows = db.prepare<[number, number, number], UpdateRow>(`SELECT ${PRICE_COLUMNS}, success, latency_ms, project_id, host_id ${where}`).raw(true);
    this.updateRow = db.prepare(`UPDATE requests SET cost_nanos = ?, currency_id = ?, price_source_id = ? WHERE id = ?`);
    this.catalogue = new CatalogueCosts(ctx);
  }

  run(modelId: number, versions: readonly CompiledVersion[], from: number, to: number, apply: boolean): RepriceOutcome {
    const outcome = emptyOutcome();
    this.runParts(modelId, versions, this.partsOf(modelId, from, to, HOUR_MS), from, to, apply, outcome);
    return outcome;
  }

  /**
   * What run() goes through for [from, to), in order: each hour with usage of the model, cut in parts
   * of `rawPartMs` where its raw rows are kept (an hour of a busy model at 10M is ~15,000 rows; a part
   * is a transaction's worth when a re-pricing is cut in slices). An hour kept only as rollups is one
   * part: it is re-priced whole or not at all.
   */
  partsOf(modelId: number, from: number, to: number, rawPartMs: number): RepricePart[] {
    const end = Math.min(to, tsOfId(Number.MAX_SAFE_INTEGER));
    const hours = this.hours.all(modelId, Math.floor(from / HOUR_MS) * HOUR_MS, end).map((row) => row.bucket);
    return hourParts(hours, from, end, this.ctx.coverage.rawHourFrom, rawPartMs);
  }

  /**
   * Re-prices some of partsOf()'s parts of the window [from, to), adding to `outcome`; with `apply`
   * their raw rows and rollups are written before it returns, so a long re-pricing can be cut into
   * transactions between parts. An hour whose raw rows expired since partsOf() is re-priced from its
   * rollups, once, at its first part.
   */
  runParts(modelId: number, versions: readonly CompiledVersion[], parts: readonly RepricePart[], from: number, to: number, apply: boolean, outcome: RepriceOutcome): void {
    const delta = new RollupDelta();
    const rawHourFrom = this.ctx.coverage.rawHourFrom;
    const end = Math.min(to, tsOfId(Number.MAX_SAFE_INTEGER));
    for (const part of parts) {
      if (part.hour >= rawHourFrom) this.repriceRaw(modelId, versions, part.from, part.to, apply, outcome, delta);
      else if (part.first) this.repriceHour(modelId, versions, part.hour, from, end, apply, outcome, delta);
    }
    if (apply) this.ctx.rollups.apply(delta, this.ctx.coverage.minuteFrom);
  }

  private repriceRaw(
    modelId: number,
    versions: readonly CompiledVersion[],
    from: number,
    to: number,
    apply: boolean,
    outcome: RepriceOutcome,
    delta: RollupDelta,
  ): void {
    const rows = (apply ? this.updateRows : this.priceRows).all(firstIdAt(from), firstIdAt(to), modelId);
    const sums = new Array<number>(SUM_COUNT);
    for (const row of rows) {
      const [id, apiTypeId, channelId, , , , , , costBefore, currencyBefore, sourceBefore] = row;
      const ts = tsOfId(id);
      const tokens = tokensOf(row);
      const version = versionAt(versions, ts);
      let cost = version === undefined ? null : requestCostNanos(version, tokens);
      let currencyId = version?.currencyId ?? null;
      let priceSourceId: number | null = null;
      // Without a version of the user's the catalogue prices the request, as at ingest.
      if (version === undefined) {
        const priced = this.catalogue.price(modelId, this.subjectOf(modelId, row, tokens), channelId ?? 0, ts);
        if (priced !== null) ({ cost, currencyId, sourceId: priceSourceId } = priced);
      }
      outcome.affected++;
      tally(outcome, 'before', currencyBefore, costBefore, 1);
      tally(outcome, 'after', currencyId, cost, 1);
      if (cost === costBefore && currencyId === currencyBefore && priceSourceId === sourceBefore) continue;
      outcome.changed++;
      if (!apply) continue;
      this.updateRow.run(cost, currencyId, priceSourceId, id);
      const [, , , , , , , , , , , , , success, latencyMs, projectId, hostId] = row as UpdateRow;
      const key = { modelId, channelId: channelId ?? 0, apiTypeId: apiTypeId ?? 0, projectId: projectId ?? 0, hostId: hostId ?? 0 };
      const request = { ...tokens, success: success === 1, latencyMs };
      delta.add(ts, { ...key, currencyId: currencyBefore ?? 0 }, requestSums(sums, request, costBefore), -1);
      delta.add(ts, { ...key, currencyId: currencyId ?? 0 }, requestSums(sums, request, cost), 1);
    }
  }

  private subjectOf(modelId: number, row: PriceRow | UpdateRow, tokens: TokenTotals): CatalogueSubject {
    const { ctx } = this;
    const [, apiTypeId, , , , , , cacheWrite1hTokens, , , , sourceId, providerId] = row;
    return {
      ...tokens,
      cacheWrite1hTokens: cacheWrite1hTokens ?? 0,
      model: ctx.models.nameOf(modelId),
      apiType: apiTypeId === null || apiTypeId === 0 ? null : ctx.apiTypes.nameOf(apiTypeId),
      source: sourceId === null ? null : ctx.sources.nameOf(sourceId),
      provider: providerId === null ? null : ctx.providers.nameOf(providerId),
    };
  }

  private repriceHour(
    modelId: number,
    versions: readonly CompiledVersion[],
    hour: number,
    from: number,
    to: number,
    apply: boolean,
    outcome: RepriceOutcome,
    delta: RollupDelta,
  ): void {
    // Where minute rollups are still kept they are re-priced minute by minute (the hour and day
    // changes are their sums), so every grain keeps each request's cost where it happened.
    const read = (set: SetName): HourRollupRow[] => {
      const found = hour >= this.ctx.coverage.minuteFrom ? this.minuteRollups.get(set)!.all(modelId, hour, hour + HOUR_MS) : this.hourRollups.get(set)!.all(modelId, hour);
      return found.map((row) => ({
        bucket: row['bucket']!,
        channel_id: row['channel_id']!,
        api_type_id: row['api_type_id']!,
        currency_id: row['currency_id']!,
        dimension_id: row['dimension_id']!,
        sums: SUM_COLUMNS.map((column) => row[column]!),
      }));
    };
    const rows = read('plain');
    const version = versionAt(versions, hour);
    const sameThroughout = versionAt(versions, hour + HOUR_MS - 1) === version;
    const whole = hour >= from && hour + HOUR_MS <= to;
    const repriceable = whole && sameThroughout && (version === undefined || isLinear(version));
    if (apply && repriceable && hour + HOUR_MS > this.ctx.coverage.rawFrom) {
      // A manual cleanup may have cut this hour: the raw rows it kept follow the rollup's new price.
      for (const row of this.priceRows.all(firstIdAt(hour), firstIdAt(hour + HOUR_MS), modelId)) {
        this.updateRow.run(version === undefined ? null : requestCostNanos(version, tokensOf(row)), version?.currencyId ?? null, null, row[0]);
      }
    }
    for (const row of rows) {
      const requests = row.sums[S_REQUESTS]!;
      outcome.affected += requests;
      const oldCurrency = row.currency_id === 0 ? null : row.currency_id;
      tally(outcome, 'before', oldCurrency, row.sums[S_COST]!, requests);
      if (!repriceable) {
        outcome.notRepriced += requests;
        tally(outcome, 'after', oldCurrency, row.sums[S_COST]!, requests);
        continue;
      }
      const tokens = {
        inputTokens: row.sums[S_INPUT]!,
        outputTokens: row.sums[S_OUTPUT]!,
        cacheReadTokens: row.sums[S_CACHE_READ]!,
        cacheWriteTokens: row.sums[S_CACHE_WRITE]!,
      };
      const cost = version === undefined ? null : version.method === 'tokens' ? tierCostNanos(selectTier(version.tiers, 0), tokens) : 0;
      const currencyId = version?.currencyId ?? null;
      tally(outcome, 'after', currencyId, cost, requests);
      addRepriced(delta, modelId, row, cost, currencyId, 'plain');
    }
    if (!repriceable || !apply) return;
    // The same hour's rows of each dimension: re-priced alike, counted once above (they are part of the plain rows).
    for (const dim of DIMENSIONS) {
      for (const row of read(dim.name)) {
        const tokens = {
          inputTokens: row.sums[S_INPUT]!,
          outputTokens: row.sums[S_OUTPUT]!,
          cacheReadTokens: row.sums[S_CACHE_READ]!,
          cacheWriteTokens: row.sums[S_CACHE_WRITE]!,
        };
        const cost = version === undefined ? null : version.method === 'tokens' ? tierCostNanos(selectTier(version.tiers, 0), tokens) : 0;
        addRepriced(delta, modelId, row, cost, version?.currencyId ?? null, dim.name);
      }
    }
  }
}

/**
 * The hours `hours` (ascending) within [from, end) as parts, in order: an hour whose raw rows are kept
 * (from `rawHourFrom`) cut at every multiple of `rawPartMs`, an hour kept only as rollups whole.
 */
export function hourParts(hours: readonly number[], from: number, end: number, rawHourFrom: number, rawPartMs: number): RepricePart[] {
  const parts: RepricePart[] = [];
  for (const bucket of hours) {
    const start = Math.max(from, bucket);
    const stop = Math.min(end, bucket + HOUR_MS);
    if (bucket < rawHourFrom) {
      parts.push({ hour: bucket, from: start, to: stop, first: true });
      continue;
    }
    for (let at = start; at < stop; ) {
      const next = Math.min(stop, (Math.floor(at / rawPartMs) + 1) * rawPartMs);
      parts.push({ hour: bucket, from: at, to: next, first: at === start });
      at = next;
    }
  }
  return parts;
}

/** A rollup row's move from its old cost to `cost` (the other sums unchanged), in one set of rollups. */
function addRepriced(delta: RollupDelta, modelId: number, row: HourRollupRow, cost: number | null, currencyId: number | null, set: SetName): void {
  // Only `set`'s own dimension value matters (the delta adds to that set alone).
  const dimensionOf = (name: DimensionName) => (set === name ? row.dimension_id : 0);
  const key = { modelId, channelId: row.channel_id, apiTypeId: row.api_type_id, projectId: dimensionOf('project'), hostId: dimensionOf('host') };
  delta.add(row.bucket, { ...key, currencyId: row.currency_id }, row.sums, -1, set);
  delta.add(row.bucket, { ...key, currencyId: currencyId ?? 0 }, [...row.sums.slice(0, S_COST), cost ?? 0, ...row.sums.slice(S_COST + 1)], 1, set);
}

function tokensOf(row: PriceRow | UpdateRow): PricedTokens {
  const [, , , inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens] = row;
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens };
}

function tally(outcome: RepriceOutcome, side: 'before' | 'after', currencyId: number | null, cost: number | null, requests: number): void {
  if (currencyId === null || cost === null) {
    if (side === 'before') outcome.unpricedBefore += requests;
    else outcome.unpricedAfter += requests;
    return;
  }
  const map = outcome[side];
  map.set(currencyId, (map.get(currencyId) ?? 0) + cost);
}
