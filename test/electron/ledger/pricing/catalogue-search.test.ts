import { findProvider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_PROVIDERS, pricesInForce, searchCatalogue } from '../../../../electron/ledger/pricing/catalogue-search.js';
import { parseSourceName } from '../../../../electron/ledger/store/catalogue-sources.js';

describe('catalogue search', () => {
  it('knows every provider id it lists (the package exports no list of them)', () => {
    for (const id of CATALOGUE_PROVIDERS) expect(findProvider({ providerId: id })?.id, id).toBe(id);
  });

  it('shows the prices in force at a time, with the date they started', () => {
    const model = {
      id: 'm',
      match: { equals: 'm' },
      prices: [
        { prices: { input_mtok: 1 } },
        { constraint: { type: 'start_date' as const, start_date: '2025-06-01' }, prices: { input_mtok: 2 } },
      ],
    };
    expect(pricesInForce(model, Date.parse('2025-05-31'))).toEqual({ prices: { input_mtok: 1 }, since: null });
    expect(pricesInForce(model, Date.parse('2025-06-02'))).toEqual({ prices: { input_mtok: 2 }, since: '2025-06-01' });
  });

  it('puts the exact model id first', () => {
    expect(searchCatalogue('gpt-5', 'openai', 5, Date.now()).entries[0]!.modelId).toBe('gpt-5');
  });

  it('reads a stored provenance name back', () => {
    expect(parseSourceName('@pydantic/genai-prices@0.1.8 anthropic/claude-sonnet-4-5')).toEqual({
      package: '@pydantic/genai-prices',
      version: '0.1.8',
      provider: 'anthropic',
      modelId: 'claude-sonnet-4-5',
    });
    expect(parseSourceName('nonsense')).toBeNull();
  });
});
