/**
 * What a reader keeps between calls (BucketCache, SlidingEdges), bounded by rows rather than entries:
 * an entry counts its rows plus one, the least recently used go first, and one bigger than a quarter
 * of the budget is not kept at all.
 */
export class RowBudget<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private weight = 0;

  constructor(private readonly maxRows: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry under `key`, which becomes the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` (holding `rows` rows) under `key`, as the most recently used, in place of what was there. */
  set(key: string, value: V, rows: number): void {
    this.delete(key);
    if (rows > this.maxRows / 4) return;
    this.entries.set(key, { value, weight: rows + 1 });
    this.weight += rows + 1;
    for (const oldest of this.entries.keys()) {
      if (this.weight <= this.maxRows) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.weight -= entry.weight;
    this.entries.delete(key);
  }
}
