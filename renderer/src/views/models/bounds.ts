import type { RangeChoice } from '../../lib/state/range.svelte.js';

const SPANS_MS = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;

/**
 * The window of a range choice at `now`, for the queries that take only from/to (runs, the request
 * log). "today" starts at local midnight, like the core's own "today" when both run on one machine.
 */
export function boundsOf(choice: RangeChoice, now: number): { from: number; to: number } {
  if (choice.preset === 'custom') return { from: choice.from, to: choice.to };
  if (choice.preset === 'today') {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    // One millisecond past midnight at least: the API wants from < to.
    return { from: midnight.getTime(), to: Math.max(now, midnight.getTime() + 1) };
  }
  return { from: now - SPANS_MS[choice.preset], to: now };
}
