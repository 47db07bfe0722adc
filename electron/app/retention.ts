import { DAY_MS, HOUR_MS } from '../ledger/time/ranges.js';

/** Raw rows before this time are past retention: `days` before now, down to the hour. */
export function retentionCutoff(now: number, days: number): number {
  return Math.floor((now - days * DAY_MS) / HOUR_MS) * HOUR_MS;
}
