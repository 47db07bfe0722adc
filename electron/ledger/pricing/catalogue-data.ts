import { createHash } from 'node:crypto';
import { calcPrice, type ModelInfo, type Provider } from '@pydantic/genai-prices';
import { z } from 'zod';
import { ApiError } from '../../../shared/errors.js';
import { issuesToDetails } from '../input/validation.js';
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

// The part of the package's Provider shape that pricing relies on; the rest is kept as it came.
const matchLogic: z.ZodType = z.lazy(() =>
  z.union([
    z.object({ equals: z.string() }),
    z.object({ starts_with: z.string() }),
    z.object({ ends_with: z.string() }),
    z.object({ contains: z.string() }),
    z.object({ regex: z.string() }),
    z.object({ or: z.array(matchLogic) }),
    z.object({ and: z.array(matchLogic) }),
  ]),
);
const priceValue = z.union([z.number().finite().nonnegative(), z.object({ base: z.number().finite().nonnegative(), tiers: z.array(z.object({ start: z.number(), price: z.number().finite().nonnegative() })) })]);
const modelPrice = z.record(z.string(), priceValue);
const modelSchema = z.looseObject({
  id: z.string().min(1),
  match: matchLogic,
  prices: z.union([modelPrice, z.array(z.looseObject({ prices: modelPrice, constraint: z.unknown().optional() })).min(1)]),
});
const providerSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  api_pattern: z.string(),
  models: z.array(modelSchema),
  model_match: matchLogic.optional(),
  provider_match: matchLogic.optional(),
  fallback_model_providers: z.array(z.string()).optional(),
});
const dataSchema = z.array(providerSchema).min(1, 'the catalogue data holds no providers');

function invalid(reason: string, details = [{ field: '(body)', reason }]): ApiError {
  return new ApiError('validation_failed', `the downloaded catalogue data is not usable: ${reason}`, details);
}

/**
 * Parses and checks a data file as the package publishes it (a JSON array of providers). Bad JSON,
 * a wrong shape or a price constraint the package rejects all fail with a clear error.
 */
export function parseCatalogueData(text: string): Provider[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid(`not JSON (${(error as Error).message})`);
  }
  return checkCatalogueData(json);
}

/** Checks already-parsed data as parseCatalogueData does. */
export function checkCatalogueData(json: unknown): Provider[] {
  const parsed = dataSchema.safeParse(json);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error.issues).slice(0, 10);
    throw invalid(details.map((d) => `${d.field}: ${d.reason}`).join('; '), details);
  }
  const providers = parsed.data as unknown as Provider[];
  if (!providers.some((p) => p.models.length > 0)) throw invalid('no provider lists a model');
  for (const provider of providers) {
    try {
      // The package normalises and checks each provider's date and time-of-day constraints when it is
      // handed one: a name that matches nothing makes that check the only thing done.
      calcPrice({}, '\u0000', { provider });
      for (const model of provider.models) for (const regex of regexesOf(model)) new RegExp(regex);
    } catch (error) {
      throw invalid(`provider "${provider.id}": ${(error as Error).message}`, [{ field: provider.id, reason: (error as Error).message }]);
    }
  }
  return providers;
}

function regexesOf(model: ModelInfo): string[] {
  const out: string[] = [];
  const walk = (logic: unknown): void => {
    if (typeof logic !== 'object' || logic === null) return;
    const l = logic as Record<string, unknown>;
    if (typeof l['regex'] === 'string') out.push(l['regex']);
    for (const key of ['or', 'and']) if (Array.isArray(l[key])) (l[key] as unknown[]).forEach(walk);
  };
  walk(model.match);
  return out;
}

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
