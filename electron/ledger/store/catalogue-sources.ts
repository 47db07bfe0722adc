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
 * request, and how many requests each source priced: read from catalogue_priced (migration 11), a row
 * per model and source, never from the requests themselves.
 */
export class CatalogueSources {
  private readonly latest: Statement<[], { model_id: number; price_source_id: number }>;
  private readonly counts: Statement<[], { price_source_id: number; n: number }>;
  private readonly models: Statement<[], number>;

  constructor(private readonly ctx: StoreContext) {
    this.latest = ctx.db.prepare(
      // SQLite takes bare columns from the row that gave MAX(): the source of the latest request.
      `SELECT model_id, price_source_id, MAX(latest_id) AS latest FROM catalogue_priced GROUP BY model_id`,
    );
    this.counts = ctx.db.prepare(`SELECT price_source_id, sum(requests) AS n FROM catalogue_priced GROUP BY price_source_id`);
    this.models = ctx.db.prepare<[], number>(`SELECT DISTINCT model_id FROM catalogue_priced`).pluck();
  }

  list(): CataloguePricedModel[] {
    return this.latest.all().map((row) => ({ modelId: row.model_id, sourceName: this.ctx.priceSources.nameOf(row.price_source_id) }));
  }

  /** Stored catalogue-priced requests per price source. */
  countsBySource(): { priceSourceId: number; requests: number }[] {
    return this.counts.all().map((row) => ({ priceSourceId: row.price_source_id, requests: row.n }));
  }

  /** Models with at least one stored catalogue-priced request. */
  modelIds(): number[] {
    return this.models.all();
  }
}

/**
 * The catalogue-priced rows of the write in progress, per model and source, added to catalogue_priced
 * once per pair when the write finishes (deletes and re-pricing are followed by triggers).
 */
export class CataloguePricedWrites {
  private readonly pending = new Map<number, Map<number, { requests: number; latestId: number }>>();
  private readonly upsert: Statement<[number, number, number, number]>;

  constructor(ctx: StoreContext) {
    this.upsert = ctx.db.prepare(
      `INSERT INTO catalogue_priced (model_id, price_source_id, requests, latest_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (model_id, price_source_id) DO UPDATE SET requests = requests + excluded.requests, latest_id = max(latest_id, excluded.latest_id)`,
    );
  }

  clear(): void {
    this.pending.clear();
  }

  /** A stored request the catalogue priced. */
  add(modelId: number, priceSourceId: number, id: number): void {
    let sources = this.pending.get(modelId);
    if (!sources) this.pending.set(modelId, (sources = new Map()));
    const pair = sources.get(priceSourceId);
    if (!pair) sources.set(priceSourceId, { requests: 1, latestId: id });
    else {
      pair.requests++;
      if (id > pair.latestId) pair.latestId = id;
    }
  }

  /** Writes the pairs added since clear(); call inside the write that stored their requests. */
  flush(): void {
    for (const [modelId, sources] of this.pending) {
      for (const [priceSourceId, pair] of sources) this.upsert.run(modelId, priceSourceId, pair.requests, pair.latestId);
    }
    this.pending.clear();
  }
}
