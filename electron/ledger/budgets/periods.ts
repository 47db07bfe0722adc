import { TZDate } from '@date-fns/tz';
import { addDays } from 'date-fns/addDays';
import { addMonths } from 'date-fns/addMonths';
import { addWeeks } from 'date-fns/addWeeks';
import { startOfDay } from 'date-fns/startOfDay';
import { startOfWeek } from 'date-fns/startOfWeek';
import type { BudgetPeriod } from '../../../shared/schemas/budgets.js';
import type { DayCalendar } from '../time/day-calendar.js';
import type { TimeRange } from '../time/ranges.js';

export interface PeriodSettings {
  /** 1-28: the day of the month a monthly period starts on. */
  monthStartDay: number;
  /** 0 = Sunday .. 6 = Saturday. */
  weekStartDay: number;
}

/**
 * The zone the ledger's day rollups follow (its calendar is pinned when the store opens): budget
 * periods use the same local days, so a period is always a whole number of day rows.
 */
export function calendarZone(calendar: DayCalendar): string {
  return calendar.id.startsWith('tz:') ? calendar.id.slice(3) : 'UTC';
}

/**
 * The calendar period holding `ts`, [from, to) in ms, in the local zone: a day from local midnight,
 * a week from local midnight of its first day, a month from local midnight of its start day (a
 * start day of 15 makes "the month" 15 Jan - 14 Feb). DST days are 23 or 25 hours long here.
 */
export function periodAt(ts: number, period: BudgetPeriod, zone: string, settings: PeriodSettings): TimeRange {
  const local = new TZDate(ts, zone);
  if (period === 'day') {
    const from = startOfDay(local);
    return { from: from.getTime(), to: addDays(from, 1).getTime() };
  }
  if (period === 'week') {
    const from = startOfWeek(local, { weekStartsOn: settings.weekStartDay as 0 | 1 | 2 | 3 | 4 | 5 | 6 });
    return { from: from.getTime(), to: addWeeks(from, 1).getTime() };
  }
  const day = settings.monthStartDay;
  const year = local.getFullYear();
  const month = local.getMonth() - (local.getDate() >= day ? 0 : 1);
  // TZDate normalises month -1 to December of the year before, as Date does.
  const from = new TZDate(year, month, day, zone);
  return { from: from.getTime(), to: addMonths(from, 1).getTime() };
}

/** The local day starts from `from` up to `to` (exclusive), for daily points. */
export function dayStarts(range: TimeRange, zone: string): number[] {
  const starts: number[] = [];
  for (let day = startOfDay(new TZDate(range.from, zone)); day.getTime() < range.to; day = addDays(day, 1)) starts.push(day.getTime());
  return starts;
}
