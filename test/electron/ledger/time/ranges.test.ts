import { startOfDay } from 'date-fns';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { DAY_MS, HOUR_MS, resolveRange, today } from '../../../../electron/ledger/time/ranges.js';
import { useTimeZone } from './tz.js';

const NOW = Date.UTC(2024, 9, 27, 15, 42, 7, 5);

describe('today', () => {
  it('runs from local midnight to now', () => {
    expect(today(NOW)).toEqual({ from: startOfDay(NOW).getTime(), to: NOW });
    const local = new Date(today(NOW).from);
    expect([local.getHours(), local.getMinutes(), local.getSeconds(), local.getMilliseconds()]).toEqual([0, 0, 0, 0]);
  });
});

describe('today in Europe/Berlin on the day summer time ends', () => {
  useTimeZone('Europe/Berlin');

  it('starts at local midnight (22:00Z the day before, still summer time), 25 hours before the next', () => {
    expect(today(NOW)).toEqual({ from: Date.UTC(2024, 9, 26, 22), to: NOW });
    expect(today(Date.UTC(2024, 9, 27, 23, 30)).from).toBe(Date.UTC(2024, 9, 27, 23));
  });

  it('is resolved for a request with no range at all', () => {
    expect(resolveRange({}, NOW)).toEqual({ from: Date.UTC(2024, 9, 26, 22), to: NOW });
  });
});

describe('today in Asia/Kolkata', () => {
  useTimeZone('Asia/Kolkata');

  it('starts at 18:30Z of the day before', () => {
    expect(today(NOW)).toEqual({ from: Date.UTC(2024, 9, 26, 18, 30), to: NOW });
  });
});

describe('resolveRange', () => {
  it('defaults to today', () => {
    expect(resolveRange({}, NOW)).toEqual(today(NOW));
    expect(resolveRange({ range: 'today' }, NOW)).toEqual(today(NOW));
  });

  it('ends presets at now', () => {
    expect(resolveRange({ range: '1h' }, NOW)).toEqual({ from: NOW - HOUR_MS, to: NOW });
    expect(resolveRange({ range: '6h' }, NOW)).toEqual({ from: NOW - 6 * HOUR_MS, to: NOW });
    expect(resolveRange({ range: '24h' }, NOW)).toEqual({ from: NOW - DAY_MS, to: NOW });
    expect(resolveRange({ range: '7d' }, NOW)).toEqual({ from: NOW - 7 * DAY_MS, to: NOW });
    expect(resolveRange({ range: '30d' }, NOW)).toEqual({ from: NOW - 30 * DAY_MS, to: NOW });
  });

  it('takes explicit bounds as given', () => {
    expect(resolveRange({ from: 1_000, to: 5_000 }, NOW)).toEqual({ from: 1_000, to: 5_000 });
  });

  it('fills a missing to with now and a missing from with the day before to', () => {
    expect(resolveRange({ from: NOW - 5_000 }, NOW)).toEqual({ from: NOW - 5_000, to: NOW });
    expect(resolveRange({ to: 10 * DAY_MS }, NOW)).toEqual({ from: 9 * DAY_MS, to: 10 * DAY_MS });
  });

  it('refuses an empty or reversed range', () => {
    for (const input of [{ from: 5_000, to: 5_000 }, { from: 6_000, to: 5_000 }, { from: NOW + 1 }]) {
      let caught: unknown;
      try {
        resolveRange(input, NOW);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect((caught as ApiError).code).toBe('bad_request');
      expect((caught as ApiError).details?.[0]?.field).toBe('from');
    }
  });
});
