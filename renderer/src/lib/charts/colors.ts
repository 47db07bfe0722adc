import { colorOf } from './setup.js';

// Hues not in the main palette, for models whose hashed colour another model on screen already has.
const SPARE = ['#0d9488', '#b45309', '#7c3aed', '#be123c', '#65a30d', '#0369a1', '#a21caf', '#78716c', '#f59e0b', '#14b8a6'];

/**
 * Colours for the models shown together: each keeps its stable hashed colour unless another model
 * on screen has it, in which case it takes a spare one. Names are taken in sorted order, so the same
 * set of models always gets the same colours whatever order the data came in.
 */
export function distinctColors(names: Iterable<string>): (name: string) => string {
  const assigned = new Map<string, string>();
  const used = new Set<string>();
  for (const name of [...new Set(names)].sort()) {
    let color = colorOf(name);
    if (used.has(color)) color = SPARE.find((spare) => !used.has(spare)) ?? color;
    assigned.set(name, color);
    used.add(color);
  }
  return (name) => assigned.get(name) ?? colorOf(name);
}
