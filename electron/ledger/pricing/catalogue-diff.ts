import type { Provider } from '@pydantic/genai-prices';
import type { CatalogueChange } from '../../../shared/types.js';
import { entryPrices } from './catalogue-search.js';

export interface CatalogueDiff {
  changed: number;
  added: number;
  removed: number;
  examples: CatalogueChange[];
}

/**
 * What a newer data set changes, entry by entry ("provider/model-id"): entries in both whose token
 * prices in force at `now` differ, entries only in the new data, entries only in the old. Examples are
 * the first changed entries, well-known providers first so that they mean something to the user.
 */
export function diffCatalogues(current: readonly Provider[], candidate: readonly Provider[], now: number, maxExamples = 5): CatalogueDiff {
  const before = new Map<string, Provider['models'][number]>();
  for (const provider of current) for (const model of provider.models) before.set(`${provider.id}/${model.id}`, model);
  const changes: CatalogueChange[] = [];
  let added = 0;
  const seen = new Set<string>();
  for (const provider of candidate) {
    for (const model of provider.models) {
      const entry = `${provider.id}/${model.id}`;
      seen.add(entry);
      const old = before.get(entry);
      if (old === undefined) {
        added++;
        continue;
      }
      const was = entryPrices(old, now);
      const is = entryPrices(model, now);
      if (JSON.stringify(was) !== JSON.stringify(is)) changes.push({ entry, name: model.name ?? null, before: was, after: is });
    }
  }
  const removed = [...before.keys()].filter((entry) => !seen.has(entry)).length;
  const rank = (entry: string) => {
    const at = ['openai/', 'anthropic/', 'google/', 'deepseek/', 'mistral/'].findIndex((prefix) => entry.startsWith(prefix));
    return at < 0 ? 99 : at;
  };
  const examples = [...changes].sort((a, b) => rank(a.entry) - rank(b.entry) || a.entry.localeCompare(b.entry)).slice(0, maxExamples);
  return { changed: changes.length, added, removed, examples };
}
