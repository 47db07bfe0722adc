import type { RequestRecord } from '../../../shared/schemas/request-record.js';
import { type CatalogueMatch, type CatalogueMatcher, type CatalogueUsage, CATALOGUE_CURRENCY, catalogueAt, catalogueCostNanos, providerOfApiType } from '../pricing/catalogue.js';
import type { StoreContext } from './context.js';

export interface CataloguePriced {
  cost: number;
  currencyId: number;
  /** The price_sources row naming the package version and the catalogue entry. */
  sourceId: number;
}

/** What the catalogue needs of a request: a record, or a stored row being priced again. */
export type CatalogueSubject = Pick<RequestRecord, 'model' | 'apiType' | 'source' | 'provider'> & CatalogueUsage;

/** The provider a record is priced under: its own field, else its api type's; else the name decides. */
export function recordProvider(record: Pick<RequestRecord, 'provider' | 'apiType'>): string | undefined {
  return record.provider ?? providerOfApiType(record.apiType);
}

interface Decision {
  match: CatalogueMatch | null;
  /**
   * LocalModels.unknownEpoch when the channel's base URL was not known (decided as not local), else
   * null: final. An open decision is made again once the epoch moves; until then every request of
   * the route would get the same answer, so it is kept rather than made for each.
   */
  openAt: number | null;
}

/**
 * Prices a request the user has no price for from the bundled catalogue, unless its model is local.
 * Which entry (or none) a request gets depends on its model, provider, api type, source and channel,
 * so that decision is kept per model name and those four; only a run noted since is checked each time.
 */
export class CatalogueCosts {
  private readonly decisions = new Map<string, Map<string, Decision>>();
  /** The matcher the decisions were made with: newer catalogue data (ctx.catalogue replaced) drops them. */
  private decidedWith: CatalogueMatcher | null = null;

  constructor(private readonly ctx: StoreContext) {}

  price(modelId: number, record: CatalogueSubject, channelId: number, ts: number): CataloguePriced | null {
    const { ctx } = this;
    const matcher = ctx.catalogue;
    if (matcher === null || ctx.localModels.modelHasRuns(modelId)) return null;
    if (matcher !== this.decidedWith) {
      this.decisions.clear();
      this.decidedWith = matcher;
    }
    let byRoute = this.decisions.get(record.model);
    if (!byRoute) this.decisions.set(record.model, (byRoute = new Map()));
    const key = `${record.provider ?? ''}\u0001${record.apiType ?? ''}\u0001${record.source ?? ''}\u0001${channelId}`;
    let decision = byRoute.get(key);
    if (decision === undefined || (decision.openAt !== null && decision.openAt !== ctx.localModels.unknownEpoch)) {
      const local = ctx.localModels.servedLocally(record.model, record.apiType, record.source, channelId);
      decision = { match: local === true ? null : matcher.match(record.model, recordProvider(record)), openAt: local === null ? ctx.localModels.unknownEpoch : null };
      byRoute.set(key, decision);
    }
    const { match } = decision;
    if (match === null) return null;
    const cost = catalogueCostNanos(catalogueAt(match.compiled, ts), record);
    if (cost === null) return null;
    return { cost, currencyId: ctx.currencies.ensure(CATALOGUE_CURRENCY), sourceId: ctx.priceSources.ensure(match.sourceName) };
  }
}
