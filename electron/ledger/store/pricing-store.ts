import type { Statement } from 'better-sqlite3';
import type { PriceVersionBody } from '../../../shared/schemas/pricing.js';
import type { ModelPricing, PriceVersion } from '../../../shared/types.js';
import { compileTiers, fromNanos, toNanos, type CompiledVersion } from '../pricing/rules.js';
import type { StoreContext } from './context.js';
import type { StoredVersion } from './price-book.js';
import type { RepriceOutcome, Repricer } from './repricing.js';

/** The start of a model's history: a first price with no date applies to everything recorded. */
export const BEGINNING = 0;

export interface VersionChange {
  modelId: number;
  /** The model's versions after the change, sorted. */
  versions: CompiledVersion[];
  /** The requests whose price may change. */
  window: { from: number; to: number };
  candidate: CompiledVersion | null;
}

/**
 * Price versions per model (LLM-Manager's tier pricing, hourly price and billing method, made
 * effective-dated). A change re-prices exactly the requests in the window it affects.
 */
export class PricingStore {
  private readonly insert: Statement<[number, number, number, string, string | null, number | null, number]>;
  private readonly deleteAt: Statement<[number, number]>;
  private readonly deleteAll: Statement<[number]>;

  constructor(
    private readonly ctx: StoreContext,
    private readonly repricer: Repricer,
  ) {
    this.insert = ctx.db.prepare(
      `INSERT INTO price_versions (model_id, effective_from, currency_id, method, tiers, hourly_nanos, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model_id, effective_from) DO UPDATE SET currency_id = excluded.currency_id, method = excluded.method,
         tiers = excluded.tiers, hourly_nanos = excluded.hourly_nanos, created_at = excluded.created_at`,
    );
    this.deleteAt = ctx.db.prepare(`DELETE FROM price_versions WHERE model_id = ? AND effective_from = ?`);
    this.deleteAll = ctx.db.prepare(`DELETE FROM price_versions WHERE model_id = ?`);
  }

  list(): ModelPricing[] {
    return this.ctx.prices
      .modelIds()
      .map((modelId) => this.describe(modelId))
      .sort((a, b) => a.model.localeCompare(b.model));
  }

  describe(modelId: number): ModelPricing {
    const versions = this.ctx.prices.versions(modelId);
    return {
      model: this.ctx.models.nameOf(modelId),
      versions: versions.map((version, i) => toPriceVersion(this.ctx.models.nameOf(modelId), version, versions[i + 1]?.effectiveFrom ?? null)),
    };
  }

  /** What adding `body` would do; the currency is looked up, not stored. */
  planAdd(modelId: number, body: PriceVersionBody, currencyId: number): VersionChange {
    const existing = this.ctx.prices.versions(modelId);
    const effectiveFrom = body.effectiveFrom ?? (existing.length === 0 ? BEGINNING : this.ctx.now());
    const candidate: CompiledVersion = {
      id: -1,
      modelId,
      effectiveFrom,
      currencyId,
      currency: body.currency,
      method: body.method,
      tiers: body.tiers ? compileTiers(body.tiers) : [],
      hourlyNanos: body.hourly === undefined ? 0 : toNanos(body.hourly),
    };
    const versions = [...existing.filter((version) => version.effectiveFrom !== effectiveFrom), candidate].sort(
      (a, b) => a.effectiveFrom - b.effectiveFrom,
    );
    const next = versions.find((version) => version.effectiveFrom > effectiveFrom);
    return { modelId, versions, window: { from: effectiveFrom, to: next?.effectiveFrom ?? Number.POSITIVE_INFINITY }, candidate };
  }

  planDelete(modelId: number, effectiveFrom: number | undefined): VersionChange | null {
    const existing = this.ctx.prices.versions(modelId);
    if (effectiveFrom === undefined) {
      return existing.length === 0 ? null : { modelId, versions: [], window: { from: BEGINNING, to: Number.POSITIVE_INFINITY }, candidate: null };
    }
    if (!existing.some((version) => version.effectiveFrom === effectiveFrom)) return null;
    const versions = existing.filter((version) => version.effectiveFrom !== effectiveFrom);
    const next = versions.find((version) => version.effectiveFrom > effectiveFrom);
    return { modelId, versions, window: { from: effectiveFrom, to: next?.effectiveFrom ?? Number.POSITIVE_INFINITY }, candidate: null };
  }

  /** Stores the change and re-prices its window; call inside a write transaction. */
  apply(change: VersionChange, body: PriceVersionBody | null): RepriceOutcome {
    this.store(change, body);
    return this.repricer.run(change.modelId, this.ctx.prices.versions(change.modelId), change.window.from, change.window.to, true);
  }

  /**
   * Stores the change only: its window keeps the old costs until re-priced (RepricingJobs does it in
   * slices, from PendingRepricing). Call inside a write transaction.
   */
  store(change: VersionChange, body: PriceVersionBody | null): void {
    if (change.candidate && body) {
      this.insert.run(
        change.modelId,
        change.candidate.effectiveFrom,
        change.candidate.currencyId,
        change.candidate.method,
        body.tiers ? JSON.stringify(body.tiers) : null,
        body.hourly === undefined ? null : change.candidate.hourlyNanos,
        this.ctx.now(),
      );
    } else if (change.versions.length === 0) {
      this.deleteAll.run(change.modelId);
    } else {
      this.deleteAt.run(change.modelId, change.window.from);
    }
    this.ctx.prices.reload();
  }
}

export function toPriceVersion(model: string, version: StoredVersion | CompiledVersion, effectiveTo: number | null): PriceVersion {
  const stored = 'rawTiers' in version ? version : null;
  return {
    id: version.id,
    model,
    effectiveFrom: version.effectiveFrom,
    effectiveTo,
    currency: version.currency,
    method: version.method,
    tiers: stored ? stored.rawTiers : null,
    hourly: version.method === 'hourly' ? fromNanos(version.hourlyNanos) : null,
    createdAt: stored ? stored.createdAt : 0,
  };
}
