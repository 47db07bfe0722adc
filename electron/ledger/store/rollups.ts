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
 * Two sets of rollups at the same three grains. The plain tables sum every request with no project
 * in the key, so unfiltered reads (the common case) scan as few rows as before projects existed. The
 * project tables hold only requests that name a project, keyed by it first; they answer project
 * filters and per-project splits, and "no project" is the plain total less the projects' sum.
 */
export const PROJECT_TABLE = {
  rollup_minute: 'rollup_project_minute',
  rollup_hour: 'rollup_project_hour',
  rollup_day: 'rollup_project_day',
} as const satisfies Record<RollupTable, string>;

/**
 * Each project's sums per hour and day and currency only: a split by project with no other filter
 * (the summary's byProject, history grouped by project) reads a few rows per project and day here
 * instead of every model and channel of every project. Minutes have none: the few minute rows at
 * a range's edges come from the project minute rollup.
 */
export const PROJECT_TOTAL_TABLE = {
  rollup_minute: 'rollup_project_minute',
  rollup_hour: 'rollup_project_total_hour',
  rollup_day: 'rollup_project_total_day',
} as const satisfies Record<RollupTable, string>;
export const PROJECT_TOTAL_KEY_COLUMNS = ['project_id', 'currency_id'] as const;

/** The columns after the bucket that key a plain rollup row, in primary-key order. */
export const KEY_COLUMNS = ['model_id', 'channel_id', 'api_type_id', 'currency_id'] as const;
/** The columns after the bucket that key a project rollup row. */
export const PROJECT_KEY_COLUMNS = ['project_id', ...KEY_COLUMNS] as const;

/** The key's ids in KEY_COLUMNS order (or PROJECT_KEY_COLUMNS order with `withProject`). */
export function keyValues(key: RollupKey, withProject = false): number[] {
  const plain = [key.modelId, key.channelId, key.apiTypeId, key.currencyId];
  return withProject ? [key.projectId, ...plain] : plain;
}

/**
 * The ids other than the project in one exact number (20 + 16 + 8 + 8 bits) when they are small
 * (always, in practice), else a string: the ingest path stays free of string building. The project
 * is a map level of its own (see RollupDelta).
 */
function packKey(key: RollupKey): number | string {
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
}

interface Entry extends RollupKey {
  minute: number;
  sums: number[];
}

/** Which set of rollups a change goes to: both (a request), or one (a row of that set, re-priced or moved). */
type RollupSet = 'both' | 'plain' | 'project';

type KeyedEntries = Map<number | string, Entry>;

/**
 * Signed changes to the rollups, gathered in memory per minute and key while a transaction writes raw
 * rows, then written once per key and grain. Adding a request adds its sums; removing or re-pricing
 * one adds the negation, so every write path keeps the rollups equal to the raw rows.
 */
export class RollupDelta {
  // Per minute (then per project), then per key: a number packing the four ids when they are small
  // (always, in practice), which is cheaper on the ingest path than building a string per request.
  private readonly plain = new Map<number, KeyedEntries>();
  private readonly projects = new Map<number, Map<number, KeyedEntries>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A request's project (if any) also counts in the project rollups, unless `into` says one set. */
  add(ts: number, key: RollupKey, sums: readonly number[], sign: 1 | -1 = 1, into: RollupSet = 'both'): void {
    const minute = ts - (ts % MINUTE_MS);
    const packed = packKey(key);
    if (into !== 'project') {
      let inMinute = this.plain.get(minute);
      if (!inMinute) this.plain.set(minute, (inMinute = new Map()));
      this.addTo(inMinute, packed, minute, key, 0, sums, sign);
    }
    if (into !== 'plain' && key.projectId !== 0) {
      let inMinute = this.projects.get(minute);
      if (!inMinute) this.projects.set(minute, (inMinute = new Map()));
      let inProject = inMinute.get(key.projectId);
      if (!inProject) inMinute.set(key.projectId, (inProject = new Map()));
      this.addTo(inProject, packed, minute, key, key.projectId, sums, sign);
    }
  }

  private addTo(entries: KeyedEntries, packed: number | string, minute: number, key: RollupKey, projectId: number, sums: readonly number[], sign: number): void {
    let entry = entries.get(packed);
    if (!entry) {
      entry = {
        minute,
        modelId: key.modelId,
        channelId: key.channelId,
        apiTypeId: key.apiTypeId,
        currencyId: key.currencyId,
        projectId,
        sums: new Array<number>(SUM_COUNT).fill(0),
      };
      entries.set(packed, entry);
      this.count++;
    }
    const target = entry.sums;
    for (let i = 0; i < SUM_COUNT; i++) target[i]! += sign * sums[i]!;
  }

