import type { Database, Statement } from 'better-sqlite3';
import type { TokenTotals } from '../../../shared/types.js';
import type { DayCalendar } from '../time/day-calendar.js';
import { HOUR_MS, MINUTE_MS } from '../time/ranges.js';

/**
 * The three grains of pre-summed usage, coarsest first. Day buckets start where the store's
 * DayCalendar says (local midnight in whole-hour zones, else UTC midnight).
 */
export const ROLLUP_LEVELS = [{ table: 'rollup_day' }, { table: 'rollup_hour' }, { table: 'rollup_minute' }] as const;

/** The bucket of each grain that holds a minute. */
export function bucketFunctions(calendar: DayCalendar): Record<RollupTable, (minute: number) => number> {
  return {
    rollup_day: (minute) => calendar.dayStart(minute),
    rollup_hour: (minute) => minute - (minute % HOUR_MS),
    rollup_minute: (minute) => minute,
  };
}

export type RollupTable = (typeof ROLLUP_LEVELS)[number]['table'];

/** Sums kept per bucket and key; the order matches SUM_COLUMNS. */
export const SUM_COLUMNS = [
  'requests',
  'failures',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cost_nanos',
  'latency_ms_sum',
  'latency_count',
] as const;
export const SUM_COUNT = SUM_COLUMNS.length;
export const S_REQUESTS = 0;
export const S_FAILURES = 1;
export const S_INPUT = 2;
export const S_OUTPUT = 3;
export const S_CACHE_READ = 4;
export const S_CACHE_WRITE = 5;
export const S_COST = 6;
export const S_LATENCY_SUM = 7;
export const S_LATENCY_COUNT = 8;

/**
 * A packed (not holey) array of zeros: `new Array(n).fill(0)` makes a holey one, whose element reads and
 * writes V8 handles more slowly, and the ingest path adds into these for every request.
 */
export function zeroSums(): number[] {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0];
}

/** One request's contribution to the rollups, written into `target` (reused: the ingest path is hot). */
export function requestSums(
  target: number[],
  request: TokenTotals & { success: boolean; latencyMs: number | null },
  costNanos: number | null,
): number[] {
  target[S_REQUESTS] = 1;
  target[S_FAILURES] = request.success ? 0 : 1;
  target[S_INPUT] = request.inputTokens;
  target[S_OUTPUT] = request.outputTokens;
  target[S_CACHE_READ] = request.cacheReadTokens;
  target[S_CACHE_WRITE] = request.cacheWriteTokens;
  target[S_COST] = costNanos ?? 0;
  target[S_LATENCY_SUM] = request.latencyMs ?? 0;
  target[S_LATENCY_COUNT] = request.latencyMs === null ? 0 : 1;
  return target;
}

/**
 * Rollups are kept in one plain set and one set per dimension (project, host), all at the same three
 * grains. The plain tables sum every request with neither dimension in the key, so unfiltered reads
 * (the common case) scan as few rows as before dimensions existed. A dimension's tables hold only
 * requests that carry it (a project named; forwarded from another machine), keyed by it first; they
 * answer its filters and splits, and "none" (no project; this machine) is the plain total less the
 * dimension's sum. Each dimension also keeps totals per hour and day and currency only, so a split
 * by it with no other filter reads a few rows per value and day instead of every model and channel.
 * Minutes have no totals: the few minute rows at a range's edges come from the full-key minute table.
 */
export interface Dimension {
  name: DimensionName;
  /** The column in `requests` and in the dimension's rollup tables. */
  column: 'project_id' | 'host_id';
  /** The RollupKey field holding the value (0 = none). */
  keyField: 'projectId' | 'hostId';
  /** Full-key rollups per grain (dimension first, then KEY_COLUMNS). */
  tables: Record<RollupTable, string>;
  /** Per dimension value and currency; the minute grain maps to the full-key minute table. */
  totals: Record<RollupTable, string>;
  keyColumns: readonly string[];
  totalKeyColumns: readonly string[];
}

export type DimensionName = 'project' | 'host';

