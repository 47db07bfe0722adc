import { describe, expect, it } from 'vitest';
import { calendarZone, dayStarts, periodAt } from '../../../../electron/ledger/budgets/periods.js';
import { UTC_CALENDAR, zoneCalendar } from '../../../../electron/ledger/time/day-calendar.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DEFAULTS = { monthStartDay: 1, weekStartDay: 1 };

describe('budget periods in the local calendar', () => {
  it('take the zone the ledger pinned its day rollups to', () => {
    expect(calendarZone(zoneCalendar('Europe/Berlin'))).toBe('Europe/Berlin');
    expect(calendarZone(UTC_CALENDAR)).toBe('UTC');
  });

  it('a day is local midnight to midnight, 23 hours on the spring DST change (Berlin, 29 March 2026)', () => {
    const day = periodAt(at('2026-03-29T10:00:00Z'), 'day', 'Europe/Berlin', DEFAULTS);
    expect(day).toEqual({ from: at('2026-03-28T23:00:00Z'), to: at('2026-03-29T22:00:00Z') });
    expect(day.to - day.from).toBe(23 * HOUR);
  });

  it('a month ends at local midnight of its last day, across a DST change (Berlin, March 2026)', () => {
    // 23:30 on 31 March, local summer time: still March.
    const march = periodAt(at('2026-03-31T21:30:00Z'), 'month', 'Europe/Berlin', DEFAULTS);
    expect(march).toEqual({ from: at('2026-02-28T23:00:00Z'), to: at('2026-03-31T22:00:00Z') });
    expect(march.to - march.from).toBe(31 * DAY - HOUR);
    // 00:30 on 1 April, local: the next month.
    expect(periodAt(at('2026-03-31T22:30:00Z'), 'month', 'Europe/Berlin', DEFAULTS).from).toBe(at('2026-03-31T22:00:00Z'));
    // The last millisecond of March belongs to March, the first of April to April.
    expect(periodAt(march.to - 1, 'month', 'Europe/Berlin', DEFAULTS).from).toBe(march.from);
    expect(periodAt(march.to, 'month', 'Europe/Berlin', DEFAULTS).from).toBe(march.to);
  });

  it('a month with a start day of 15 runs from the 15th to the 14th, reaching back over a year end', () => {
    expect(periodAt(at('2026-01-10T12:00:00Z'), 'month', 'UTC', { ...DEFAULTS, monthStartDay: 15 })).toEqual({
      from: at('2025-12-15T00:00:00Z'),
      to: at('2026-01-15T00:00:00Z'),
    });
    expect(periodAt(at('2026-01-15T00:00:00Z'), 'month', 'UTC', { ...DEFAULTS, monthStartDay: 15 }).from).toBe(at('2026-01-15T00:00:00Z'));
  });

  it('a week starts on the configured first day', () => {
    // Wednesday 2 December 2026.
    const wednesday = at('2026-12-02T12:00:00Z');
    expect(periodAt(wednesday, 'week', 'UTC', { ...DEFAULTS, weekStartDay: 1 })).toEqual({ from: at('2026-11-30T00:00:00Z'), to: at('2026-12-07T00:00:00Z') });
    expect(periodAt(wednesday, 'week', 'UTC', { ...DEFAULTS, weekStartDay: 0 })).toEqual({ from: at('2026-11-29T00:00:00Z'), to: at('2026-12-06T00:00:00Z') });
    expect(periodAt(wednesday, 'week', 'UTC', { ...DEFAULTS, weekStartDay: 3 }).from).toBe(at('2026-12-02T00:00:00Z'));
  });

  it('a week over the autumn DST change is 7 days and 1 hour (New York, 1 November 2026)', () => {
    const week = periodAt(at('2026-11-03T12:00:00Z'), 'week', 'America/New_York', { ...DEFAULTS, weekStartDay: 0 });
    expect(week).toEqual({ from: at('2026-11-01T04:00:00Z'), to: at('2026-11-08T05:00:00Z') });
    expect(week.to - week.from).toBe(7 * DAY + HOUR);
  });

  it('lists the local days of a period, one per day across a DST change', () => {
    const march = periodAt(at('2026-03-15T00:00:00Z'), 'month', 'Europe/Berlin', DEFAULTS);
    const days = dayStarts(march, 'Europe/Berlin');
    expect(days).toHaveLength(31);
    // 29 March (index 28) is 23 hours long.
    expect(days[29]! - days[28]!).toBe(23 * HOUR);
    expect(days[28]! - days[27]!).toBe(DAY);
  });
});
