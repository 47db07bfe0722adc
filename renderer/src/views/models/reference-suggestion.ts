import type { CatalogueEntry } from '../../../../shared/types.js';

/**
 * A cloud reference suggested for a local model from its family and size: never applied by itself,
 * only offered ("Suggested: … — Use"). Families are looked for in the order a name usually carries
 * them, so "DeepSeek-R1-Distill-Qwen-32B" is a DeepSeek model.
 */
const FAMILIES = ['deepseek', 'qwen', 'llama', 'mixtral', 'mistral', 'gemma', 'phi', 'glm'] as const;
export type ModelFamily = (typeof FAMILIES)[number];

/** Where a size cannot be read, the family's usual hosted model. */
const FAMILY_DEFAULT: Partial<Record<ModelFamily, string>> = {
  deepseek: 'deepseek/deepseek-chat',
  mistral: 'mistral/mistral-small-latest',
  mixtral: 'mistral/mistral-small-latest',
};

/** The family a name belongs to and its parameter count in billions (total, for "30B-A3B"), if it says. */
export function familyAndSize(name: string): { family: ModelFamily; size: number | null } | null {
  const lowered = name.toLowerCase();
  let family: ModelFamily | null = null;
  let at = Number.POSITIVE_INFINITY;
  for (const candidate of FAMILIES) {
    const found = lowered.indexOf(candidate);
    if (found >= 0 && found < at) {
      family = candidate;
      at = found;
    }
  }
  if (family === null) return null;
  return { family, size: sizeOf(lowered) };
}

function sizeOf(lowered: string): number | null {
  // "8x7b" (mixture of experts) counts all experts; "30b-a3b" is 30B total; ":32b" is Ollama's tag.
  const experts = /(?:^|[^a-z0-9.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z])/.exec(lowered);
  if (experts) return Number(experts[1]) * Number(experts[2]);
  const plain = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z])/.exec(lowered);
  return plain ? Number(plain[1]) : null;
}

/**
 * The catalogue entry of the same family closest in size (by ratio), among `entries` (a catalogue
 * search for the family's name); the family's default when no size is known on either side.
 */
export function suggestReference(model: string, entries: readonly CatalogueEntry[]): string | null {
  const local = familyAndSize(model);
  if (local === null) return null;
  const label = (entry: CatalogueEntry) => `${entry.provider}/${entry.modelId}`;
  const sameFamily = entries.filter((entry) => entry.prices.input !== null && familyAndSize(`${entry.modelId} ${entry.name ?? ''}`)?.family === local.family);
  if (local.size !== null) {
    let best: { entry: CatalogueEntry; distance: number } | null = null;
    for (const entry of sameFamily) {
      const size = familyAndSize(entry.modelId)?.size ?? null;
      if (size === null || size === 0) continue;
      const distance = Math.abs(Math.log(size / local.size));
      if (best === null || distance < best.distance) best = { entry, distance };
    }
    if (best !== null) return label(best.entry);
  }
  const fallback = FAMILY_DEFAULT[local.family];
  if (fallback !== undefined && entries.some((entry) => label(entry) === fallback)) return fallback;
  return sameFamily[0] ? label(sameFamily[0]) : null;
}
