import { fmtInt, fmtMs, percentile } from '../util.js';

export interface KindStats {
  kind: string;
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Latencies per kind of call, with the calls that failed counted apart (their time is kept too). */
export class LatencyBook {
  private readonly samples = new Map<string, number[]>();
  private readonly failures = new Map<string, number>();
  private readonly firstError = new Map<string, string>();

  add(kind: string, ms: number, ok = true, error?: string): void {
    let list = this.samples.get(kind);
    if (!list) {
      list = [];
      this.samples.set(kind, list);
    }
    list.push(ms);
    if (!ok) {
      this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
      if (error !== undefined && !this.firstError.has(kind)) this.firstError.set(kind, error);
    }
  }

  /** Forgets everything: the warm-up's calls are not part of the figures. */
  clear(): void {
    this.samples.clear();
    this.failures.clear();
    this.firstError.clear();
  }

  /** Calls of `kind` recorded so far: a mark for stats() of a part of the run. */
  count(kind: string): number {
    return this.samples.get(kind)?.length ?? 0;
  }

  /** count() of every kind at once: marks for the drift of each kind of call. */
  marks(): Map<string, number> {
    return new Map([...this.samples].map(([kind, list]) => [kind, list.length]));
  }

  /** The calls of `kind` in recording order from index `from` up to `to` (count() marks), or all of them. */
  stats(kind: string, from = 0, to?: number): KindStats | null {
    const list = this.samples.get(kind)?.slice(from, to);
    if (!list || list.length === 0) return null;
    const sorted = [...list].sort((a, b) => a - b);
    return {
      kind,
      count: list.length,
      // Failures are not told apart by when: counted over the whole run.
      errors: this.failures.get(kind) ?? 0,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1]!,
    };
  }

  kinds(): string[] {
    return [...this.samples.keys()];
  }

  errors(): { kind: string; count: number; first: string | undefined }[] {
    return [...this.failures].map(([kind, count]) => ({ kind, count, first: this.firstError.get(kind) }));
  }
}

export function describe(stats: KindStats): string {
  const errors = stats.errors > 0 ? `, ${fmtInt(stats.errors)} FAILED` : '';
  return `${stats.kind}: ${fmtInt(stats.count)} calls${errors}; p50 ${fmtMs(stats.p50)}, p95 ${fmtMs(stats.p95)}, p99 ${fmtMs(stats.p99)}, max ${fmtMs(stats.max)}`;
}
