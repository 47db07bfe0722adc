import type { ModelInfo, ModelPrice, PriceCalculationResult, TieredPrices } from '@pydantic/genai-prices';
import { BUNDLED_CATALOGUE, findProviderIn, type CatalogueData } from './catalogue-data.js';
import { CATALOGUE_PACKAGE } from './catalogue-version.js';
import { pricePackage } from './price-package.js';
import { roundedQuotient, toNanos } from './rules.js';

export { CATALOGUE_PACKAGE, CATALOGUE_VERSION } from './catalogue-version.js';
/** The catalogue's prices are in US dollars. */
export const CATALOGUE_CURRENCY = 'USD';

/** The token counts a catalogue price applies to; inputTokens excludes cache reads and writes, as in the ledger. */
export interface CatalogueUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** The part of cacheWriteTokens written with Anthropic's 1-hour lifetime. */
  cacheWrite1hTokens?: number | undefined;
}

export interface CatalogueMatch {
  providerId: string;
  model: ModelInfo;
  /** "provider/model-id", the entry a stored cost came from. */
  entry: string;
  compiled: CompiledCatalogueModel;
  /** The provenance stored with each cost: package, version and entry. */
  sourceName: string;
}

// Proxy protocols and common apiType values mapped to the catalogue's provider ids. A local api type
// (ollama, llama.cpp) is absent on purpose: local models are never catalogue-priced.
const PROVIDER_OF_API_TYPE: Readonly<Record<string, string>> = {
  openai: 'openai',
  'openai-responses': 'openai',
  responses: 'openai',
  chat: 'openai',
  anthropic: 'anthropic',
  messages: 'anthropic',
  claude: 'anthropic',
  gemini: 'google',
  google: 'google',
  vertex: 'google',
  deepseek: 'deepseek',
  mistral: 'mistral',
};

export function providerOfApiType(apiType: string | null | undefined): string | undefined {
  return apiType ? PROVIDER_OF_API_TYPE[apiType] : undefined;
}

const DATE_SUFFIX = /@(\d{4})-?(\d{2})-?(\d{2})$/;

/**
 * Names as clients send them, reduced to the catalogue's: "openai/gpt-5", "models/gemini-2.5-pro",
 * "claude-sonnet-4-5@20250929" (Vertex), "deepseek-chat:free", "mistral-large-latest". The provider
 * prefix, when there is one, is returned as a provider hint.
 */
export function normaliseModelName(name: string): { model: string; providerHint: string | undefined } {
  let model = name.trim().toLowerCase();
  let providerHint: string | undefined;
  const slash = model.lastIndexOf('/');
  if (slash >= 0) {
    const prefix = model.slice(0, slash).split('/').filter((part) => part !== 'models');
    providerHint = prefix.length > 0 ? prefix[prefix.length - 1] : undefined;
    model = model.slice(slash + 1);
  }
  model = model.replace(DATE_SUFFIX, '-$1$2$3').replace(/:(free|beta|thinking|online|extended|nitro|floor)$/, '');
  model = model.replace(/-latest$/, '');
  return { model, providerHint };
}

/** The package's own lookup: over its bundled data, or over a downloaded provider list handed to it. */
export function lookUp(model: string, providerId: string | undefined, data: CatalogueData): PriceCalculationResult {
  if (data.providers === null) return pricePackage().calcPrice({}, model, providerId === undefined ? {} : { providerId });
  const provider = findProviderIn(data.providers, providerId, model);
  if (provider === undefined) return null;
  const found = pricePackage().calcPrice({}, model, { provider });
  if (found) return found;
  // With a provider passed in, the package would look for fallbacks in its bundled data: they are
  // looked up in the downloaded list instead.
  for (const id of provider.fallback_model_providers ?? []) {
    const fallback = data.providers.find((p) => p.id === id);
    const result = fallback && pricePackage().calcPrice({}, model, { provider: fallback });
    if (result) return result;
  }
  return null;
}

