import type { CatalogueEntry, CataloguePrice, PriceSource } from '../../../../shared/types.js';
import type { PriceForm, TierRow } from './form.js';

/** A catalogue price at a prompt size: tiers apply to prompts larger than their start. */
function priceAt(price: CataloguePrice | null, prompt: number): string {
  if (price === null) return '';
  let value = price.base;
  for (const tier of price.tiers) if (prompt > tier.start) value = tier.price;
  return String(value);
}

/**
 * The editor's form for adopting a catalogue entry as the user's own version: USD, one tier per
 * context threshold any of its prices has (the catalogue's "above N prompt tokens" becomes a tier up to
 * N). The 1-hour cache-write price has no field of its own in a user version and is left out.
 */
export function formFromCatalogue(entry: CatalogueEntry): PriceForm {
  const { input, output, cacheRead, cacheWrite } = entry.prices;
  const starts = [...new Set([input, output, cacheRead, cacheWrite].flatMap((price) => price?.tiers.map((tier) => tier.start) ?? []))].sort((a, b) => a - b);
  const bounds: (number | null)[] = [...starts, null];
  const tiers = bounds.map((bound, i): TierRow => {
    // The prices of the prompts this row covers: those just above the previous bound.
    const prompt = i === 0 ? 0 : starts[i - 1]! + 1;
    return {
      maxPromptTokens: bound === null ? '' : String(bound),
      input: priceAt(input, prompt),
      output: priceAt(output, prompt),
      cacheRead: priceAt(cacheRead, prompt),
      cacheWrite: priceAt(cacheWrite, prompt),
    };
  });
  return { method: 'tokens', currency: 'USD', effectiveFrom: '', tiers, hourly: '' };
}

/** "claude-sonnet-4-5" or "anthropic/claude-sonnet-4-5" when the name alone is ambiguous. */
export function entryLabel(entry: Pick<CatalogueEntry, 'provider' | 'modelId'>): string {
  return `${entry.provider}/${entry.modelId}`;
}

/** The short package name shown to people: "genai-prices 0.1.8". */
export function packageLabel(source: { package: string; version: string }): string {
  return `${source.package.replace(/^@[^/]+\//, '')} ${source.version}`;
}

export type CatalogueSource = Extract<PriceSource, { kind: 'catalogue' }>;
