import type { ModelInfo, Provider } from '@pydantic/genai-prices';
import { z } from 'zod';
import { ApiError } from '../../../shared/errors.js';
import { issuesToDetails } from '../input/validation.js';
import { pricePackage } from './price-package.js';

// A downloaded data file is checked with zod on the main thread only (where it is fetched or read
// back): kept apart from catalogue-data.ts, which the writer and read workers load.

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
      pricePackage().calcPrice({}, '\u0000', { provider });
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
