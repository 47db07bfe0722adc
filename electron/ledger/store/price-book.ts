import type { Database, Statement } from 'better-sqlite3';
import type { PriceTier, PricingMethod } from '../../../shared/schemas/pricing.js';
import { compileTiers, type CompiledVersion } from '../pricing/rules.js';
import type { Dictionary } from './dictionaries.js';

interface VersionRow {
  id: number;
  model_id: number;
  effective_from: number;
  currency_id: number;
  method: PricingMethod;
  tiers: string | null;
  hourly_nanos: number | null;
  created_at: number;
}

export interface StoredVersion extends CompiledVersion {
  rawTiers: PriceTier[] | null;
  createdAt: number;
}

/**
 * Every model's price versions, in memory (there are few) and sorted by effectiveFrom, so pricing a
 * request on the ingest path is a lookup, not a query. Reloaded from the table after each change.
 */
export class PriceBook {
  private byModel = new Map<number, StoredVersion[]>();
  private readonly selectAll: Statement<[], VersionRow>;

  constructor(
    db: Database,
    private readonly currencies: Dictionary,
  ) {
    this.selectAll = db.prepare(`SELECT * FROM price_versions ORDER BY model_id, effective_from`);
    this.reload();
  }

  reload(): void {
    const byModel = new Map<number, StoredVersion[]>();
    for (const row of this.selectAll.iterate()) {
      const rawTiers = row.tiers === null ? null : (JSON.parse(row.tiers) as PriceTier[]);
      const version: StoredVersion = {
        id: row.id,
        modelId: row.model_id,
        effectiveFrom: row.effective_from,
        currencyId: row.currency_id,
        currency: this.currencies.nameOf(row.currency_id),
        method: row.method,
        tiers: rawTiers ? compileTiers(rawTiers) : [],
        hourlyNanos: row.hourly_nanos ?? 0,
        rawTiers,
        createdAt: row.created_at,
      };
      let list = byModel.get(row.model_id);
      if (!list) byModel.set(row.model_id, (list = []));
      list.push(version);
    }
    this.byModel = byModel;
  }

  versions(modelId: number): readonly StoredVersion[] {
    return this.byModel.get(modelId) ?? [];
  }

  modelIds(): number[] {
    return [...this.byModel.keys()];
  }
}