function dimension(name: DimensionName, keyField: Dimension['keyField']): Dimension {
  const column = `${name}_id` as Dimension['column'];
  return {
    name,
    column,
    keyField,
    tables: { rollup_minute: `rollup_${name}_minute`, rollup_hour: `rollup_${name}_hour`, rollup_day: `rollup_${name}_day` },
    totals: { rollup_minute: `rollup_${name}_minute`, rollup_hour: `rollup_${name}_total_hour`, rollup_day: `rollup_${name}_total_day` },
    keyColumns: [column, ...KEY_COLUMNS],
    totalKeyColumns: [column, 'currency_id'],
  };
}

/** The columns after the bucket that key a plain rollup row, in primary-key order. */
export const KEY_COLUMNS = ['model_id', 'channel_id', 'api_type_id', 'currency_id'] as const;

export const PROJECTS = dimension('project', 'projectId');
export const HOSTS = dimension('host', 'hostId');
/** Every dimension set; a write path loops over these, so a new one cannot be forgotten by one of them. */
export const DIMENSIONS: readonly Dimension[] = [PROJECTS, HOSTS];

/** Every rollup table: the plain ones and each dimension's full-key ones (totals apart). */
export const ALL_FULL_KEY_TABLES: readonly string[] = ROLLUP_LEVELS.flatMap(({ table }) => [table, ...DIMENSIONS.map((d) => d.tables[table])]);

/** The key's ids in KEY_COLUMNS order (or with `dimensionId` first). */
export function keyValues(key: Pick<RollupKey, 'modelId' | 'channelId' | 'apiTypeId' | 'currencyId'>, dimensionId?: number): number[] {
  const plain = [key.modelId, key.channelId, key.apiTypeId, key.currencyId];
  return dimensionId === undefined ? plain : [dimensionId, ...plain];
}

/**
 * The ids other than the dimension in one exact number (20 + 16 + 8 + 8 bits) when they are small
 * (always, in practice), else a string: the ingest path stays free of string building. The dimension
 * value is a map level of its own (see RollupDelta).
 */
function packKey(key: Pick<RollupKey, 'modelId' | 'channelId' | 'apiTypeId' | 'currencyId'>): number | string {
  if (key.modelId < 1 << 20 && key.channelId < 1 << 16 && key.apiTypeId < 256 && key.currencyId < 256) {
    return ((key.modelId * 65_536 + key.channelId) * 256 + key.apiTypeId) * 256 + key.currencyId;
  }
  return `${key.modelId}|${key.channelId}|${key.apiTypeId}|${key.currencyId}`;
}

export interface RollupKey {
  modelId: number;
  channelId: number;
  apiTypeId: number;
  /** 0 when unpriced. */
  currencyId: number;
  /** 0 when the request names no project. */
  projectId: number;
  /** 0 when the request is this machine's own (not forwarded). */
  hostId: number;
}

/** One minute (or coarser bucket) of one set: `dimensionId` is 0 in the plain set. */
export interface Entry {
  minute: number;
  modelId: number;
  channelId: number;
  apiTypeId: number;
  currencyId: number;
  dimensionId: number;
  sums: number[];
}

/** Which set of rollups a change goes to: all of them (a request), or one (a row of that set, re-priced or moved). */
export type RollupSet = 'all' | 'plain' | DimensionName;

type KeyedEntries = Map<number | string, Entry>;

/**
 * Signed changes to the rollups, gathered in memory per minute and key while a transaction writes raw
 * rows, then written once per key and grain. Adding a request adds its sums; removing or re-pricing
 * one adds the negation, so every write path keeps the rollups equal to the raw rows.
 */