  /** Minute entries of one set (plain ones have projectId 0). */
  entries(set: 'plain' | 'project' = 'plain'): Entry[] {
    const all: Entry[] = [];
    if (set === 'plain') {
      for (const inMinute of this.plain.values()) for (const entry of inMinute.values()) all.push(entry);
    } else {
      for (const inMinute of this.projects.values()) for (const inProject of inMinute.values()) for (const entry of inProject.values()) all.push(entry);
    }
    return all;
  }

  clear(): void {
    this.plain.clear();
    this.projects.clear();
    this.count = 0;
  }
}

/**
 * Entries summed to a coarser grain (`bucketOf` maps an entry's bucket start to the coarser one);
 * `totals` sums them per project and currency only (model, channel and api type left 0). Nested maps
 * on numbers, no key strings: this runs for every grain of every write.
 */
export function regrain(entries: readonly Entry[], bucketOf: (start: number) => number, totals = false): Entry[] {
  const out: Entry[] = [];
  const byBucket = new Map<number, Map<number, Map<number | string, Entry>>>();
  for (const entry of entries) {
    const bucket = bucketOf(entry.minute);
    let inBucket = byBucket.get(bucket);
    if (!inBucket) byBucket.set(bucket, (inBucket = new Map()));
    let inProject = inBucket.get(entry.projectId);
    if (!inProject) inBucket.set(entry.projectId, (inProject = new Map()));
    const key = totals ? entry.currencyId : packKey(entry);
    const existing = inProject.get(key);
    if (existing) {
      for (let i = 0; i < SUM_COUNT; i++) existing.sums[i]! += entry.sums[i]!;
      continue;
    }
    const coarse = totals
      ? { minute: bucket, modelId: 0, channelId: 0, apiTypeId: 0, currencyId: entry.currencyId, projectId: entry.projectId, sums: [...entry.sums] }
      : { ...entry, minute: bucket, sums: [...entry.sums] };
    inProject.set(key, coarse);
    out.push(coarse);
  }
  return out;
}

const UPSERT_TARGETS: readonly { table: string; keys: readonly string[] }[] = [
  ...ROLLUP_LEVELS.map(({ table }) => ({ table, keys: KEY_COLUMNS })),
  ...ROLLUP_LEVELS.map(({ table }) => ({ table: PROJECT_TABLE[table], keys: PROJECT_KEY_COLUMNS })),
  { table: PROJECT_TOTAL_TABLE.rollup_hour, keys: PROJECT_TOTAL_KEY_COLUMNS },
  { table: PROJECT_TOTAL_TABLE.rollup_day, keys: PROJECT_TOTAL_KEY_COLUMNS },
];

/** Writes deltas into every set of rollup tables; rows whose request count drops to zero are removed. */
export class RollupWriter {
  private readonly upserts = new Map<string, Statement<unknown[]>>();
  private readonly prunes = new Map<string, Statement<unknown[]>>();
  private readonly bucketOf: Record<RollupTable, (minute: number) => number>;

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
    for (const set of ['plain', 'project'] as const) {
      const tables = set === 'plain' ? { rollup_minute: 'rollup_minute', rollup_hour: 'rollup_hour', rollup_day: 'rollup_day' } : PROJECT_TABLE;
      const keyOf = set === 'plain' ? (entry: Entry) => keyValues(entry) : (entry: Entry) => keyValues(entry, true);
      const minutes = delta.entries(set);
      if (minutes.length === 0) continue;
      this.write(tables.rollup_minute, minutes, keyOf, minuteFrom);
      // Days from minutes, not hours: in a zone whose midnight is not on the hour a day starts mid-hour.
      const hours = regrain(minutes, this.bucketOf.rollup_hour);
      const days = regrain(minutes, this.bucketOf.rollup_day);
      this.write(tables.rollup_hour, hours, keyOf);
      this.write(tables.rollup_day, days, keyOf);
      if (set === 'project') {
        const totalKey = (entry: Entry) => [entry.projectId, entry.currencyId];
        this.write(PROJECT_TOTAL_TABLE.rollup_hour, regrain(hours, (start) => start, true), totalKey);
        this.write(PROJECT_TOTAL_TABLE.rollup_day, regrain(days, (start) => start, true), totalKey);
      }
    }
    delta.clear();
  }

  private write(table: string, entries: readonly Entry[], keyOf: (entry: Entry) => number[], from = -Infinity): void {
    const upsert = this.upserts.get(table)!;
    const prune = this.prunes.get(table)!;
    for (const entry of entries) {
      if (entry.minute < from) continue;
      const key = keyOf(entry);
      upsert.run(entry.minute, ...key, ...entry.sums);
      if (entry.sums[S_REQUESTS]! < 0) prune.run(entry.minute, ...key);
    }
  }
}