function matchOnce(model: string, providerId: string | undefined, data: CatalogueData): CatalogueMatch | null {
  const result = lookUp(model, providerId, data);
  if (!result || !hasTokenPrices(result.model)) return null;
  const entry = `${result.provider.id}/${result.model.id}`;
  return {
    providerId: result.provider.id,
    model: result.model,
    entry,
    compiled: compileCatalogueModel(result.model),
    sourceName: `${CATALOGUE_PACKAGE}@${data.version} ${entry}`,
  };
}

function hasTokenPrices(model: ModelInfo): boolean {
  const all = Array.isArray(model.prices) ? model.prices.map((p) => p.prices) : [model.prices];
  return all.some((prices) => prices['input_mtok'] !== undefined || prices['output_mtok'] !== undefined);
}

/**
 * Finds the catalogue entry of a model: as named, then normalised, with the given provider, then the
 * provider the name carries, then any provider whose models it matches.
 */
export function matchCatalogue(name: string, provider: string | undefined, data: CatalogueData = BUNDLED_CATALOGUE): CatalogueMatch | null {
  const { model, providerHint } = normaliseModelName(name);
  const lowered = name.trim().toLowerCase();
  const providers = [...new Set([provider?.toLowerCase(), providerHint, undefined])];
  for (const candidate of providers) {
    const found = matchOnce(lowered, candidate, data) ?? (model === lowered ? null : matchOnce(model, candidate, data));
    // A provider that lacks the model falls through: an OpenAI-compatible api type often fronts
    // another vendor's models (deepseek-chat over the openai protocol).
    if (found) return found;
  }
  return null;
}

/**
 * Matches memoised per (model, provider): matching walks the catalogue, pricing a match is a lookup.
 * One matcher prices with one data set; a newer data set gets a new matcher.
 */
export class CatalogueMatcher {
  private readonly cache = new Map<string, CatalogueMatch | null>();

  constructor(readonly data: CatalogueData = BUNDLED_CATALOGUE) {}

  match(model: string, provider: string | undefined): CatalogueMatch | null {
    const key = provider === undefined ? model : `${provider}\u0000${model}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found = matchCatalogue(model, provider, this.data);
      this.cache.set(key, found);
    }
    return found;
  }
}

function secondsOfDay(time: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(time);
  if (!m) return Number.NaN;
  const offset = m[5] === 'Z' ? 0 : (m[6] === '+' ? 1 : -1) * (Number(m[7]) * 3600 + Number(m[8]) * 60);
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4] ?? ''}`);
  return (seconds - offset + 86_400) % 86_400;
}

/** A price per 1M tokens in nanos; tiers (ascending) apply to prompts larger than their start. */
interface CompiledPrice {
  base: number;
  tiers: { start: number; nanos: number }[];
}

/** One catalogue price set, compiled once so that pricing a request allocates nothing. */
export interface CompiledCataloguePrice {
  input: CompiledPrice | null;
  output: CompiledPrice | null;
  cacheRead: CompiledPrice | null;
  cacheWrite: CompiledPrice | null;
  cacheWrite1h: CompiledPrice | null;
  /** requests_kcount: a price per 1,000 requests. */
  perRequest: CompiledPrice | null;
}

type Period =
  | { kind: 'always'; price: CompiledCataloguePrice }
  | { kind: 'from'; fromMs: number; price: CompiledCataloguePrice }
  | { kind: 'daily'; start: number; end: number; price: CompiledCataloguePrice };

/** A catalogue entry's prices over time, compiled. */
export interface CompiledCatalogueModel {
  periods: Period[];
}

function compilePrice(price: number | TieredPrices | undefined): CompiledPrice | null {
  if (price === undefined) return null;
  if (typeof price === 'number') return { base: toNanos(price), tiers: [] };
  return {
    base: toNanos(price.base),
    tiers: [...price.tiers].sort((a, b) => a.start - b.start).map((tier) => ({ start: tier.start, nanos: toNanos(tier.price) })),
  };
}

