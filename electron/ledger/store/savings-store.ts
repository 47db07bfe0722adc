import type { Statement } from 'better-sqlite3';
import { ApiError } from '../../../shared/errors.js';
import {
  type CompiledCatalogueModel,
  type CompiledCataloguePrice,
  CATALOGUE_CURRENCY,
  CATALOGUE_PACKAGE,
  catalogueCostNanos,
  compileCatalogueModel,
  lookUp,
} from '../pricing/catalogue.js';
import { BUNDLED_CATALOGUE } from '../pricing/catalogue-data.js';
import { fromNanos } from '../pricing/rules.js';
import type { ConfigStore } from './config-store.js';
import type { StoreContext } from './context.js';
import { SEQ_PER_MS } from './request-ids.js';

/** The settings key holding each local model's cloud reference: model name → "provider/model-id". */
const KEY = 'savingsReferences';

export interface ResolvedReference {
  /** "provider/model-id", as the catalogue names it. */
  entry: string;
  /** The catalogue data version the entry's prices were taken from. */
  version: string;
  compiled: CompiledCatalogueModel;
  /** Sums a model's request tokens in a range by (price period, prompt tier); see counterfactual. */
  groups: Statement<[number, number, number], GroupRow>;
  tierStarts: number[];
  /** The start dates of the entry's dated prices, ascending (empty when its price never changed). */
  startDates: string[];
}

interface GroupRow {
  period: number;
  tier: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
}

/** The SQL expression of a request's timestamp (ids are ts * SEQ_PER_MS + seq). */
const TS = `(id / ${SEQ_PER_MS})`;

/** Which period of the entry is in force for a row, as catalogueAt decides: the last that holds, else the first. */
function periodSql(model: CompiledCatalogueModel): string {
  const { periods } = model;
  if (periods.length === 1) return '0';
  const cases = periods
    .map((period, i) => {
      if (period.kind === 'always') return `WHEN 1 THEN ${i}`;
      if (period.kind === 'from') return `WHEN ${TS} >= ${Math.trunc(period.fromMs)} THEN ${i}`;
      const now = `((${TS} % 86400000) / 1000.0)`;
      const holds = period.end < period.start ? `(${now} >= ${period.start} OR ${now} < ${period.end})` : `(${now} >= ${period.start} AND ${now} < ${period.end})`;
      return `WHEN ${holds} THEN ${i}`;
    })
    .reverse();
  return `CASE ${cases.join(' ')} ELSE 0 END`;
}

type CompiledPrice = NonNullable<CompiledCataloguePrice['input']>;

/** A price set with each class fixed at the tier a prompt of this size falls in (no tiers left). */
function atTier(price: CompiledCataloguePrice, prompt: number): CompiledCataloguePrice {
  const fix = (one: CompiledPrice | null): CompiledPrice | null => {
    if (one === null) return null;
    let base = one.base;
    for (const tier of one.tiers) if (prompt > tier.start) base = tier.nanos;
    return { base, tiers: [] };
  };
  return {
    input: fix(price.input),
    output: fix(price.output),
    cacheRead: fix(price.cacheRead),
    cacheWrite: fix(price.cacheWrite),
    cacheWrite1h: fix(price.cacheWrite1h),
    perRequest: fix(price.perRequest),
  };
}

/** Every prompt size at which some price of the entry changes tier, ascending. */
function tierStarts(model: CompiledCatalogueModel): number[] {
  const starts = new Set<number>();
  for (const period of model.periods) {
    for (const price of Object.values(period.price)) for (const tier of price?.tiers ?? []) starts.add(Math.trunc(tier.start));
  }
  return [...starts].sort((a, b) => a - b);
}
/**
 * The cloud model each local model is compared with ("what the same tokens would have cost"), as the
 * user chose it, and the counterfactual cost of a model's requests at that entry's catalogue prices.
 */
export class SavingsStore {
  private readonly resolved = new Map<string, ResolvedReference>();

  constructor(
    private readonly ctx: StoreContext,
    private readonly config: ConfigStore,
  ) {
  }

  references(): Record<string, string> {
    const stored = this.config.read(KEY);
    // Model names are data: "constructor" or "__proto__" must be looked up as names, never reach
    // Object.prototype, hence an object without a prototype holding only string entries.
    const references = Object.create(null) as Record<string, string>;
    if (stored === null || typeof stored !== 'object') return references;
    for (const [model, entry] of Object.entries(stored)) if (typeof entry === 'string') references[model] = entry;
    return references;
  }

