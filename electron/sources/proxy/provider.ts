import { pricePackage } from '../../ledger/pricing/price-package.js';

const byBaseUrl = new Map<string, string | null>();

/**
 * The catalogue provider an upstream's base URL belongs to (api.anthropic.com -> "anthropic"), or
 * null for a URL the catalogue does not know (a gateway, a local server). Memoised: the catalogue
 * tests each provider's URL pattern.
 */
export function providerOfBaseUrl(baseUrl: string): string | null {
  let provider = byBaseUrl.get(baseUrl);
  if (provider === undefined) {
    provider = pricePackage().findProvider({ providerApiUrl: baseUrl })?.id ?? null;
    byBaseUrl.set(baseUrl, provider);
  }
  return provider;
}
