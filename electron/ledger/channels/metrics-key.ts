import { createHash } from 'node:crypto';

/**
 * The same endpoint written two ways must be the same channel. WHATWG URL parsing already lower-cases
 * scheme and host and drops default ports; we also drop the trailing slash, query and fragment.
 */
export function normalizeBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** First 16 hex characters of sha256(normalizedBaseUrl + "|" + apiKey): the key itself is never kept. */
export function metricsKey(baseUrl: string, apiKey: string): string {
  return createHash('sha256').update(`${normalizeBaseUrl(baseUrl)}|${apiKey}`).digest('hex').slice(0, 16);
}

/** A mask that lets a person recognise a key without revealing it: `sk-a…9xQ2`. */
export function maskKey(apiKey: string): string {
  if (apiKey.length <= 12) return '****';
  return `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
}
