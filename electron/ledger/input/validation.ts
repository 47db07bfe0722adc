import type { z } from 'zod';
import { ApiError, type ErrorDetail } from '../../../shared/errors.js';

/** Zod issues as our error details: a dotted field path and a reason a person can act on. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], index?: number): ErrorDetail[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      return withIndex({ field: keys.map((key) => (path ? `${path}.${key}` : key)).join(', '), reason: `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}` }, index);
    }
    return withIndex({ field: path || '(body)', reason: issue.message }, index);
  });
}

function withIndex(detail: ErrorDetail, index: number | undefined): ErrorDetail {
  return index === undefined ? detail : { index, ...detail };
}

/** Parses with a schema or throws a validation error naming every problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues);
  throw new ApiError('validation_failed', `invalid ${what}: ${details.map((d) => `${d.field}: ${d.reason}`).join('; ')}`, details);
}
