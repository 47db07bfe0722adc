import type { Statement } from 'better-sqlite3';
import type { StoreContext } from './context.js';

export interface CataloguePricedModel {
  modelId: number;
  /** The price_sources name: "<package>@<version> <provider>/<model id>". */
  sourceName: string;
}

/** Parses a price_sources name back into package, version and catalogue entry. */
export function parseSourceName(name: string): { package: string; version: string; provider: string; modelId: string } | null {
  const m = /^(@?[^@\s]+)@(\S+) ([^/\s]+)\/(.+)$/.exec(name);
  return m ? { package: m[1]!, version: m[2]!, provider: m[3]!, modelId: m[4]! } : null;
}

/**
 * Models whose stored requests were priced by the catalogue, each with the source of its latest such
 * request. A scan of the request log: the Pricing view asks for it, ingest never does.
 */
export class CatalogueSources {
  private readonly select: Statement<[], { model_id: number; price_source_id: number }>;

  constructor(private readonly ctx: StoreContext) {
    this.select = ctx.db.prepare(
      // SQLite takes bare columns from the row that gave MAX(): the latest catalogue-priced request.
      `SELECT model_id, price_source_id, MAX(id) AS latest FROM requests WHERE price_source_id IS NOT NULL GROUP BY model_id`,
    );
  }

  list(): CataloguePricedModel[] {
    return this.select.all().map((row) => ({ modelId: row.model_id, sourceName: this.ctx.priceSources.nameOf(row.price_source_id) }));
  }
}
