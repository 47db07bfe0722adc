import type { CurrencyConversion, History, HistoryBucket } from '../../../../shared/types.js';

/** One line or stack of a time chart: points at bucket starts (epoch ms). */
export interface ChartSeries {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  /** A forecast, not a record: drawn as a dashed line over the bars, outside their stack and totals. */
  projection?: boolean;
}

export type BucketMetric = (bucket: HistoryBucket) => number;

export const metrics = {
  requests: (bucket: HistoryBucket) => bucket.requests,
  failures: (bucket: HistoryBucket) => bucket.failures,
  tokens: (bucket: HistoryBucket) => bucket.inputTokens + bucket.outputTokens + bucket.cacheReadTokens + bucket.cacheWriteTokens,
  cost:
    (currency: string): BucketMetric =>
    (bucket: HistoryBucket) =>
      bucket.cost[currency] ?? 0,
  /** Every currency converted into the display one at the user's rates; one without a rate counts nothing. */
  converted:
    (conversion: Pick<CurrencyConversion, 'currency' | 'rates'>): BucketMetric =>
    (bucket: HistoryBucket) =>
      Object.entries(bucket.cost).reduce(
        (sum, [currency, amount]) => sum + (currency === conversion.currency ? amount : amount * (conversion.rates[currency] ?? 0)),
        0,
      ),
} as const;

/** Currencies that appear in any bucket, biggest total first, so the default choice is the main one. */
export function currenciesOf(history: History | undefined): string[] {
  const totals = new Map<string, number>();
  for (const bucket of history?.buckets ?? []) {
    for (const [currency, amount] of Object.entries(bucket.cost)) totals.set(currency, (totals.get(currency) ?? 0) + amount);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([currency]) => currency);
}

export interface SeriesOptions {
  colorOf: (name: string) => string;
  /** Beyond this many models the smallest are summed into one series, so a legend stays readable. */
  maxSeries?: number;
  /** Label of that summed series. */
  othersLabel: string;
  othersColor?: string;
}

/**
 * Buckets grouped by model into one series per model, biggest first (by the metric's total over the
 * range). Models whose total is zero for this metric are left out, so a cost chart has no lines of
 * unpriced models. Buckets without a model (an ungrouped history) form one series named by `label`.
 */
export function seriesByModel(history: History | undefined, metric: BucketMetric, options: SeriesOptions): ChartSeries[] {
  if (!history) return [];
  const byModel = new Map<string, Map<number, number>>();
  for (const bucket of history.buckets) {
    const name = bucket.model ?? '';
    let points = byModel.get(name);
    if (!points) byModel.set(name, (points = new Map()));
    points.set(bucket.ts, (points.get(bucket.ts) ?? 0) + metric(bucket));
  }
  const ranked = [...byModel.entries()]
    .map(([name, points]) => ({ name, points, total: [...points.values()].reduce((sum, value) => sum + value, 0) }))
    .filter((entry) => entry.total > 0)
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));

  const max = options.maxSeries ?? 8;
  const kept = ranked.length > max ? ranked.slice(0, max - 1) : ranked;
  const rest = ranked.length > max ? ranked.slice(max - 1) : [];
  const series: ChartSeries[] = kept.map((entry) => ({ label: entry.name, color: options.colorOf(entry.name), points: sorted(entry.points) }));
  if (rest.length) {
    const merged = new Map<number, number>();
    for (const entry of rest) for (const [ts, value] of entry.points) merged.set(ts, (merged.get(ts) ?? 0) + value);
    series.push({ label: options.othersLabel, color: options.othersColor ?? '#8a94a3', points: sorted(merged) });
  }
  return series;
}

function sorted(points: Map<number, number>): { x: number; y: number }[] {
  return [...points.entries()].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
}
