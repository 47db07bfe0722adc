/**
 * The exchanges in progress, each by the function that cuts it, so that closing the server ends open
 * streams instead of waiting for them.
 *
 * An array, not a Set. One entry comes and goes per request; with a Set the process soon fell into
 * promoting every request's objects (about 2 MB per scavenge, pauses of 5-11 ms: the proxy's p99;
 * measured in docs/performance.md, round 6), and with this array it did not. The likely reason: under
 * that churn a Set keeps rehashing into new tables, and V8 keeps each obsolete table pointing at its
 * successor and at the entries it held (for iterators), pointers the scavenger treats as roots even
 * when the table is garbage. An array keeps its backing store while the number in flight holds, and a
 * removed slot is cleared at once.
 */
export class LiveExchanges {
  private readonly cuts: (() => void)[] = [];

  get size(): number {
    return this.cuts.length;
  }

  add(cut: () => void): void {
    this.cuts.push(cut);
  }

  /** Forgets a finished exchange: the last entry takes its place, so nothing is shifted. */
  delete(cut: () => void): void {
    const at = this.cuts.lastIndexOf(cut);
    if (at < 0) return;
    const last = this.cuts.pop()!;
    if (at < this.cuts.length) this.cuts[at] = last;
  }

  /** Cuts every exchange in progress (each cut removes itself as its exchange ends). */
  cutAll(): void {
    for (const cut of this.cuts.slice()) cut();
  }
}
