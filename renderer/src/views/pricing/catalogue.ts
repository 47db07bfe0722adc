import type { CatalogueEntry, CataloguePrice, CatalogueStatus, PriceSource } from '../../../../shared/types.js';
import { t } from '../../lib/i18n/i18n.svelte.js';
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
 * N), the 1-hour cache-write price included.
 */
export function formFromCatalogue(entry: CatalogueEntry): PriceForm {
  const { input, output, cacheRead, cacheWrite, cacheWrite1h } = entry.prices;
  const starts = [...new Set([input, output, cacheRead, cacheWrite, cacheWrite1h].flatMap((price) => price?.tiers.map((tier) => tier.start) ?? []))].sort((a, b) => a - b);
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
      cacheWrite1h: priceAt(cacheWrite1h, prompt),
    };
  });
  return { method: 'tokens', currency: 'USD', effectiveFrom: '', tiers, hourly: '' };
}

/** "claude-sonnet-4-5" or "anthropic/claude-sonnet-4-5" when the name alone is ambiguous. */
export function entryLabel(entry: Pick<CatalogueEntry, 'provider' | 'modelId'>): string {
  return `${entry.provider}/${entry.modelId}`;
}

/**
 * The short package name shown to people: "genai-prices 0.1.8", or for data downloaded with "check for
 * newer prices" (version "0.1.8+data.<date>.<hash>") "genai-prices, downloaded 2026-12-01".
 */
export function packageLabel(source: { package: string; version: string }): string {
  const name = source.package.replace(/^@[^/]+\//, '');
  const downloaded = /\+data\.(\d{4}-\d{2}-\d{2})\./.exec(source.version)?.[1];
  return downloaded === undefined ? `${name} ${source.version}` : t('pricing.source.downloaded', { name, date: downloaded });
}

/** Which catalogue data prices new requests, for people. */
export function activeLabel(status: Pick<CatalogueStatus, 'package' | 'active'>): string {
  return packageLabel({ package: status.package, version: status.active.version });
}

export type CatalogueSource = Extract<PriceSource, { kind: 'catalogue' }>;
