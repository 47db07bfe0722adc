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
 * The columns after the bucket that key a rollup row, in primary-key order, with the RollupKey field
 * each holds. A new dimension (a host, say) is one more entry here, a migration rebuilding the tables
 * with it (migrations.ts rebuildRollups) and the writers filling it in.
 */
export const KEY_COLUMNS = ['model_id', 'channel_id', 'api_type_id', 'currency_id', 'project_id'] as const;
export const KEY_FIELDS = ['modelId', 'channelId', 'apiTypeId', 'currencyId', 'projectId'] as const satisfies readonly (keyof RollupKey)[];
export const KEY_COUNT = KEY_COLUMNS.length;

/** The key's ids in KEY_COLUMNS order. */
export function keyValues(key: RollupKey): number[] {
  return KEY_FIELDS.map((field) => key[field]);
}

/** A key from ids in KEY_COLUMNS order (a row read from a rollup table). */
export function keyFromValues(values: readonly number[]): RollupKey {
  return { modelId: values[0]!, channelId: values[1]!, apiTypeId: values[2]!, currencyId: values[3]!, projectId: values[4]! };
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

/**
 * Signed changes to the rollups, gathered in memory per minute and key while a transaction writes raw
 * rows, then written once per key and grain. Adding a request adds its sums; removing or re-pricing
 * one adds the negation, so every write path keeps the rollups equal to the raw rows.
 */
export class RollupDelta {
  // Per minute, then per project, then per key: a number packing the other four ids when they are
  // small (always, in practice), which is cheaper on the ingest path than building a string per request.
  private readonly byMinute = new Map<number, Map<number, Map<number | string, Entry>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(ts: number, key: RollupKey, sums: readonly number[], sign: 1 | -1 = 1): void {
    const minute = ts - (ts % MINUTE_MS);
    let inMinute = this.byMinute.get(minute);
    if (!inMinute) this.byMinute.set(minute, (inMinute = new Map()));
    let inProject = inMinute.get(key.projectId);
    if (!inProject) inMinute.set(key.projectId, (inProject = new Map()));
    const packed = packKey(key);
    let entry = inProject.get(packed);
    if (!entry) {
      entry = {
        minute,
        modelId: key.modelId,
        channelId: key.channelId,
        apiTypeId: key.apiTypeId,
        currencyId: key.currencyId,
        projectId: key.projectId,
        sums: new Array<number>(SUM_COUNT).fill(0),
      };
      inProject.set(packed, entry);
      this.count++;
    }
    const target = entry.sums;
    for (let i = 0; i < SUM_COUNT; i++) target[i]! += sign * sums[i]!;
  }

  /** The same changes summed to a coarser grain (`bucketOf` maps a minute to its bucket). */
  regrain(bucketOf: (minute: number) => number): Entry[] {
    const out = new Map<string, Entry>();
    for (const entry of this.entries()) {
      const bucket = bucketOf(entry.minute);
      const mapKey = `${bucket}|${entry.projectId}|${packKey(entry)}`;
      const existing = out.get(mapKey);
      if (existing) {
        for (let i = 0; i < SUM_COUNT; i++) existing.sums[i]! += entry.sums[i]!;
      } else {
        out.set(mapKey, { ...entry, minute: bucket, sums: [...entry.sums] });
      }
    }
    return [...out.values()];
  }

  entries(): Entry[] {
    const all: Entry[] = [];
    for (const inMinute of this.byMinute.values()) for (const inProject of inMinute.values()) for (const entry of inProject.values()) all.push(entry);
    return all;
  }

  clear(): void {
    this.byMinute.clear();
    this.count = 0;
  }
}

/** Writes deltas into the three rollup tables; rows whose request count drops to zero are removed. */
export class RollupWriter {
  private readonly upserts = new Map<RollupTable, Statement<unknown[]>>();
  private readonly prunes = new Map<RollupTable, Statement<unknown[]>>();
  private readonly bucketOf: Record<RollupTable, (minute: number) => number>;

  constructor(db: Database, calendar: DayCalendar) {
    this.bucketOf = bucketFunctions(calendar);
    const assignments = SUM_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(', ');
    for (const { table } of ROLLUP_LEVELS) {
      this.upserts.set(
        table,
        db.prepare(
          `INSERT INTO ${table} (bucket, ${KEY_COLUMNS.join(', ')}, ${SUM_COLUMNS.join(', ')})
           VALUES (${new Array(1 + KEY_COUNT + SUM_COUNT).fill('?').join(', ')})
           ON CONFLICT DO UPDATE SET ${assignments}`,
        ),
      );
      this.prunes.set(
        table,
        db.prepare(
          `DELETE FROM ${table} WHERE bucket = ? AND ${KEY_COLUMNS.map((column) => `${column} = ?`).join(' AND ')} AND requests = 0`,
        ),
      );
    }
  }

  /** Minute rows older than `minuteFrom` are not kept (see Coverage), so none are written. */
  apply(delta: RollupDelta, minuteFrom: number): void {
    if (delta.size === 0) return;
    for (const { table } of ROLLUP_LEVELS) {
      const upsert = this.upserts.get(table)!;
      const prune = this.prunes.get(table)!;
      const entries = table === 'rollup_minute' ? delta.entries() : delta.regrain(this.bucketOf[table]);
      for (const entry of entries) {
        if (table === 'rollup_minute' && entry.minute < minuteFrom) continue;
        const key = keyValues(entry);
        upsert.run(entry.minute, ...key, ...entry.sums);
        if (entry.sums[S_REQUESTS]! < 0) prune.run(entry.minute, ...key);
      }
    }
    delta.clear();
  }
}
