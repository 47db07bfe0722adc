import type { Database } from 'better-sqlite3';
import type { DayCalendar } from '../time/day-calendar.js';
import { HOUR_MS } from '../time/ranges.js';
import { KEY_COLUMNS, KEY_COUNT, SUM_COLUMNS, SUM_COUNT } from './rollups.js';

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
  const stored = db.prepare<[string], { value: string }>(`SELECT value FROM meta WHERE key = ?`).get(META_KEY)?.value;
  if (stored === calendar.id) return false;
  const hasDays = db.prepare(`SELECT 1 FROM rollup_day LIMIT 1`).get() !== undefined;
  if (hasDays) {
    const days = new Map<string, number[]>();
    const add = (day: number, key: readonly number[], sums: readonly number[]) => {
      const mapKey = `${day}|${key.join('|')}`;
      let total = days.get(mapKey);
      if (!total) days.set(mapKey, (total = new Array<number>(SUM_COUNT).fill(0)));
      for (let i = 0; i < SUM_COUNT; i++) total[i]! += sums[i]!;
    };
    const splitHours = new Set<number>();
    const hours = db
      .prepare<[], number[]>(`SELECT bucket, ${KEY_COLUMNS.join(', ')}, ${SUM_COLUMNS.join(', ')} FROM rollup_hour`)
      .raw(true);
    for (const row of hours.iterate()) {
      const hour = row[0]!;
      const day = calendar.dayStart(hour);
      if (day !== calendar.dayStart(hour + HOUR_MS - 1)) {
        if (hour >= rawFrom) {
          splitHours.add(hour);
          continue;
        }
        add(calendar.dayStart(hour + HOUR_MS / 2), row.slice(1, 1 + KEY_COUNT), row.slice(1 + KEY_COUNT));
        continue;
      }
      add(day, row.slice(1, 1 + KEY_COUNT), row.slice(1 + KEY_COUNT));
    }
    const raw = db
      .prepare<[number, number], number[]>(
        `SELECT ((id >> 10) / 60000) * 60000 AS minute, ${KEY_COLUMNS.map((column) => `coalesce(${column}, 0)`).join(', ')}, ${RAW_SUMS}
         FROM requests WHERE id >= ? AND id < ? GROUP BY ${KEY_COLUMNS.map((_, i) => i + 1).join(', ')}, ${KEY_COUNT + 1}`,
      )
      .raw(true);
    for (const hour of splitHours) {
      // Midnights fall on whole minutes in every zone, so minutes are fine enough.
      for (const row of raw.all(hour * 1024, (hour + HOUR_MS) * 1024)) add(calendar.dayStart(row[0]!), row.slice(1, 1 + KEY_COUNT), row.slice(1 + KEY_COUNT));
    }
    db.exec(`DELETE FROM rollup_day`);
    const insert = db.prepare<unknown[]>(
      `INSERT INTO rollup_day (bucket, ${KEY_COLUMNS.join(', ')}, ${SUM_COLUMNS.join(', ')})
       VALUES (${new Array(1 + KEY_COUNT + SUM_COUNT).fill('?').join(', ')})`,
    );
    for (const [key, sums] of days) if (sums[0] !== 0) insert.run(...key.split('|').map(Number), ...sums);
  }
  db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(META_KEY, calendar.id);
  return hasDays;
}
