import { catalogueQuerySchema, type CatalogueQuery } from '../../shared/schemas/catalogue.js';
import type { CatalogueSearchResult, ModelPricing, PriceSource } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { CATALOGUE_PACKAGE } from '../ledger/pricing/catalogue.js';
import { catalogueEntry, CATALOGUE_PROVIDERS, searchCatalogue } from '../ledger/pricing/catalogue-search.js';
import { BUNDLED_CATALOGUE, downloadedDateOf } from '../ledger/pricing/catalogue-data.js';
import { CatalogueSources, parseSourceName } from '../ledger/store/catalogue-sources.js';
import type { Ledger } from '../ledger/store/ledger.js';
import { ApiError } from '../../shared/errors.js';
import { DomainService } from './domain-service.js';

const YOURS: PriceSource = { kind: 'yours' };

/**
 * Where each price comes from: the user's versions win; a model without any whose requests the
 * catalogue priced is listed with that entry. Used by the pricing list and the single-model read.
 */
export function withSources(ledger: Ledger, list: ModelPricing[], now: number): ModelPricing[] {
  const out = list.map((pricing): ModelPricing => (pricing.versions.length > 0 ? { ...pricing, source: YOURS } : pricing));
  const yours = new Set(list.filter((pricing) => pricing.versions.length > 0).map((pricing) => pricing.model));
  for (const { modelId, sourceName } of new CatalogueSources(ledger.ctx).list()) {
    const model = ledger.ctx.models.nameOf(modelId);
    if (yours.has(model)) continue;
    const parsed = parseSourceName(sourceName);
    if (!parsed) continue;
    const since = catalogueEntry(parsed.provider, parsed.modelId, now)?.since ?? null;
    const downloaded = downloadedDateOf(parsed.version);
    const source: PriceSource = { kind: 'catalogue', ...parsed, since, ...(downloaded === null ? {} : { downloaded }) };
    const at = out.findIndex((pricing) => pricing.model === model);
    if (at >= 0) out[at] = { ...out[at]!, source };
    else out.push({ model, versions: [], source });
  }
  return out.sort((a, b) => a.model.localeCompare(b.model));
}

/** The bundled price catalogue, searched. */
export class CatalogueService extends DomainService {
  async searchCatalogue(input: CatalogueQuery): Promise<CatalogueSearchResult> {
    const query = parseInput(catalogueQuerySchema, input, 'catalogue query');
    // The catalogue data that prices new requests: a confirmed download, else the bundled data.
    const data = this.ledger.ctx.catalogue?.data ?? BUNDLED_CATALOGUE;
    const known = data.providers === null ? (CATALOGUE_PROVIDERS as readonly string[]) : data.providers.map((p) => p.id);
    if (query.provider !== undefined && !known.includes(query.provider)) {
      throw new ApiError('validation_failed', `unknown catalogue provider "${query.provider}"`, [{ field: 'provider', reason: 'unknown' }]);
    }
    const found = searchCatalogue(query.search, query.provider, query.limit, this.now, data.providers ?? undefined);
    return { package: CATALOGUE_PACKAGE, version: data.version, currency: 'USD', ...found };
  }
}
