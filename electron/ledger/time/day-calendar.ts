import { TZDate } from '@date-fns/tz';
import { addDays } from 'date-fns/addDays';
import { startOfDay } from 'date-fns/startOfDay';
import { DAY_MS, HOUR_MS } from './ranges.js';

/**
 * Where days begin for the day rollups: local midnight of the machine's zone, so "today", a week and
 * a month of local days are read from day rows. The zone is pinned when the store opens, so a TZ
 * change while running cannot mix two calendars; a store opened under another zone rebuilds its day
 * rows (see store/day-rollups.ts).
 */
export interface DayCalendar {
  /** Stored with the rollups: a different id at open means they are rebuilt. */
  readonly id: string;
  dayStart(ts: number): number;
  nextDay(dayStart: number): number;
}

export const UTC_CALENDAR: DayCalendar = {
  id: 'utc',
  dayStart: (ts) => ts - (((ts % DAY_MS) + DAY_MS) % DAY_MS),
  nextDay: (dayStart) => dayStart + DAY_MS,
};

export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// Every zone's offset is a multiple of 15 minutes, so a quarter hour never straddles a midnight.
const QUARTER_HOUR_MS = HOUR_MS / 4;

export function zoneCalendar(zone: string): DayCalendar {
  const starts = new Map<number, number>();
  return {
    id: `tz:${zone}`,
    dayStart(ts) {
      // Many rollup entries share a quarter hour: remember each one's day start.
      const quarter = ts - (((ts % QUARTER_HOUR_MS) + QUARTER_HOUR_MS) % QUARTER_HOUR_MS);
      let start = starts.get(quarter);
      if (start === undefined) {
        if (starts.size > 50_000) starts.clear();
        start = startOfDay(new TZDate(quarter, zone)).getTime();
        starts.set(quarter, start);
      }
      return start;
    },
    nextDay: (dayStart) => addDays(new TZDate(dayStart, zone), 1).getTime(),
  };
}

/** The calendar for this machine now. */
export function machineCalendar(): DayCalendar {
  const zone = machineTimeZone();
  return zone === 'UTC' || zone === 'Etc/UTC' ? UTC_CALENDAR : zoneCalendar(zone);
}
