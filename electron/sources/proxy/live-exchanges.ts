/**
 * The exchanges in progress, each by the function that cuts it, so that closing the server ends open
 * streams instead of waiting for them.
 *
 * An array, not a Set: one entry comes and goes per request, and a Set under that churn keeps
 * rehashing into new tables while each dead table still points at its successor and the entries it
 * held. V8's scavenger treats those pointers as roots even when the table is garbage, so every
 * request's objects outlived two scavenges and were promoted: about 2 MB per scavenge, pauses of
 * 5-11 ms, the proxy's p99 (docs/performance.md, round 6). An array keeps its backing store while the
 * number in flight holds, and a removed slot is cleared at once.
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
