import { createHash } from 'node:crypto';
import type { Provider } from '@pydantic/genai-prices';
import { CATALOGUE_VERSION } from './catalogue-version.js';

/**
 * Which price data the catalogue prices with: the package's bundled data, or a data file the user
 * downloaded and confirmed. The package's `updatePrices` hook is not used: it swaps one global data set
 * for every caller, while a preview needs the current and the candidate data side by side, and going
 * back to the bundled data would need a copy of it the package does not export. Instead a downloaded
 * provider list is handed to the package's own `calcPrice` through its `provider` option (matching and
 * date/time constraints stay the package's); only choosing the provider within the list is done here.
 */
export interface CatalogueData {
  kind: 'bundled' | 'downloaded';
  /** The version written into each cost's provenance: "0.1.8", or "0.1.8+data.2026-12-02.ab12cd34". */
  version: string;
  /** The downloaded data's date (its Last-Modified, else when it was fetched), YYYY-MM-DD; null when bundled. */
  date: string | null;
  /** The provider list of a downloaded file; null for the bundled data (the package's own). */
  providers: Provider[] | null;
}

export const BUNDLED_CATALOGUE: CatalogueData = { kind: 'bundled', version: CATALOGUE_VERSION, date: null, providers: null };

/** Downloaded data files are a few MB; anything far larger is not the catalogue. */
export const CATALOGUE_DATA_MAX_BYTES = 32 * 1024 * 1024;

/** Downloaded data, named by its date and content hash so each cost it prices can be traced to it. */
export function downloadedCatalogue(providers: Provider[], text: string, date: string): CatalogueData {
  const sha = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return { kind: 'downloaded', version: `${CATALOGUE_VERSION}+data.${date}.${sha}`, date, providers };
}

/** The downloaded data's date in a version written by downloadedCatalogue, or null. */
export function downloadedDateOf(version: string): string | null {
  return /\+data\.(\d{4}-\d{2}-\d{2})\./.exec(version)?.[1] ?? null;
}

/**
 * The provider a request is priced under in a downloaded list, by the package's own order: the id (or
 * a provider_match), else the first provider whose model_match takes the model name.
 */
export function findProviderIn(providers: readonly Provider[], providerId: string | undefined, modelId: string): Provider | undefined {
  if (providerId !== undefined) {
    const id = providerId.toLowerCase().trim();
    return providers.find((p) => p.id === id) ?? providers.find((p) => p.provider_match !== undefined && matches(p.provider_match, id));
  }
  return providers.find((p) => p.model_match !== undefined && matches(p.model_match, modelId));
}

/** The package's match rule, for choosing a provider only (a model is matched by calcPrice itself). */
function matches(logic: Provider['models'][number]['match'], text: string): boolean {
  const t = text.toLowerCase();
  if ('or' in logic) return logic.or.some((l) => matches(l, text));
  if ('and' in logic) return logic.and.every((l) => matches(l, text));
  if ('equals' in logic) return t === logic.equals.toLowerCase();
  if ('starts_with' in logic) return t.startsWith(logic.starts_with.toLowerCase());
  if ('ends_with' in logic) return t.endsWith(logic.ends_with.toLowerCase());
  if ('contains' in logic) return t.includes(logic.contains.toLowerCase());
  return new RegExp(logic.regex).test(text);
}