export class RollupDelta {
  // Per minute (then per dimension value), then per key: a number packing the four ids when they are
  // small (always, in practice), which is cheaper on the ingest path than building a string per request.
  private readonly plain = new Map<number, KeyedEntries>();
  private readonly byDimension = DIMENSIONS.map(() => new Map<number, Map<number, KeyedEntries>>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A request's project and host (if any) also count in their sets, unless `into` names one set. */
  add(ts: number, key: RollupKey, sums: readonly number[], sign: 1 | -1 = 1, into: RollupSet = 'all'): void {
    const minute = ts - (ts % MINUTE_MS);
    const packed = packKey(key);
    if (into === 'all' || into === 'plain') {
      let inMinute = this.plain.get(minute);
      if (!inMinute) this.plain.set(minute, (inMinute = new Map()));
      this.addTo(inMinute, packed, minute, key, 0, sums, sign);
    }
    if (into === 'plain') return;
    for (let d = 0; d < DIMENSIONS.length; d++) {
      const dim = DIMENSIONS[d]!;
      const value = key[dim.keyField];
      if (value === 0 || (into !== 'all' && into !== dim.name)) continue;
      const sets = this.byDimension[d]!;
      let inMinute = sets.get(minute);
      if (!inMinute) sets.set(minute, (inMinute = new Map()));
      let inValue = inMinute.get(value);
      if (!inValue) inMinute.set(value, (inValue = new Map()));
      this.addTo(inValue, packed, minute, key, value, sums, sign);
    }
  }

  private addTo(entries: KeyedEntries, packed: number | string, minute: number, key: RollupKey, dimensionId: number, sums: readonly number[], sign: number): void {
    let entry = entries.get(packed);
    if (!entry) {
      entry = {
        minute,
        modelId: key.modelId,
        channelId: key.channelId,
        apiTypeId: key.apiTypeId,
        currencyId: key.currencyId,
        dimensionId,
        sums: zeroSums(),
      };
      entries.set(packed, entry);
      this.count++;
    }
    const target = entry.sums;
    if (sign === 1) for (let i = 0; i < SUM_COUNT; i++) target[i]! += sums[i]!;
    else for (let i = 0; i < SUM_COUNT; i++) target[i]! -= sums[i]!;
  }

  /** Minute entries of the plain set or of one dimension's. */
  entries(set: 'plain' | DimensionName = 'plain'): Entry[] {
    const all: Entry[] = [];
    if (set === 'plain') {
      for (const inMinute of this.plain.values()) for (const entry of inMinute.values()) all.push(entry);
      return all;
    }
    const sets = this.byDimension[DIMENSIONS.findIndex((d) => d.name === set)]!;
    for (const inMinute of sets.values()) for (const inValue of inMinute.values()) for (const entry of inValue.values()) all.push(entry);
    return all;
  }

  clear(): void {
    this.plain.clear();
    for (const sets of this.byDimension) sets.clear();
    this.count = 0;
  }
}

/**
 * Entries summed to a coarser grain (`bucketOf` maps an entry's bucket start to the coarser one);
 * `totals` sums them per dimension value and currency only (model, channel and api type left 0).
 * Nested maps on numbers, no key strings: this runs for every grain of every write.
 */
export function regrain(entries: readonly Entry[], bucketOf: (start: number) => number, totals = false): Entry[] {
  const out: Entry[] = [];
  const byBucket = new Map<number, Map<number, Map<number | string, Entry>>>();
  for (const entry of entries) {
    const bucket = bucketOf(entry.minute);
    let inBucket = byBucket.get(bucket);
    if (!inBucket) byBucket.set(bucket, (inBucket = new Map()));
    let inValue = inBucket.get(entry.dimensionId);
    if (!inValue) inBucket.set(entry.dimensionId, (inValue = new Map()));
    const key = totals ? entry.currencyId : packKey(entry);
    const existing = inValue.get(key);
    if (existing) {
      for (let i = 0; i < SUM_COUNT; i++) existing.sums[i]! += entry.sums[i]!;
      continue;
    }
    // Written out in Entry's field order (not a spread): every entry keeps one shape, which the hot
    // loops over entries rely on.
    const coarse: Entry = {
      minute: bucket,
      modelId: totals ? 0 : entry.modelId,
      channelId: totals ? 0 : entry.channelId,
      apiTypeId: totals ? 0 : entry.apiTypeId,
      currencyId: entry.currencyId,
      dimensionId: entry.dimensionId,
      sums: entry.sums.slice(),
    };
    inValue.set(key, coarse);
    out.push(coarse);
  }
  return out;
}

const PLAIN_TABLES: Record<RollupTable, string> = { rollup_minute: 'rollup_minute', rollup_hour: 'rollup_hour', rollup_day: 'rollup_day' };

const UPSERT_TARGETS: readonly { table: string; keys: readonly string[] }[] = [
  ...ROLLUP_LEVELS.map(({ table }) => ({ table, keys: KEY_COLUMNS })),
  ...DIMENSIONS.flatMap((dim) => [
    ...ROLLUP_LEVELS.map(({ table }) => ({ table: dim.tables[table], keys: dim.keyColumns })),
    { table: dim.totals.rollup_hour, keys: dim.totalKeyColumns },
    { table: dim.totals.rollup_day, keys: dim.totalKeyColumns },
  ]),
];

/** Writes deltas into every set of rollup tables; rows whose request count drops to zero are removed. */
export class RollupWriter {
  private readonly upserts = new Map<string, Statement<unknown[]>>();
  private readonly prunes = new Map<string, Statement<unknown[]>>();
  private readonly bucketOf: Record<RollupTable, (minute: number) => number>;
  /** The parameters of one upsert, filled in place per row (better-sqlite3 binds an array's elements in order). */
  private readonly params: number[] = [];

