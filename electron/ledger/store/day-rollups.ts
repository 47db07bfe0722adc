import type { Database } from 'better-sqlite3';
import type { DayCalendar } from '../time/day-calendar.js';
import { HOUR_MS } from '../time/ranges.js';
import { MetaEntries } from './meta-entries.js';
import { firstIdAt } from './request-ids.js';
import { RollupVersions } from './rollup-versions.js';
import { DIMENSIONS, KEY_COLUMNS, SUM_COLUMNS, SUM_COUNT } from './rollups.js';

const META_KEY = 'day_rollup_calendar';

// The raw-row sums in SUM_COLUMNS order, for hours that must be split between two days.
const RAW_SUMS = `count(*), sum(success = 0), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
  sum(cache_write_tokens), coalesce(sum(cost_nanos), 0), coalesce(sum(latency_ms), 0), count(latency_ms)`;

/**
 * Makes the day rollups follow `calendar`. When the store was last written under another calendar
 * (the machine moved to another time zone), the day rows are rebuilt from the hourly rollups. In a
 * zone whose midnight is not on the hour (India, Nepal...) the hour holding midnight is split by its
 * raw rows while they are kept, and older ones go whole to the day holding most of the hour.
 * Call inside a write transaction; returns whether a rebuild happened.
 */
export function alignDayRollups(db: Database, calendar: DayCalendar, rawFrom: number): boolean {
  const meta = new MetaEntries(db);
  const stored = meta.get(META_KEY);
  if (stored === calendar.id) return false;
  const hasDays = db.prepare(`SELECT 1 FROM rollup_day LIMIT 1`).get() !== undefined;
  if (hasDays) {
    rebuildDays(db, calendar, rawFrom, { hours: 'rollup_hour', days: 'rollup_day', keys: KEY_COLUMNS, raw: 'TRUE' });
    // Each dimension's rows follow the same calendar (their raw rows are the ones carrying it).
    for (const dim of DIMENSIONS) {
      const raw = `${dim.column} IS NOT NULL`;
      rebuildDays(db, calendar, rawFrom, { hours: dim.tables.rollup_hour, days: dim.tables.rollup_day, keys: dim.keyColumns, raw });
      rebuildDays(db, calendar, rawFrom, { hours: dim.totals.rollup_hour, days: dim.totals.rollup_day, keys: dim.totalKeyColumns, raw });
    }
    new RollupVersions(db).touchAll();
  }
  meta.set(META_KEY, calendar.id);
  return hasDays;
}

interface DaySet {
  hours: string;
  days: string;
  keys: readonly string[];
  /** Which raw rows this set sums (SQL condition). */
  raw: string;
}

function rebuildDays(db: Database, calendar: DayCalendar, rawFrom: number, set: DaySet): void {
  const keyCount = set.keys.length;
  const days = new Map<string, number[]>();
  const add = (day: number, key: readonly number[], sums: readonly number[]) => {
    const mapKey = `${day}|${key.join('|')}`;
    let total = days.get(mapKey);
    if (!total) days.set(mapKey, (total = new Array<number>(SUM_COUNT).fill(0)));
    for (let i = 0; i < SUM_COUNT; i++) total[i]! += sums[i]!;
  };
  const splitHours = new Set<number>();
  const hours = db.prepare<[], number[]>(`SELECT bucket, ${set.keys.join(', ')}, ${SUM_COLUMNS.join(', ')} FROM ${set.hours}`).raw(true);
  for (const row of hours.iterate()) {
    const hour = row[0]!;
    const day = calendar.dayStart(hour);
    if (day !== calendar.dayStart(hour + HOUR_MS - 1)) {
      if (hour >= rawFrom) {
        splitHours.add(hour);
        continue;
      }
      add(calendar.dayStart(hour + HOUR_MS / 2), row.slice(1, 1 + keyCount), row.slice(1 + keyCount));
      continue;
    }
    add(day, row.slice(1, 1 + keyCount), row.slice(1 + keyCount));
  }
  const raw = db
    .prepare<[number, number], number[]>(
      `SELECT ((id >> 10) / 60000) * 60000 AS minute, ${set.keys.map((column) => `coalesce(${column}, 0)`).join(', ')}, ${RAW_SUMS}
       FROM requests WHERE id >= ? AND id < ? AND ${set.raw} GROUP BY ${set.keys.map((_, i) => i + 1).join(', ')}, ${keyCount + 1}`,
    )
    .raw(true);
  for (const hour of splitHours) {
    // Midnights fall on whole minutes in every zone, so minutes are fine enough.
    for (const row of raw.all(firstIdAt(hour), firstIdAt(hour + HOUR_MS))) add(calendar.dayStart(row[0]!), row.slice(1, 1 + keyCount), row.slice(1 + keyCount));
  }
  db.exec(`DELETE FROM ${set.days}`);
  const insert = db.prepare<unknown[]>(
    `INSERT INTO ${set.days} (bucket, ${set.keys.join(', ')}, ${SUM_COLUMNS.join(', ')})
     VALUES (${new Array(1 + keyCount + SUM_COUNT).fill('?').join(', ')})`,
  );
  for (const [key, sums] of days) if (sums[0] !== 0) insert.run(...key.split('|').map(Number), ...sums);
}
