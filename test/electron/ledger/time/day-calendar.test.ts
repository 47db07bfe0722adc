import { describe, expect, it } from 'vitest';
import { machineCalendar, UTC_CALENDAR, zoneCalendar } from '../../../../electron/ledger/time/day-calendar.js';
import { useTimeZone } from './tz.js';

const HOUR = 3_600_000;

describe('day calendars', () => {
  it('UTC days start at UTC midnight', () => {
    const ts = Date.UTC(2026, 10, 22, 17, 45);
    expect(UTC_CALENDAR.dayStart(ts)).toBe(Date.UTC(2026, 10, 22));
    expect(UTC_CALENDAR.nextDay(Date.UTC(2026, 10, 22))).toBe(Date.UTC(2026, 10, 23));
  });

  it('a zone calendar starts days at that zone\'s midnight, whatever the process zone', () => {
    const shanghai = zoneCalendar('Asia/Shanghai');
    // 2026-11-22 03:00 in Shanghai is 2026-11-21 19:00 UTC; its day began at 2026-11-21 16:00 UTC.
    expect(shanghai.dayStart(Date.UTC(2026, 10, 21, 19))).toBe(Date.UTC(2026, 10, 21, 16));
    expect(shanghai.nextDay(Date.UTC(2026, 10, 21, 16))).toBe(Date.UTC(2026, 10, 22, 16));
  });

  it('DST days in Berlin are 23 and 25 hours long', () => {
    const berlin = zoneCalendar('Europe/Berlin');
    const spring = berlin.dayStart(Date.UTC(2026, 2, 29, 12));
    expect(berlin.nextDay(spring) - spring).toBe(23 * HOUR);
    const autumn = berlin.dayStart(Date.UTC(2026, 9, 25, 12));
    expect(berlin.nextDay(autumn) - autumn).toBe(25 * HOUR);
  });

  describe('in Asia/Shanghai', () => {
    useTimeZone('Asia/Shanghai');
    it('the machine calendar follows local midnight', () => {
      expect(machineCalendar().id).toBe('tz:Asia/Shanghai');
    });
  });

  describe('in Asia/Kolkata (+5:30)', () => {
    useTimeZone('Asia/Kolkata');
    it('the machine calendar follows local midnight too, at half past the UTC hour', () => {
      const calendar = machineCalendar();
      expect(calendar.id).toMatch(/^tz:Asia\/(Kolkata|Calcutta)$/);
      expect(calendar.dayStart(Date.UTC(2026, 10, 21, 18, 29))).toBe(Date.UTC(2026, 10, 20, 18, 30));
      expect(calendar.dayStart(Date.UTC(2026, 10, 21, 18, 30))).toBe(Date.UTC(2026, 10, 21, 18, 30));
    });
  });

  describe('in UTC', () => {
    useTimeZone('UTC');
    it('the machine calendar is the UTC one', () => {
      expect(machineCalendar()).toBe(UTC_CALENDAR);
    });
  });
});