  constructor(db: Database, calendar: DayCalendar) {
    this.bucketOf = bucketFunctions(calendar);
    const assignments = SUM_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(', ');
    for (const { table, keys } of UPSERT_TARGETS) {
      this.upserts.set(
        table,
        db.prepare(
          `INSERT INTO ${table} (bucket, ${keys.join(', ')}, ${SUM_COLUMNS.join(', ')})
           VALUES (${new Array(1 + keys.length + SUM_COUNT).fill('?').join(', ')})
           ON CONFLICT DO UPDATE SET ${assignments}`,
        ),
      );
      this.prunes.set(table, db.prepare(`DELETE FROM ${table} WHERE bucket = ? AND ${keys.map((column) => `${column} = ?`).join(' AND ')} AND requests = 0`));
    }
  }

  /** Minute rows older than `minuteFrom` are not kept (see Coverage), so none are written. */
  apply(delta: RollupDelta, minuteFrom: number): void {
    if (delta.size === 0) return;
    this.applySet(PLAIN_TABLES, delta.entries('plain'), (entry) => keyValues(entry), minuteFrom);
    for (const dim of DIMENSIONS) {
      const written = this.applySet(dim.tables, delta.entries(dim.name), (entry) => keyValues(entry, entry.dimensionId), minuteFrom);
      if (!written) continue;
      const totalKey = (entry: Entry) => [entry.dimensionId, entry.currencyId];
      this.write(dim.totals.rollup_hour, regrain(written.hours, (start) => start, true), totalKey);
      this.write(dim.totals.rollup_day, regrain(written.days, (start) => start, true), totalKey);
    }
    delta.clear();
  }

  private applySet(tables: Record<RollupTable, string>, minutes: Entry[], keyOf: (entry: Entry) => number[], minuteFrom: number): { hours: Entry[]; days: Entry[] } | null {
    if (minutes.length === 0) return null;
    this.write(tables.rollup_minute, minutes, keyOf, minuteFrom);
    // Days from minutes, not hours: in a zone whose midnight is not on the hour a day starts mid-hour.
    const hours = regrain(minutes, this.bucketOf.rollup_hour);
    const days = regrain(minutes, this.bucketOf.rollup_day);
    this.write(tables.rollup_hour, hours, keyOf);
    this.write(tables.rollup_day, days, keyOf);
    return { hours, days };
  }

  private write(table: string, entries: readonly Entry[], keyOf: (entry: Entry) => number[], from = -Infinity): void {
    const upsert = this.upserts.get(table)!;
    const prune = this.prunes.get(table)!;
    const params = this.params;
    for (const entry of entries) {
      if (entry.minute < from) continue;
      const key = keyOf(entry);
      params.length = 0;
      params.push(entry.minute);
      for (let i = 0; i < key.length; i++) params.push(key[i]!);
      for (let i = 0; i < SUM_COUNT; i++) params.push(entry.sums[i]!);
      upsert.run(params);
      if (entry.sums[S_REQUESTS]! < 0) prune.run(entry.minute, ...key);
    }
  }
}
