import { addDays, startOfDay } from 'date-fns';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { MAX_BUCKETS } from '../../../../shared/schemas/queries.js';
import { autoInterval, bucketIndex, bucketStarts, isCalendarInterval } from '../../../../electron/ledger/time/buckets.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../../electron/ledger/time/ranges.js';
import { useTimeZone } from './tz.js';

const T0 = Date.UTC(2024, 2, 14, 9, 37, 12, 345);

describe('autoInterval', () => {
  const span = (ms: number) => autoInterval({ from: T0, to: T0 + ms });

  it('picks the smallest nice width that keeps about 150 buckets or fewer, up to ten days', () => {
    expect(span(HOUR_MS)).toBe(60);
    expect(span(150 * MINUTE_MS)).toBe(60);
    expect(span(150 * MINUTE_MS + 1)).toBe(300);
    expect(span(6 * HOUR_MS)).toBe(300);
    expect(span(12 * HOUR_MS)).toBe(300);
    expect(span(7 * DAY_MS)).toBe(7200);
    expect(span(10 * DAY_MS)).toBe(7200);
  });

  it('shows ranges longer than twelve hours by whole hours at least (read from hour rollups)', () => {
    // 12 h + 1 ms would fit in 150 five-minute buckets: the hour floor is what makes it hourly.
    expect(span(12 * HOUR_MS + 1)).toBe(3600);
    expect(span(DAY_MS)).toBe(3600);
    expect(span(DAY_MS + 90 * MINUTE_MS)).toBe(3600);
    expect(span(150 * HOUR_MS)).toBe(3600);
    expect(span(150 * HOUR_MS + 1)).toBe(7200);
  });

  it('shows ranges longer than ten days by whole days', () => {
    expect(span(10 * DAY_MS + 1)).toBe(86_400);
    expect(span(30 * DAY_MS)).toBe(86_400);
    expect(span(150 * DAY_MS)).toBe(86_400);
  });

  it('goes to whole multiples of a day beyond 150 days', () => {
    expect(span(150 * DAY_MS + 1)).toBe(2 * 86_400);
    expect(span(365 * DAY_MS)).toBe(3 * 86_400);
    for (const days of [200, 400, 1000]) {
      const width = span(days * DAY_MS);
      expect(width % 86_400).toBe(0);
      expect(days / (width / 86_400)).toBeLessThanOrEqual(150);
    }
  });
});

describe('isCalendarInterval', () => {
  it('is true for whole days only', () => {
    expect(isCalendarInterval(86_400)).toBe(true);
    expect(isCalendarInterval(7 * 86_400)).toBe(true);
    expect(isCalendarInterval(43_200)).toBe(false);
    expect(isCalendarInterval(129_600)).toBe(false);
  });
});

describe('bucketStarts, sub-day widths', () => {
  it('aligns to multiples of the width since the epoch, the first at or before from', () => {
    const starts = bucketStarts({ from: T0, to: T0 + 20 * MINUTE_MS }, 300);
    expect(starts[0]).toBe(Math.floor(T0 / 300_000) * 300_000);
    expect(starts[0]).toBeLessThanOrEqual(T0);
    for (const start of starts) expect(start % 300_000).toBe(0);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(300_000);
    expect(starts[starts.length - 1]).toBeLessThan(T0 + 20 * MINUTE_MS);
    expect(starts[starts.length - 1]! + 300_000).toBeGreaterThanOrEqual(T0 + 20 * MINUTE_MS);
  });

  it('covers [from, to) exactly: a bucket starting at to is not included', () => {
    const from = 10 * HOUR_MS;
    expect(bucketStarts({ from, to: from + 2 * HOUR_MS }, 3600)).toEqual([from, from + HOUR_MS]);
    expect(bucketStarts({ from, to: from + 2 * HOUR_MS + 1 }, 3600)).toEqual([from, from + HOUR_MS, from + 2 * HOUR_MS]);
  });

  it('handles widths that do not divide an hour', () => {
    const starts = bucketStarts({ from: 1_000_000, to: 1_000_000 + 100_000 }, 7);
    expect(starts[0]).toBe(994_000);
    expect(starts.every((start) => start % 7_000 === 0)).toBe(true);
  });
});

