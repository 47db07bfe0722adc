import type { FailureClass } from '../../../shared/schemas/request-record.js';

/** Statuses that say "try elsewhere": server errors, rate limits, and Anthropic's 529 overloaded. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/**
 * Words of an exhausted quota or billing problem, as the providers write them: OpenAI's
 * `insufficient_quota` ("You exceeded your current quota, please check your plan and billing
 * details"), Anthropic's "credit balance is too low", generic "quota exceeded" / "out of credits".
 * A plain rate limit ("Rate limit reached ... tokens per min") is none of these.
 */
const QUOTA_WORDS = /insufficient[_ ]quota|exceeded your current quota|quota[_ ](?:exceeded|exhausted)|billing|credit balance|out of credits|payment required/i;

/**
 * The failure class of an upstream answer that is not a success (product.md section 1): 529 is
 * `overloaded`; 429 is `quota` when its body says the quota is used up, else `retryable`; other 5xx
 * are `retryable`; other 4xx (401 and 403 too) are `non_retryable`.
 */
export function classifyStatus(status: number, body: Buffer | null): FailureClass {
  if (status === 529) return 'overloaded';
  if (status === 429) return body !== null && QUOTA_WORDS.test(body.toString('utf8', 0, Math.min(body.length, 16_384))) ? 'quota' : 'retryable';
  if (status >= 500) return 'retryable';
  return 'non_retryable';
}

/** Statuses the proxy counts as answered well: not an error (1xx-3xx; 2xx in practice). */
export function isSuccessStatus(status: number): boolean {
  return status < 400;
}
