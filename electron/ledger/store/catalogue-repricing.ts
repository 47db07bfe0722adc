import { CatalogueSources, parseSourceName } from './catalogue-sources.js';
import type { StoreContext } from './context.js';
import { emptyOutcome, type RepricePart, type RepriceOutcome, type Repricer } from './repricing.js';

/** One model's catalogue-priced requests priced again with the catalogue data now in use; costs in nanos per currency code. */
export interface CatalogueRepriceModel {
  model: string;
  /** Requests of the model re-priced (all its raw requests before its first version of the user's). */
  affected: number;
  /** Of those, the ones whose cost, currency or price source changes. */
  changed: number;
  before: Record<string, number>;
  after: Record<string, number>;
  unpricedBefore: number;
  unpricedAfter: number;
}

/** Stored catalogue-priced requests per catalogue data version that priced them. */
export interface PricedByVersion {
  version: string;
  requests: number;
}

/** Thrown to roll a preview's transaction back: nothing it touched (not even a dictionary row) is kept. */
class PreviewDone extends Error {
  constructor(readonly result: CatalogueRepriceModel) {
    super('preview');
  }
}

/**
 * Re-pricing the requests the catalogue priced, with the catalogue data now in use (after a package
 * upgrade or a confirmed download), through the same Repricer as a user's new price version: per model,
 * the raw requests before the model's first version of the user's (those after it are the user's).
 * Hours kept only as rollups are left as they were: their catalogue inputs (provider, 1-hour writes)
 * are gone. The windows are re-priced in slices by RepricingJobs; a preview prices the same slices,
 * each in a transaction that is rolled back (it may name a new catalogue source, which must not stay).
 */
export class CatalogueRepricing {
  private readonly sources: CatalogueSources;

  constructor(
    private readonly ctx: StoreContext,
    private readonly repricer: Repricer,
  ) {
    this.sources = new CatalogueSources(ctx);
  }

  /** How many stored requests each catalogue data version priced. */
  pricedBy(): PricedByVersion[] {
    const counts = new Map<string, number>();
    for (const row of this.sources.countsBySource()) {
      const version = parseSourceName(this.ctx.priceSources.nameOf(row.priceSourceId))?.version;
      if (version !== undefined) counts.set(version, (counts.get(version) ?? 0) + row.requests);
    }
    return [...counts].map(([version, requests]) => ({ version, requests })).sort((a, b) => a.version.localeCompare(b.version));
  }

  /**
   * One slice of a preview of the model's window [from, to): the parts `take` hands out, priced in a
   * transaction that is rolled back, and named inside it (a currency or catalogue source it names may
   * be rolled back with it). RepricingJobs.sliced() cuts a window into such slices.
   */
  previewSlice(modelId: number, take: () => RepricePart | undefined, from: number, to: number): CatalogueRepriceModel {
    try {
      this.ctx.write(() => {
        const outcome = emptyOutcome();
        const versions = this.ctx.prices.versions(modelId);
        for (let part = take(); part; part = take()) this.repricer.runParts(modelId, versions, [part], from, to, false, outcome);
        throw new PreviewDone(this.named(modelId, outcome));
      });
    } catch (error) {
      if (error instanceof PreviewDone) return error.result;
      throw error;
    }
    throw new Error('a preview slice was not rolled back');
  }

  /**
   * What a catalogue re-pricing covers: per model the catalogue priced, its raw hours before the model's first
   * version of the user's. RepricingJobs re-prices them in slices (CatalogueUpdateService).
   */
  windows(): { modelId: number; from: number; to: number }[] {
    const { ctx } = this;
    const from = ctx.coverage.rawHourFrom;
    const out: { modelId: number; from: number; to: number }[] = [];
    for (const modelId of this.sources.modelIds()) {
      const to = ctx.prices.versions(modelId)[0]?.effectiveFrom ?? Number.MAX_SAFE_INTEGER;
      if (to > from) out.push({ modelId, from, to });
    }
    return out;
  }

  /** A model's outcome with its name and currency codes, as the API answers it. */
  named(modelId: number, outcome: RepriceOutcome): CatalogueRepriceModel {
    const money = (map: Map<number, number>): Record<string, number> =>
      Object.fromEntries([...map].map(([id, nanos]) => [this.ctx.currencies.nameOf(id), nanos]));
    return {
      model: this.ctx.models.nameOf(modelId),
      affected: outcome.affected,
      changed: outcome.changed,
      before: money(outcome.before),
      after: money(outcome.after),
      unpricedBefore: outcome.unpricedBefore,
      unpricedAfter: outcome.unpricedAfter,
    };
  }
}
