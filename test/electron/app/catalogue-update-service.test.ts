import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogueMatcher } from '../../../electron/ledger/pricing/catalogue.js';
import { BUNDLED_CATALOGUE } from '../../../electron/ledger/pricing/catalogue-data.js';
import { Harness } from '../ledger/store/harness.js';

const at = (iso: string) => Date.parse(iso);
const NOW = at('2026-03-20T12:00:00Z');

/** The price source name of each stored request, by request id. */
function sources(h: Harness): Record<string, string | null> {
  const rows = h.ledger.db
    .prepare<[], { request_id: string; name: string | null }>(
      `SELECT q.value AS request_id, s.name AS name FROM requests r LEFT JOIN request_ids q ON q.id = r.id LEFT JOIN price_sources s ON s.id = r.price_source_id`,
    )
    .all();
  return Object.fromEntries(rows.map((row) => [row.request_id, row.name]));
}

function costs(h: Harness): number[] {
  return h.ledger.db.prepare<[], { cost_nanos: number | null }>(`SELECT cost_nanos FROM requests ORDER BY id`).all().map((row) => row.cost_nanos ?? -1);
}

describe('a package upgrade (newer bundled catalogue) only prices new requests; stored ones follow after preview and confirm', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(NOW);
  });
  afterEach(() => h.close());

  it('lists what the older version priced, previews the re-pricing without writing, then re-prices only the catalogue-priced requests', async () => {
    // The requests were priced by an older package (same data here, so the costs stay; only the provenance moves).
    h.ledger.ctx.catalogue = new CatalogueMatcher({ ...BUNDLED_CATALOGUE, version: '0.1.7' });
    await h.service.ingestRequests([
      { ts: at('2026-03-20T08:00:00Z'), model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 1000, outputTokens: 500, requestId: 's1' },
      { ts: at('2026-03-20T09:00:00Z'), model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 250_000, outputTokens: 500, requestId: 's2' },
      { ts: at('2026-03-20T09:30:00Z'), model: 'gpt-5-mini', inputTokens: 1000, outputTokens: 500, requestId: 'g1' },
      { ts: at('2026-03-20T10:30:00Z'), model: 'gpt-5-mini', inputTokens: 1000, outputTokens: 500, requestId: 'g2' },
    ]);
    h.service.flush();
    // The user's own price for gpt-5-mini from 10:00: g2 is the user's, never the catalogue's.
    await h.service.addPriceVersion({
      model: 'gpt-5-mini',
      version: { method: 'tokens', currency: 'USD', effectiveFrom: at('2026-03-20T10:00:00Z'), tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] },
    });
    expect(sources(h)['g2']).toBeNull();

    // The upgrade: the bundled data is the package's newer version.
    h.ledger.ctx.catalogue = new CatalogueMatcher();
    await h.service.ingestRequests({ ts: at('2026-03-20T11:00:00Z'), model: 'claude-sonnet-4-5', provider: 'anthropic', inputTokens: 10, outputTokens: 10, requestId: 's3' });
    h.service.flush();
    expect(sources(h)['s3']).toBe('@pydantic/genai-prices@0.1.8 anthropic/claude-sonnet-4-5');
    expect(sources(h)['s1']).toBe('@pydantic/genai-prices@0.1.7 anthropic/claude-sonnet-4-5');

    const status = await h.service.getCatalogueStatus();
    expect(status.active).toEqual({ kind: 'bundled', version: '0.1.8', date: null });
    expect(status.pricedBy).toEqual([
      { version: '0.1.7', requests: 3 },
      { version: '0.1.8', requests: 1 },
    ]);
    expect(status.otherVersion).toBe(3);

    const before = { sources: sources(h), costs: costs(h), tables: h.tableCounts(), dump: h.dump() };
    const preview = await h.service.previewCatalogueReprice();
    expect(preview.affectedRequests).toBe(3);
    expect(preview.models.map((m) => [m.model, m.requests])).toEqual([
      ['claude-sonnet-4-5', 2],
      ['gpt-5-mini', 1],
    ]);
    // Same data: the same costs before and after.
    for (const model of preview.models) expect(model.after.cost).toEqual(model.before.cost);
    expect({ sources: sources(h), costs: costs(h), tables: h.tableCounts(), dump: h.dump() }).toEqual(before);

    const result = await h.service.repriceCatalogue();
    expect(result).toEqual({ version: '0.1.8', repricedRequests: 3, models: ['claude-sonnet-4-5', 'gpt-5-mini'] });
    const after = sources(h);
    expect(after['s1']).toBe('@pydantic/genai-prices@0.1.8 anthropic/claude-sonnet-4-5');
    expect(after['g1']).toBe('@pydantic/genai-prices@0.1.8 openai/gpt-5-mini');
    expect(after['g2']).toBeNull();
    expect(costs(h)).toEqual(before.costs);
    expect((await h.service.getCatalogueStatus()).otherVersion).toBe(0);
    // Nothing left to do: a second preview lists nothing.
    expect((await h.service.previewCatalogueReprice()).affectedRequests).toBe(0);
  });
});
