import type { Database, Statement } from 'better-sqlite3';
import type { TokenTotals } from '../../../shared/types.js';
import type { DayCalendar } from '../time/day-calendar.js';
import { HOUR_MS, MINUTE_MS } from '../time/ranges.js';
import { RollupVersions, type VersionedGrain } from './rollup-versions.js';

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

/** The columns of a stored raw row that its rollup sums come from. */
export interface StoredSumsRow {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  success: number;
  latency_ms: number | null;
  cost_nanos: number | null;
}

/** The columns of a stored raw row that its rollup key comes from. */
export interface StoredKeyRow {
  model_id: number;
  channel_id: number | null;
  api_type_id: number | null;
  currency_id: number | null;
  project_id: number | null;
  host_id: number | null;
}

/** The rollup key a stored raw row was summed under (its nulls are the key's 0s). */
export function storedRowKey(row: StoredKeyRow): RollupKey {
  return {
    modelId: row.model_id,
    channelId: row.channel_id ?? 0,
    apiTypeId: row.api_type_id ?? 0,
    currencyId: row.currency_id ?? 0,
    projectId: row.project_id ?? 0,
    hostId: row.host_id ?? 0,
  };
}

/** A stored raw row's contribution to the rollups (requestSums of the request it holds). */
export function storedRowSums(target: number[], row: StoredSumsRow): number[] {
  const request = {
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    success: row.success === 1,
    latencyMs: row.latency_ms,
  };
  return requestSums(target, request, row.cost_nanos);
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

/**
 * The ids other than the dimension as one Map key. Small ids (always, in practice: 12 + 10 + 4 + 4 bits)
 * pack into a non-negative integer under 2^30, a Smi in V8, so the ingest path neither allocates a
 * HeapNumber nor hashes a double per request; larger ones into a negative exact number (20 + 16 + 8 + 8
 * bits, minus one), else a string. The forms never collide (non-negative, negative, string), and
 * each is exact within its bounds. The dimension value is a map level of its own (see RollupDelta).
 */
export function packKey(modelId: number, channelId: number, apiTypeId: number, currencyId: number): number | string {
  if (modelId < 4096 && channelId < 1024 && apiTypeId < 16 && currencyId < 16) {
    return (((modelId << 10) | channelId) << 8) | (apiTypeId << 4) | currencyId;
  }
  if (modelId < 1 << 20 && channelId < 1 << 16 && apiTypeId < 256 && currencyId < 256) {
    return -(((modelId * 65_536 + channelId) * 256 + apiTypeId) * 256 + currencyId) - 1;
  }
  return `${modelId}|${channelId}|${apiTypeId}|${currencyId}`;
}

/** A minute-aligned bucket start as a Map key: its minute number, a Smi (below 2^30 until the year 4011). */
function minuteKey(bucket: number): number {
  return Math.floor(bucket / MINUTE_MS);
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

/** Ids kept per entry in EntryPool.ids: model, channel, api type, currency, dimension value. */
const ID_COUNT = 5;

/**
 * Entries of one set at one grain, held column-wise in typed arrays. A delta gains an entry for most
 * requests ingested (a new minute and key); as objects with arrays of sums they were several
 * allocations each, kept alive until the batch commits and so copied by every young-generation GC.
 */
export class EntryPool {
  size = 0;
  /** Bucket start per entry. */
  buckets = new Float64Array(64);
  /** ID_COUNT ids per entry. */
  ids = new Float64Array(64 * ID_COUNT);
  /** SUM_COUNT sums per entry, in SUM_COLUMNS order (exact: every sum stays below 2^53, as in any number). */
  sums = new Float64Array(64 * SUM_COUNT);

  /** A new entry with zero sums; its index. */
  push(bucket: number, modelId: number, channelId: number, apiTypeId: number, currencyId: number, dimensionId: number): number {
    if (this.size === this.buckets.length) this.grow();
    const slot = this.size++;
    this.buckets[slot] = bucket;
    const ids = this.ids;
    const at = slot * ID_COUNT;
    ids[at] = modelId;
    ids[at + 1] = channelId;
    ids[at + 2] = apiTypeId;
    ids[at + 3] = currencyId;
    ids[at + 4] = dimensionId;
    const sums = this.sums;
    const from = slot * SUM_COUNT;
    for (let i = 0; i < SUM_COUNT; i++) sums[from + i] = 0;
    return slot;
  }

  /** `sums` (SUM_COLUMNS order) times `sign` added to entry `slot`. */
  add(slot: number, sums: ArrayLike<number>, sign: number, offset = 0): void {
    const target = this.sums;
    const at = slot * SUM_COUNT;
    if (sign === 1) for (let i = 0; i < SUM_COUNT; i++) target[at + i]! += sums[offset + i]!;
    else for (let i = 0; i < SUM_COUNT; i++) target[at + i]! -= sums[offset + i]!;
  }

  id(slot: number, field: number): number {
    return this.ids[slot * ID_COUNT + field]!;
  }

  /** One entry as an object, for inspection (the write path reads the arrays). */
  entry(slot: number): Entry {
    const at = slot * ID_COUNT;
    const ids = this.ids;
    const from = slot * SUM_COUNT;
    return {
      minute: this.buckets[slot]!,
      modelId: ids[at]!,
      channelId: ids[at + 1]!,
      apiTypeId: ids[at + 2]!,
      currencyId: ids[at + 3]!,
      dimensionId: ids[at + 4]!,
      sums: Array.from(this.sums.subarray(from, from + SUM_COUNT)),
    };
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const capacity = this.buckets.length * 2;
    const buckets = new Float64Array(capacity);
    buckets.set(this.buckets);
    const ids = new Float64Array(capacity * ID_COUNT);
    ids.set(this.ids);
    const sums = new Float64Array(capacity * SUM_COUNT);
    sums.set(this.sums);
    this.buckets = buckets;
    this.ids = ids;
    this.sums = sums;
  }
}

const F_MODEL = 0;
const F_CHANNEL = 1;
const F_API_TYPE = 2;
const F_CURRENCY = 3;
const F_DIMENSION = 4;

/** Entry indexes in a pool per packed key (see packKey). */
type KeyedSlots = Map<number | string, number>;
/** Per minute number (see minuteKey), then per packed key. */
type MinuteSlots = Map<number, KeyedSlots>;
/** Per minute number, then per dimension value, then per packed key. */
type DimensionSlots = Map<number, Map<number, KeyedSlots>>;

// RollupDelta reads the dimension values by field (a string-indexed read per request would be
// megamorphic): a dimension added to DIMENSIONS must be added there too.
if (DIMENSIONS.length !== 2 || DIMENSIONS[0] !== PROJECTS || DIMENSIONS[1] !== HOSTS) throw new Error('RollupDelta knows projects and hosts only');

/**
 * Signed changes to the rollups, gathered in memory per minute and key while a transaction writes raw
 * rows, then written once per key and grain. Adding a request adds its sums; removing or re-pricing
 * one adds the negation, so every write path keeps the rollups equal to the raw rows.
 *
 * This runs for every request ingested, so its map keys are small integers (minute numbers, dimension
 * ids, packed keys: Smis, no HeapNumber per request), its entries live in typed arrays (EntryPool),
 * and the last minute's map of each set is kept at hand, since a batch arrives mostly in time order.
 */
export class RollupDelta {
  private readonly plain = new EntryPool();
  private readonly projects = new EntryPool();
  private readonly hosts = new EntryPool();
  private readonly plainSlots: MinuteSlots = new Map();
  private readonly projectSlots: DimensionSlots = new Map();
  private readonly hostSlots: DimensionSlots = new Map();
  private lastMinute = -1;
  private plainInMinute: KeyedSlots | undefined;
  private projectsInMinute: Map<number, KeyedSlots> | undefined;
  private hostsInMinute: Map<number, KeyedSlots> | undefined;

  get size(): number {
    return this.plain.size + this.projects.size + this.hosts.size;
  }

  /** A request's project and host (if any) also count in their sets, unless `into` names one set. */
  add(ts: number, key: RollupKey, sums: readonly number[], sign: 1 | -1 = 1, into: RollupSet = 'all'): void {
    const all = into === 'all';
    this.addSplit(
      ts,
      key.modelId,
      key.channelId,
      key.apiTypeId,
      key.currencyId,
      all || into === 'plain',
      all || into === 'project' ? key.projectId : 0,
      all || into === 'host' ? key.hostId : 0,
      sums,
      sign,
    );
  }

  /** One request into every set (the ingest path's add, with the key's fields passed one by one). */
  addRequest(ts: number, modelId: number, channelId: number, apiTypeId: number, currencyId: number, projectId: number, hostId: number, sums: readonly number[]): void {
    this.addSplit(ts, modelId, channelId, apiTypeId, currencyId, true, projectId, hostId, sums, 1);
  }

  private addSplit(
    ts: number,
    modelId: number,
    channelId: number,
    apiTypeId: number,
    currencyId: number,
    plain: boolean,
    projectId: number,
    hostId: number,
    sums: readonly number[],
    sign: number,
  ): void {
    const minuteNumber = Math.floor(ts / MINUTE_MS);
    if (minuteNumber !== this.lastMinute) {
      this.lastMinute = minuteNumber;
      this.plainInMinute = undefined;
      this.projectsInMinute = undefined;
      this.hostsInMinute = undefined;
    }
    const packed = packKey(modelId, channelId, apiTypeId, currencyId);
    if (plain) {
      let inMinute = this.plainInMinute;
      if (inMinute === undefined) {
        inMinute = this.plainSlots.get(minuteNumber);
        if (inMinute === undefined) this.plainSlots.set(minuteNumber, (inMinute = new Map()));
        this.plainInMinute = inMinute;
      }
      addTo(this.plain, inMinute, packed, minuteNumber, modelId, channelId, apiTypeId, currencyId, 0, sums, sign);
    }
    if (projectId !== 0) {
      let inMinute = this.projectsInMinute;
      if (inMinute === undefined) this.projectsInMinute = inMinute = inMinuteOf(this.projectSlots, minuteNumber);
      addTo(this.projects, inValueOf(inMinute, projectId), packed, minuteNumber, modelId, channelId, apiTypeId, currencyId, projectId, sums, sign);
    }
    if (hostId !== 0) {
      let inMinute = this.hostsInMinute;
      if (inMinute === undefined) this.hostsInMinute = inMinute = inMinuteOf(this.hostSlots, minuteNumber);
      addTo(this.hosts, inValueOf(inMinute, hostId), packed, minuteNumber, modelId, channelId, apiTypeId, currencyId, hostId, sums, sign);
    }
  }

  /** The minute entries of the plain set or of one dimension's, as they are kept (read by RollupWriter). */
  pool(set: 'plain' | DimensionName): EntryPool {
    return set === 'plain' ? this.plain : set === 'project' ? this.projects : this.hosts;
  }

  clear(): void {
    this.plain.clear();
    this.projects.clear();
    this.hosts.clear();
    this.plainSlots.clear();
    this.projectSlots.clear();
    this.hostSlots.clear();
    this.lastMinute = -1;
    this.plainInMinute = undefined;
    this.projectsInMinute = undefined;
    this.hostsInMinute = undefined;
  }
}

function addTo(
  pool: EntryPool,
  slots: KeyedSlots,
  packed: number | string,
  minuteNumber: number,
  modelId: number,
  channelId: number,
  apiTypeId: number,
  currencyId: number,
  dimensionId: number,
  sums: readonly number[],
  sign: number,
): void {
  let slot = slots.get(packed);
  if (slot === undefined) {
    // The minute's start (a double) is built only with a new entry: passed on per request, it would
    // be boxed into a fresh HeapNumber at every call.
    slot = pool.push(minuteNumber * MINUTE_MS, modelId, channelId, apiTypeId, currencyId, dimensionId);
    slots.set(packed, slot);
  }
  pool.add(slot, sums, sign);
}

function inMinuteOf(sets: DimensionSlots, minuteNumber: number): Map<number, KeyedSlots> {
  let inMinute = sets.get(minuteNumber);
  if (inMinute === undefined) sets.set(minuteNumber, (inMinute = new Map()));
  return inMinute;
}

function inValueOf(inMinute: Map<number, KeyedSlots>, value: number): KeyedSlots {
  let inValue = inMinute.get(value);
  if (inValue === undefined) inMinute.set(value, (inValue = new Map()));
  return inValue;
}

/**
 * `from`'s entries summed to a coarser grain into `into` (cleared first; `bucketOf` maps an entry's
 * bucket start to the coarser one); `totals` sums them per dimension value and currency only (model,
 * channel and api type left 0). Nested maps on small integers (minute numbers, ids, packed keys), no
 * key strings: this runs for every grain of every write.
 */
export function regrain(from: EntryPool, bucketOf: (start: number) => number, totals: boolean, into: EntryPool): EntryPool {
  into.clear();
  const byBucket = new Map<number, Map<number, KeyedSlots>>();
  let lastBucket = -1;
  let inBucket: Map<number, KeyedSlots> | undefined;
  for (let slot = 0; slot < from.size; slot++) {
    const bucket = bucketOf(from.buckets[slot]!);
    if (bucket !== lastBucket || inBucket === undefined) {
      lastBucket = bucket;
      const number = minuteKey(bucket);
      inBucket = byBucket.get(number);
      if (inBucket === undefined) byBucket.set(number, (inBucket = new Map()));
    }
    const dimensionId = from.id(slot, F_DIMENSION);
    const currencyId = from.id(slot, F_CURRENCY);
    const inValue = inValueOf(inBucket, dimensionId);
    const modelId = totals ? 0 : from.id(slot, F_MODEL);
    const channelId = totals ? 0 : from.id(slot, F_CHANNEL);
    const apiTypeId = totals ? 0 : from.id(slot, F_API_TYPE);
    const key = totals ? currencyId : packKey(modelId, channelId, apiTypeId, currencyId);
    let coarse = inValue.get(key);
    if (coarse === undefined) {
      coarse = into.push(bucket, modelId, channelId, apiTypeId, currencyId, dimensionId);
      inValue.set(key, coarse);
    }
    into.add(coarse, from.sums, 1, slot * SUM_COUNT);
  }
  return into;
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

/**
 * Rows per multi-row upsert: one statement call binds them all, ~20 % less per row than one call
 * each (measured with this table shape); 32 rows of the widest shape bind 480 values.
 */
const UPSERT_ROWS = 32;

/** Writes entry `slot`'s bucket, key and sums into `params` from `at`, in the upsert's column order. */
function fillRow(params: number[], at: number, entries: EntryPool, slot: number, shape: KeyShape): void {
  const { buckets, ids, sums } = entries;
  params[at] = buckets[slot]!;
  const id = slot * ID_COUNT;
  let k = at + 1;
  if (shape === 'total') {
    params[k++] = ids[id + F_DIMENSION]!;
    params[k++] = ids[id + F_CURRENCY]!;
  } else {
    if (shape === 'dimension') params[k++] = ids[id + F_DIMENSION]!;
    params[k++] = ids[id + F_MODEL]!;
    params[k++] = ids[id + F_CHANNEL]!;
    params[k++] = ids[id + F_API_TYPE]!;
    params[k++] = ids[id + F_CURRENCY]!;
  }
  const first = slot * SUM_COUNT;
  for (let i = 0; i < SUM_COUNT; i++) params[k + i] = sums[first + i]!;
}

/** Which columns key a table's rows after the bucket: KEY_COLUMNS, the dimension then KEY_COLUMNS, or the dimension and currency. */
type KeyShape = 'plain' | 'dimension' | 'total';

/** Writes deltas into every set of rollup tables; rows whose request count drops to zero are removed. */
export class RollupWriter {
  private readonly upserts = new Map<string, Statement<unknown[]>>();
  /** The same upsert for UPSERT_ROWS rows at once, per table. */
  private readonly manyUpserts = new Map<string, Statement<unknown[]>>();
  private readonly prunes = new Map<string, Statement<unknown[]>>();
  private readonly bucketOf: Record<RollupTable, (minute: number) => number>;
  /**
   * The parameters of one upsert per key shape, filled in place per row and spread into run() (which
   * binds arguments faster than an array's elements): no array is built per row.
   */
  private readonly params: Record<KeyShape, number[]> = {
    plain: new Array<number>(1 + KEY_COLUMNS.length + SUM_COUNT).fill(0),
    dimension: new Array<number>(2 + KEY_COLUMNS.length + SUM_COUNT).fill(0),
    total: new Array<number>(3 + SUM_COUNT).fill(0),
  };
  /** The parameters of UPSERT_ROWS rows of each key shape, one row after another. */
  private readonly manyParams: Record<KeyShape, number[]> = {
    plain: new Array<number>(UPSERT_ROWS * (1 + KEY_COLUMNS.length + SUM_COUNT)).fill(0),
    dimension: new Array<number>(UPSERT_ROWS * (2 + KEY_COLUMNS.length + SUM_COUNT)).fill(0),
    total: new Array<number>(UPSERT_ROWS * (3 + SUM_COUNT)).fill(0),
  };
  /** The coarser grains of the set being written, reused from write to write. */
  private readonly hours = new EntryPool();
  private readonly days = new EntryPool();
  private readonly totals = new EntryPool();

  /** The bucket versions readers check their kept rows against (bucket-cache.ts). */
  readonly versions: RollupVersions;
  private readonly touched: Record<VersionedGrain, Set<number>> = { rollup_hour: new Set(), rollup_day: new Set() };

  constructor(db: Database, calendar: DayCalendar) {
    this.bucketOf = bucketFunctions(calendar);
    this.versions = new RollupVersions(db);
    const assignments = SUM_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(', ');
    for (const { table, keys } of UPSERT_TARGETS) {
      const row = `(${new Array(1 + keys.length + SUM_COUNT).fill('?').join(', ')})`;
      const upsert = (rows: number) =>
        db.prepare(
          `INSERT INTO ${table} (bucket, ${keys.join(', ')}, ${SUM_COLUMNS.join(', ')})
           VALUES ${new Array(rows).fill(row).join(', ')}
           ON CONFLICT DO UPDATE SET ${assignments}`,
        );
      this.upserts.set(table, upsert(1));
      this.manyUpserts.set(table, upsert(UPSERT_ROWS));
      this.prunes.set(table, db.prepare(`DELETE FROM ${table} WHERE bucket = ? AND ${keys.map((column) => `${column} = ?`).join(' AND ')} AND requests = 0`));
    }
  }

  /** Minute rows older than `minuteFrom` are not kept (see Coverage), so none are written. */
  apply(delta: RollupDelta, minuteFrom: number): void {
    if (delta.size === 0) return;
    this.applySet(PLAIN_TABLES, delta.pool('plain'), 'plain', minuteFrom);
    const same = (start: number) => start;
    for (const dim of DIMENSIONS) {
      if (!this.applySet(dim.tables, delta.pool(dim.name), 'dimension', minuteFrom)) continue;
      this.write(dim.totals.rollup_hour, regrain(this.hours, same, true, this.totals), 'total');
      this.write(dim.totals.rollup_day, regrain(this.days, same, true, this.totals), 'total');
    }
    for (const grain of ['rollup_hour', 'rollup_day'] as const) {
      this.versions.touch(grain, this.touched[grain]);
      this.touched[grain].clear();
    }
    delta.clear();
  }

  /** Leaves the set's hours and days in this.hours and this.days; false when the set has no entries. */
  private applySet(tables: Record<RollupTable, string>, minutes: EntryPool, shape: KeyShape, minuteFrom: number): boolean {
    if (minutes.size === 0) return false;
    this.write(tables.rollup_minute, minutes, shape, minuteFrom);
    // Days from minutes, not hours: in a zone whose midnight is not on the hour a day starts mid-hour.
    this.write(tables.rollup_hour, regrain(minutes, this.bucketOf.rollup_hour, false, this.hours), shape);
    this.write(tables.rollup_day, regrain(minutes, this.bucketOf.rollup_day, false, this.days), shape);
    for (let slot = 0; slot < this.hours.size; slot++) this.touched.rollup_hour.add(this.hours.buckets[slot]!);
    for (let slot = 0; slot < this.days.size; slot++) this.touched.rollup_day.add(this.days.buckets[slot]!);
    return true;
  }

  private write(table: string, entries: EntryPool, shape: KeyShape, from = -Infinity): void {
    const one = this.params[shape];
    const many = this.manyParams[shape];
    const width = one.length;
    const { buckets, sums } = entries;
    // Rows go UPSERT_ROWS to a statement (one call and one bind of all their values), the rest one by one.
    let filled = 0;
    let pruned = false;
    for (let slot = 0; slot < entries.size; slot++) {
      if (buckets[slot]! < from) continue;
      fillRow(many, filled * width, entries, slot, shape);
      if (sums[slot * SUM_COUNT + S_REQUESTS]! < 0) pruned = true;
      if (++filled === UPSERT_ROWS) {
        this.manyUpserts.get(table)!.run(...many);
        filled = 0;
      }
    }
    const upsert = this.upserts.get(table)!;
    for (let row = 0; row < filled; row++) {
      for (let i = 0; i < width; i++) one[i] = many[row * width + i]!;
      upsert.run(...one);
    }
    // A removal (a re-pricing or a deletion) may leave rows counting no request: they go.
    if (!pruned) return;
    const prune = this.prunes.get(table)!;
    const keyWidth = width - SUM_COUNT;
    for (let slot = 0; slot < entries.size; slot++) {
      if (buckets[slot]! < from || sums[slot * SUM_COUNT + S_REQUESTS]! >= 0) continue;
      fillRow(one, 0, entries, slot, shape);
      prune.run(...one.slice(0, keyWidth));
    }
  }
}