describe('bucketStarts, too many buckets', () => {
  it('allows exactly MAX_BUCKETS buckets', () => {
    expect(bucketStarts({ from: 0, to: MAX_BUCKETS * MINUTE_MS }, 60)).toHaveLength(MAX_BUCKETS);
  });

  it('refuses more with a too_many_buckets error naming the interval', () => {
    let caught: unknown;
    try {
      bucketStarts({ from: 0, to: MAX_BUCKETS * MINUTE_MS + 1 }, 60);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe('too_many_buckets');
    expect((caught as ApiError).status).toBe(400);
    expect((caught as ApiError).details?.[0]?.field).toBe('interval');
  });

  it('refuses too many day buckets as well', () => {
    expect(() => bucketStarts({ from: 0, to: (MAX_BUCKETS + 2) * DAY_MS }, 86_400)).toThrow(ApiError);
  });
});

describe('bucketIndex', () => {
  const starts = [100, 200, 300, 400];

  it('finds the bucket holding a time, starts inclusive', () => {
    expect(bucketIndex(starts, 100)).toBe(0);
    expect(bucketIndex(starts, 199)).toBe(0);
    expect(bucketIndex(starts, 200)).toBe(1);
    expect(bucketIndex(starts, 450)).toBe(3);
  });

  it('is -1 before the first bucket', () => {
    expect(bucketIndex(starts, 99)).toBe(-1);
    expect(bucketIndex([], 5)).toBe(-1);
  });
});

/** Day buckets as the product defines them, computed independently with date-fns in the current zone. */
function localDays(from: number, to: number, days = 1): number[] {
  const out: number[] = [];
  const first = startOfDay(from);
  for (let i = 0; ; i += days) {
    const ts = addDays(first, i).getTime();
    if (ts >= to) return out;
    out.push(ts);
  }
}

function checkLocalDays(): void {
  const from = Date.UTC(2024, 2, 20, 15);
  const to = Date.UTC(2024, 3, 5, 3);
  const starts = bucketStarts({ from, to }, 86_400);
  expect(starts).toEqual(localDays(from, to));
  for (const start of starts) {
    const local = new Date(start);
    expect([local.getHours(), local.getMinutes(), local.getSeconds(), local.getMilliseconds()]).toEqual([0, 0, 0, 0]);
  }
  expect(bucketStarts({ from, to }, 3 * 86_400)).toEqual(localDays(from, to, 3));
}

describe('bucketStarts, day widths in the machine time zone', () => {
  it('starts at local midnight at or before from', () => {
    checkLocalDays();
  });
});

describe('bucketStarts, day widths across a DST change (Europe/Berlin)', () => {
  useTimeZone('Europe/Berlin');

  it('starts every bucket at local midnight, so the change day is 23 hours long', () => {
    checkLocalDays();
    // Berlin moved to summer time on 2024-03-31: local midnight is 23:00Z before, 22:00Z after.
    const starts = bucketStarts({ from: Date.UTC(2024, 2, 29, 12), to: Date.UTC(2024, 3, 2, 12) }, 86_400);
    expect(starts).toEqual([
      Date.UTC(2024, 2, 28, 23),
      Date.UTC(2024, 2, 29, 23),
      Date.UTC(2024, 2, 30, 23),
      Date.UTC(2024, 2, 31, 22),
      Date.UTC(2024, 3, 1, 22),
    ]);
    expect(starts[3]! - starts[2]!).toBe(23 * HOUR_MS);
  });

  it('makes the autumn change day 25 hours long', () => {
    const starts = bucketStarts({ from: Date.UTC(2024, 9, 26, 12), to: Date.UTC(2024, 9, 28, 12) }, 86_400);
    expect(starts).toEqual([Date.UTC(2024, 9, 25, 22), Date.UTC(2024, 9, 26, 22), Date.UTC(2024, 9, 27, 23)]);
    expect(starts[2]! - starts[1]!).toBe(25 * HOUR_MS);
  });

  it('keeps sub-day buckets epoch-aligned whatever the zone', () => {
    const starts = bucketStarts({ from: Date.UTC(2024, 2, 31, 0, 10), to: Date.UTC(2024, 2, 31, 3) }, 3600);
    expect(starts).toEqual([Date.UTC(2024, 2, 31, 0), Date.UTC(2024, 2, 31, 1), Date.UTC(2024, 2, 31, 2)]);
  });
});

describe('bucketStarts, day widths with a half-hour offset (Asia/Kolkata)', () => {
  useTimeZone('Asia/Kolkata');

  it('starts day buckets at 18:30Z, local midnight', () => {
    checkLocalDays();
    expect(bucketStarts({ from: Date.UTC(2024, 0, 10, 12), to: Date.UTC(2024, 0, 11, 18, 30) }, 86_400)).toEqual([
      Date.UTC(2024, 0, 9, 18, 30),
      Date.UTC(2024, 0, 10, 18, 30),
    ]);
  });
});