  /** Call inside a write transaction; a null reference clears the model's. */
  setReference(model: string, entry: string | null): void {
    const all = this.references();
    if (entry === null) delete all[model];
    else all[model] = entry;
    this.config.write(KEY, all);
  }

  /**
   * The catalogue entry named "provider/model-id" exactly, or an error that says what is accepted. It
   * is looked up in the catalogue data that prices new requests (a confirmed download, else the bundled
   * data), and in the bundled data when a download dropped it.
   */
  resolve(entry: string): ResolvedReference {
    const active = this.ctx.catalogue?.data ?? BUNDLED_CATALOGUE;
    const key = `${active.version}\u0000${entry}`;
    const known = this.resolved.get(key);
    if (known) return known;
    const slash = entry.indexOf('/');
    const providerId = slash > 0 ? entry.slice(0, slash) : '';
    const modelId = slash > 0 ? entry.slice(slash + 1) : '';
    const exact = (data: typeof active) => {
      const result = providerId && modelId ? lookUp(modelId, providerId, data) : null;
      return result && `${result.provider.id}/${result.model.id}` === entry ? { result, version: data.version } : null;
    };
    const match = exact(active) ?? (active === BUNDLED_CATALOGUE ? null : exact(BUNDLED_CATALOGUE));
    if (match === null) {
      throw new ApiError(
        'validation_failed',
        `unknown catalogue model "${entry}": name an entry of ${CATALOGUE_PACKAGE}@${active.version} as "provider/model-id" (e.g. "openai/gpt-4o-mini")`,
        [{ field: 'reference', reason: 'not in the catalogue' }],
      );
    }
    const found = match.result;
    const prices = Array.isArray(found.model.prices) ? found.model.prices : [];
    const startDates = prices.flatMap(({ constraint }) => (constraint?.type === 'start_date' ? [constraint.start_date] : [])).sort();
    const compiled = compileCatalogueModel(found.model);
    const starts = tierStarts(compiled);
    const prompt = 'input_tokens + cache_read_tokens + cache_write_tokens';
    const tier = starts.length === 0 ? '0' : starts.map((start) => `(${prompt} > ${start})`).join(' + ');
    const groups = this.ctx.db.prepare<[number, number, number], GroupRow>(
      `SELECT ${periodSql(compiled)} AS period, ${tier} AS tier, count(*) AS requests,
              sum(input_tokens) AS inputTokens, sum(output_tokens) AS outputTokens, sum(cache_read_tokens) AS cacheReadTokens,
              sum(cache_write_tokens) AS cacheWriteTokens, sum(min(coalesce(cache_write_1h_tokens, 0), cache_write_tokens)) AS cacheWrite1hTokens
         FROM requests WHERE id >= ? AND id < ? AND model_id = ? GROUP BY period, tier`,
    );
    const resolved = { entry, version: match.version, compiled, groups, tierStarts: starts, startDates };
    this.resolved.set(key, resolved);
    return resolved;
  }

  /**
   * What a model's requests in [from, to) would have cost at the reference's catalogue prices, each at
   * the price in force at its own timestamp, in the catalogue's currency. A price depends on a
   * request only through its price period (date or time of day) and its prompt tier, and is linear
   * in the tokens within those, so SQLite sums the tokens per (period, tier) and each group is priced
   * once: no row reaches JavaScript. Rounding to the nano happens per group rather than per request
   * (at most half a nano-dollar per request apart from pricing each alone).
   */
  counterfactual(modelId: number, reference: ResolvedReference, from: number, to: number): { currency: string; amount: number } {
    let nanos = 0;
    for (const group of reference.groups.iterate(from * SEQ_PER_MS, to * SEQ_PER_MS, modelId)) {
      const price = reference.compiled.periods[group.period]!.price;
      // A prompt just past the group's last threshold selects the same tier as every request in it.
      const prompt = group.tier === 0 ? 0 : reference.tierStarts[group.tier - 1]! + 1;
      const fixed = atTier(price, prompt);
      nanos += catalogueCostNanos({ ...fixed, perRequest: null }, group) ?? 0;
      if (fixed.perRequest !== null) nanos += group.requests * Math.round(fixed.perRequest.base / 1000);
    }
    return { currency: CATALOGUE_CURRENCY, amount: fromNanos(nanos) };
  }
}
