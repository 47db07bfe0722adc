import { createRequire } from 'node:module';
import type * as GenaiPrices from '@pydantic/genai-prices';

export type PricePackage = typeof GenaiPrices;

let loaded: PricePackage | null = null;

/**
 * @pydantic/genai-prices, loaded at its first use in a thread rather than when a module importing it
 * loads. Its price data is a 1.6 MB script: compiling it grows a thread's heap by ~10 MiB of RSS, and
 * every thread that imports the ledger would pay it, the read workers too, which never price. It is
 * required (the package's CommonJS build) so the first price needs no await inside a transaction.
 */
export function pricePackage(): PricePackage {
  loaded ??= createRequire(import.meta.url)('@pydantic/genai-prices') as PricePackage;
  return loaded;
}
