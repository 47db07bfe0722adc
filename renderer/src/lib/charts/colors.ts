import { colorOf, PALETTE } from './setup.js';

// Past nine models on one screen: the same hues, lighter, so colours stay unique if no longer far apart.
const LIGHTER = ['#f87171', '#fbbf24', '#a3e635', '#4ade80', '#22d3ee', '#60a5fa', '#a78bfa', '#e879f9', '#f472b6'];

/**
 * Colours for the models shown together: each keeps its stable hashed colour unless another model
 * on screen has it, in which case it takes a free one of the palette. Names are taken in sorted
 * order, so the same set of models always gets the same colours whatever order the data came in.
 */
export function distinctColors(names: Iterable<string>): (name: string) => string {
  const assigned = new Map<string, string>();
  const used = new Set<string>();
  for (const name of [...new Set(names)].sort()) {
    let color = colorOf(name);
    // Taken: the next free hue of the palette, so up to nine models never share or neighbour a hue.
    if (used.has(color)) color = [...PALETTE, ...LIGHTER].find((free) => !used.has(free)) ?? color;
    assigned.set(name, color);
    used.add(color);
  }
  return (name) => assigned.get(name) ?? colorOf(name);
}
