import { createHmac } from 'node:crypto';

/**
 * A token that unlocks the proxy's held keys but not the API: clients' config files and environment
 * variables then need not hold the API token (which reads and rewrites everything, keys included).
 * It is derived from the API token, so it needs no storage of its own, changes when the API token
 * does, and does not reveal the API token. Anyone can compute it from the API token:
 * `printf modelmeter-proxy | openssl dgst -sha256 -hmac "$TOKEN" -binary | base64 | tr '+/' '-_' | tr -d =`
 * with `mmp-` in front.
 */
export function proxyTokenFor(apiToken: string): string {
  return `mmp-${createHmac('sha256', apiToken).update('modelmeter-proxy').digest('base64url')}`;
}
