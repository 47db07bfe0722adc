import { addDays } from 'date-fns/addDays';
import { startOfDay } from 'date-fns/startOfDay';
import { ApiError } from '../../../shared/errors.js';
import { MAX_BUCKETS } from '../../../shared/query-limits.js';
import type { TimeRange } from './ranges.js';

const DAY_SECONDS = 86_400;
// Widths an automatic interval may take, in seconds; a day and its multiples follow local midnight.
const NICE_INTERVALS = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, DAY_SECONDS] as const;
const AUTO_TARGET_BUCKETS = 150;

/** Ranges longer than this are shown by whole local days (a month as 30 bars, read from day rollups). */
const DAILY_FROM_SECONDS = 10 * DAY_SECONDS;

/**
 * Ranges longer than this are shown by whole hours at least (a day as 24 bars, read from hour
 * rollups). Finer bars would be read from minute rollups, which cost a row per model, channel and
 * minute: a day in 10-minute bars was ~20x the reading and ~6x the answer of hourly bars (7,250 rows,
 * 1.6 MB for 50 models), for a chart that stacks 8 series at most. Usage dashboards show a day by the
 * hour too.
 */
const HOURLY_FROM_SECONDS = 12 * 3600;

/**
 * The smallest nice width that keeps a range within about 150 buckets, never under an hour past
 * twelve hours; whole days past ten days.
 */
export function autoInterval(range: TimeRange): number {
  const spanSeconds = (range.to - range.from) / 1000;
  if (spanSeconds <= DAILY_FROM_SECONDS) {
    const narrowest = spanSeconds > HOURLY_FROM_SECONDS ? 3600 : 0;
    for (const width of NICE_INTERVALS) if (width >= narrowest && spanSeconds / width <= AUTO_TARGET_BUCKETS) return width;
  }
  const days = Math.ceil(spanSeconds / DAY_SECONDS / AUTO_TARGET_BUCKETS);
  return days * DAY_SECONDS;
}

/** Whether buckets of this width follow local midnight rather than multiples since the epoch. */
export function isCalendarInterval(intervalSeconds: number): boolean {
  return intervalSeconds % DAY_SECONDS === 0;
}

/**
 * Bucket start times covering [from, to), the first one at or before `from`. Sub-day widths align to
 * multiples of the width since the epoch; whole days align to local midnight, counted from the local
 * midnight at or before `from` (so a DST day is 23 or 25 hours long).
 */
export function bucketStarts(range: TimeRange, intervalSeconds: number): number[] {
  const starts: number[] = [];
  const push = (ts: number) => {
    starts.push(ts);
    if (starts.length > MAX_BUCKETS) {
      throw new ApiError(
        'too_many_buckets',
        `that range and interval make more than ${MAX_BUCKETS} buckets: choose a wider interval or a shorter range`,
        [{ field: 'interval', reason: `more than ${MAX_BUCKETS} buckets` }],
      );
    }
  };
  if (isCalendarInterval(intervalSeconds)) {
    const days = intervalSeconds / DAY_SECONDS;
    const first = startOfDay(range.from);
    for (let i = 0; ; i += days) {
      const ts = addDays(first, i).getTime();
      if (ts >= range.to) break;
      push(ts);
    }
  } else {
    const width = intervalSeconds * 1000;
    for (let ts = Math.floor(range.from / width) * width; ts < range.to; ts += width) push(ts);
  }
  return starts;
}

/** Index of the bucket holding `ts` (binary search over sorted starts); -1 before the first. */
export function bucketIndex(starts: readonly number[], ts: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= ts) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
