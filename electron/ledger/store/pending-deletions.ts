import type { StoreContext } from './context.js';
import { MetaEntries } from './meta-entries.js';
import type { RemovalSubject } from './usage-removal.js';

const META_KEY = 'pending_deletions';

/**
 * Deletions of a model or of channels begun and not finished: a deletion runs in slices (UsageRemoval),
 * and one a stop cut short is finished at the next start, so what the user deleted does not come back
 * half-removed. Stored in `meta` with the deletion's first slice and removed with its last.
 */
export class PendingDeletions {
  private readonly meta: MetaEntries;

  constructor(ctx: StoreContext) {
    this.meta = new MetaEntries(ctx.db);
  }

  list(): RemovalSubject[] {
    const value = this.meta.get(META_KEY);
    return value === undefined ? [] : (JSON.parse(value) as RemovalSubject[]);
  }

  /** Call in a write. */
  add(subject: RemovalSubject): void {
    const pending = this.list().filter((entry) => !same(entry, subject));
    this.save([...pending, { column: subject.column, ids: [...subject.ids] }]);
  }

  /** The deletion is done; call in its last write. */
  remove(subject: RemovalSubject): void {
    const pending = this.list();
    const left = pending.filter((entry) => !same(entry, subject));
    if (left.length !== pending.length) this.save(left);
  }

  private save(pending: RemovalSubject[]): void {
    if (pending.length === 0) this.meta.delete(META_KEY);
    else this.meta.set(META_KEY, JSON.stringify(pending));
  }
}

function same(a: RemovalSubject, b: RemovalSubject): boolean {
  return a.column === b.column && a.ids.length === b.ids.length && a.ids.every((id, i) => id === b.ids[i]);
}