function compilePrices(prices: ModelPrice): CompiledCataloguePrice {
  return {
    input: compilePrice(prices['input_mtok']),
    output: compilePrice(prices['output_mtok']),
    cacheRead: compilePrice(prices['cache_read_mtok']),
    cacheWrite: compilePrice(prices['cache_write_mtok']),
    cacheWrite1h: compilePrice(prices['cache_write_1h_mtok']),
    perRequest: compilePrice(prices['requests_kcount']),
  };
}

export function compileCatalogueModel(model: ModelInfo): CompiledCatalogueModel {
  if (!Array.isArray(model.prices)) return { periods: [{ kind: 'always', price: compilePrices(model.prices) }] };
  return {
    periods: model.prices.map(({ constraint, prices }): Period => {
      const price = compilePrices(prices);
      if (constraint === undefined) return { kind: 'always', price };
      if (constraint.type === 'start_date') return { kind: 'from', fromMs: Date.parse(constraint.start_date), price };
      return { kind: 'daily', start: secondsOfDay(constraint.start_time), end: secondsOfDay(constraint.end_time), price };
    }),
  };
}

/** The prices in force at `ts`, by the package's own rule: the last constraint that holds wins, else the first. */
export function catalogueAt(model: CompiledCatalogueModel, ts: number): CompiledCataloguePrice {
  const { periods } = model;
  if (periods.length === 1) return periods[0]!.price;
  for (let i = periods.length - 1; i >= 0; i--) {
    const period = periods[i]!;
    if (period.kind === 'always') return period.price;
    if (period.kind === 'from') {
      if (ts >= period.fromMs) return period.price;
    } else {
      const now = (((ts % 86_400_000) + 86_400_000) % 86_400_000) / 1000;
      if (period.end < period.start ? now >= period.start || now < period.end : now >= period.start && now < period.end) return period.price;
    }
  }
  return periods[0]!.price;
}

function nanosAt(price: CompiledPrice, prompt: number): number {
  let value = price.base;
  for (const tier of price.tiers) if (prompt > tier.start) value = tier.nanos;
  return value;
}

/**
 * The exact cost in nanos of one request under catalogue prices, or null when the entry has no token
 * prices. Same leaf rule as the package: tokens of a class without its own price are billed at the
 * parent class's (cache writes at the input price, 1-hour writes at the cache-write price), the tier
 * is chosen by the whole prompt, and a per-request fee is added.
 */
export function catalogueCostNanos(prices: CompiledCataloguePrice, usage: CatalogueUsage): number | null {
  if (prices.input === null && prices.output === null) return null;
  const prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const input = prices.input === null ? 0 : nanosAt(prices.input, prompt);
  const output = prices.output === null ? 0 : nanosAt(prices.output, prompt);
  const cacheRead = prices.cacheRead === null ? input : nanosAt(prices.cacheRead, prompt);
  const cacheWrite = prices.cacheWrite === null ? input : nanosAt(prices.cacheWrite, prompt);
  const cacheWrite1h = prices.cacheWrite1h === null ? cacheWrite : nanosAt(prices.cacheWrite1h, prompt);
  const oneHour = Math.min(usage.cacheWrite1hTokens ?? 0, usage.cacheWriteTokens);
  const shortWrites = usage.cacheWriteTokens - oneHour;
  const sum =
    usage.inputTokens * input +
    usage.cacheReadTokens * cacheRead +
    shortWrites * cacheWrite +
    oneHour * cacheWrite1h +
    usage.outputTokens * output;
  // As in tierCostNanos: a safe-integer sum is exact, past 2^53 it is summed again in BigInt.
  const tokenCost = Number.isSafeInteger(sum)
    ? Math.round(sum / 1e6)
    : roundedQuotient(
        BigInt(usage.inputTokens) * BigInt(input) +
          BigInt(usage.cacheReadTokens) * BigInt(cacheRead) +
          BigInt(shortWrites) * BigInt(cacheWrite) +
          BigInt(oneHour) * BigInt(cacheWrite1h) +
          BigInt(usage.outputTokens) * BigInt(output),
        1e6,
      );
  return tokenCost + (prices.perRequest === null ? 0 : Math.round(nanosAt(prices.perRequest, prompt) / 1000));
}
