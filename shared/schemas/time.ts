import { z } from 'zod';
import { parseTime } from '../time-values.js';

export { MAX_TIME_MS, MIN_TIME_MS, parseTime } from '../time-values.js';

/** A point in time: epoch ms or ISO-8601, always handed on as epoch ms. */
export const timeSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseTime(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected epoch milliseconds (integer, 1970..2200) or an ISO-8601 date-time',
    });
    return z.NEVER;
  }
  return ms;
});
