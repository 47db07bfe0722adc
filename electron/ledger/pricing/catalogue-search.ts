import type { ModelInfo, ModelPrice, Provider, TieredPrices } from '@pydantic/genai-prices';
import type { CatalogueEntry, CataloguePrice } from '../../../shared/types.js';
import { pricePackage } from './price-package.js';

/**
 * The package exports no list of its providers, only a lookup by id; these are the ids of 0.1.8
 * (a test checks that each resolves). A provider the package adds later is missing from search until
 * it is listed here, but still prices requests.
 */
export const CATALOGUE_PROVIDERS = [
  'anthropic', 'arcee', 'avian', 'aws', 'azure', 'baseten', 'cerebras', 'cloudflare', 'cohere', 'cursor', 'deepseek',
  'doubleword', 'fireworks', 'github-copilot', 'google', 'groq', 'minimax', 'mistral', 'modal', 'moonshotai', 'novita',
  'openai', 'openrouter', 'ovhcloud', 'perplexity', 'quicksilverpro', 'together', 'typesafe', 'voyageai', 'x-ai', 'zai', 'zhipuai',
] as const;

let providers: Provider[] | null = null;

/** The providers of the bundled data, as the package holds them. */
export function allProviders(): Provider[] {
  providers ??= CATALOGUE_PROVIDERS.map((id) => pricePackage().findProvider({ providerId: id })).filter((p): p is Provider => p !== undefined);
  return providers;
}

function toPrice(value: number | TieredPrices | undefined): CataloguePrice | null {
  if (value === undefined) return null;
  if (typeof value === 'number') return { base: value, tiers: [] };
  return { base: value.base, tiers: [...value.tiers].sort((a, b) => a.start - b.start).map(({ start, price }) => ({ start, price })) };
}

/** The prices of an entry in force at `ts` and the date they started (date-constrained periods only). */
export function pricesInForce(model: ModelInfo, ts: number): { prices: ModelPrice; since: string | null } {
  if (!Array.isArray(model.prices)) return { prices: model.prices, since: null };
  let chosen: { prices: ModelPrice; since: string | null } | null = null;
  for (const { constraint, prices } of model.prices) {
    if (constraint === undefined) chosen ??= { prices, since: null };
    else if (constraint.type === 'start_date' && Date.parse(constraint.start_date) <= ts) chosen = { prices, since: constraint.start_date };
  }
  return chosen ?? { prices: model.prices[0]!.prices, since: null };
}

/** An entry's token prices in force at `now`, as shown. */
export function entryPrices(model: ModelInfo, now: number): CatalogueEntry['prices'] {
  const { prices } = pricesInForce(model, now);
  return {
    input: toPrice(prices['input_mtok']),
    output: toPrice(prices['output_mtok']),
    cacheRead: toPrice(prices['cache_read_mtok']),
    cacheWrite: toPrice(prices['cache_write_mtok']),
    cacheWrite1h: toPrice(prices['cache_write_1h_mtok']),
  };
}

function toEntry(provider: Provider, model: ModelInfo, now: number): CatalogueEntry {
  return {
    provider: provider.id,
    providerName: provider.name,
    modelId: model.id,
    name: model.name ?? null,
    since: pricesInForce(model, now).since,
    prices: entryPrices(model, now),
  };
}

/** One entry by provider id and model id, as stored in a request's provenance. */
export function catalogueEntry(providerId: string, modelId: string, now: number): CatalogueEntry | null {
  const provider = allProviders().find((p) => p.id === providerId);
  const model = provider?.models.find((m) => m.id === modelId);
  return provider && model ? toEntry(provider, model, now) : null;
}

/**
 * Entries whose provider id, model id or name hold every word of `search` (case-insensitive), exact
 * model ids first, then by provider and id; at most `limit`.
 */
export function searchCatalogue(
  search: string,
  provider: string | undefined,
  limit: number,
  now: number,
  providers: readonly Provider[] = allProviders(),
): { entries: CatalogueEntry[]; truncated: boolean } {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const exact = search.trim().toLowerCase();
  const found: { provider: Provider; model: ModelInfo }[] = [];
  for (const p of providers) {
    if (provider !== undefined && p.id !== provider) continue;
    for (const model of p.models) {
      const text = `${p.id} ${model.id} ${model.name ?? ''}`.toLowerCase();
      if (words.every((word) => text.includes(word))) found.push({ provider: p, model });
    }
  }
  found.sort((a, b) => Number(b.model.id === exact) - Number(a.model.id === exact) || a.provider.id.localeCompare(b.provider.id) || a.model.id.localeCompare(b.model.id));
  return { entries: found.slice(0, limit).map(({ provider: p, model }) => toEntry(p, model, now)), truncated: found.length > limit };
}
