import { Action } from '../../lib/state/resource.svelte.js';

/** The list with `item` in place of the one with the same key, or added at the end when it is new. */
export function upserted<T>(list: readonly T[] | undefined, item: T, keyOf: (item: T) => string): T[] {
  const known = list ?? [];
  const key = keyOf(item);
  return known.some((other) => keyOf(other) === key) ? known.map((other) => (keyOf(other) === key ? item : other)) : [...known, item];
}

/**
 * A delete that is asked for, confirmed in a dialog, then run. The dialog closes whether or not the
 * server agreed; a refusal stays in `action.error`.
 */
export class ConfirmedDelete<T> {
  /** The item the dialog asks about; kept while the dialog closes so its text does not vanish first. */
  confirming = $state<T | null>(null);
  open = $state(false);
  readonly action: Action<[string], unknown>;
  readonly #keyOf: (item: T) => string;

  constructor(remove: (key: string) => Promise<unknown>, keyOf: (item: T) => string) {
    this.action = new Action(remove);
    this.#keyOf = keyOf;
  }

  ask(item: T): void {
    this.action.reset();
    this.confirming = item;
    this.open = true;
  }

  /** The key of the item deleted, or null when nothing was. */
  async confirm(): Promise<string | null> {
    if (!this.confirming) return null;
    const key = this.#keyOf(this.confirming);
    const done = await this.action.run(key);
    this.open = false;
    return done ? key : null;
  }
}
