/**
 * Every broken invariant, by a stable key so that the same fault seen again at a later check is
 * counted once; the message says where it was first seen.
 */
export class Violations {
  private readonly seen = new Map<string, string>();

  add(key: string, message: string): void {
    if (!this.seen.has(key)) this.seen.set(key, message);
  }

  get count(): number {
    return this.seen.size;
  }

  list(): string[] {
    return [...this.seen.values()];
  }
}
