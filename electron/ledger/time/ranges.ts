import { startOfDay } from 'date-fns/startOfDay';
import { ApiError } from '../../../shared/errors.js';
import type { RangePreset } from '../../../shared/schemas/queries.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const PRESET_SPANS: Record<Exclude<RangePreset, 'today'>, number> = {
  '1h': HOUR_MS,
  '6h': 6 * HOUR_MS,
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
};

export interface TimeRange {
  from: number;
  to: number;
}

export interface RangeInput {
  from?: number | undefined;
  to?: number | undefined;
  range?: RangePreset | undefined;
}

/** "today" starts at local midnight of the machine running the core. */
export function today(now: number): TimeRange {
  return { from: startOfDay(now).getTime(), to: now };
}

/**
 * A half-open range [from, to). A preset ends now; a preset and explicit bounds together are refused;
 * with neither, the range is today. A missing `to` is now; a missing `from` with a `to` is the day before `to`.
 */
export function resolveRange(input: RangeInput, now: number): TimeRange {
  if (input.from === undefined && input.to === undefined) {
    if (input.range === undefined || input.range === 'today') return today(now);
    return { from: now - PRESET_SPANS[input.range], to: now };
  }
  if (input.range !== undefined) {
    throw new ApiError('bad_request', 'give either range or from/to, not both');
  }
  const to = input.to ?? now;
  const from = input.from ?? to - DAY_MS;
  assertOrdered(from, to);
  return { from, to };
}

/** Throws 400 unless from < to; either bound may be missing (open-ended lists). */
export function assertOrdered(from: number | undefined, to: number | undefined): void {
  if (from === undefined || to === undefined || from < to) return;
  throw new ApiError('bad_request', `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`, [
    { field: 'from', reason: 'must be before to' },
  ]);
}
