// Times as the API takes them, apart from their schema: the ledger's threads use these without zod.
import { parseISO } from 'date-fns/parseISO';

// Years 1970..2200 are plenty for a usage ledger and keep encoded request ids below 2^53.
export const MIN_TIME_MS = 0;
export const MAX_TIME_MS = 7_258_118_400_000; // 2200-01-01T00:00:00Z

const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses epoch milliseconds (number or digit string) or an ISO-8601 string; undefined when invalid. */
export function parseTime(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (/^-?\d+$/.test(text)) ms = Number(text);
    // A date or date-time without an offset means the local time of the machine running the core.
    else if (ISO_8601.test(text)) ms = parseISO(text.replace(' ', 'T')).getTime();
    else return undefined;
  } else {
    return undefined;
  }
  if (!Number.isInteger(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) return undefined;
  return ms;
}
