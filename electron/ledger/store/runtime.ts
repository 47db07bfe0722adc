import { hourlyCostNanos, type CompiledVersion } from '../pricing/rules.js';
import { bucketIndex } from '../time/buckets.js';
import type { RunSpan } from './runs.js';
import type { BucketSpec } from './usage-query.js';

export interface RuntimeCell {
  bucket: number;
  modelId: number;
  runtimeMs: number;
  /** Hourly-priced cost by currency id, in nanos. */
  costNanos: Map<number, number>;
}

/**
 * Runtime per bucket and model: the overlap of runs with each bucket (a running run counts until
 * now), and its cost where an hourly price version is in force, split at version boundaries.
 */
export function runtimeCells(
  spans: readonly RunSpan[],
  spec: BucketSpec,
  now: number,
  groupByModel: boolean,
  versionsOf: (modelId: number) => readonly CompiledVersion[],
): RuntimeCell[] {
  const cells = new Map<string, RuntimeCell>();
  const cellFor = (bucket: number, modelId: number): RuntimeCell => {
    const key = `${bucket}|${modelId}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { bucket, modelId, runtimeMs: 0, costNanos: new Map() }));
    return cell;
  };
  // Hourly cost is rounded once per cell and currency, from the summed milliseconds per price.
  const pricedMs = new Map<string, { cell: RuntimeCell; currencyId: number; hourlyNanos: number; ms: number }>();

  for (const span of spans) {
    const start = Math.max(span.start, spec.from);
    const end = Math.min(span.end ?? now, spec.to, now);
    if (end <= start) continue;
    const versions = versionsOf(span.modelId);
    let i = Math.max(0, bucketIndex(spec.starts, start));
    for (; i < spec.starts.length; i++) {
      const bucketFrom = Math.max(spec.starts[i]!, start);
      const bucketTo = Math.min(spec.starts[i + 1] ?? spec.to, end);
      if (bucketFrom >= end) break;
      if (bucketTo <= bucketFrom) continue;
      const cell = cellFor(i, groupByModel ? span.modelId : 0);
      cell.runtimeMs += bucketTo - bucketFrom;
      for (let v = 0; v < versions.length; v++) {
        const version = versions[v]!;
        if (version.method !== 'hourly') continue;
        const vFrom = Math.max(version.effectiveFrom, bucketFrom);
        const vTo = Math.min(versions[v + 1]?.effectiveFrom ?? Number.POSITIVE_INFINITY, bucketTo);
        if (vTo <= vFrom) continue;
        const key = `${i}|${cell.modelId}|${version.id}`;
        let entry = pricedMs.get(key);
        if (!entry) pricedMs.set(key, (entry = { cell, currencyId: version.currencyId, hourlyNanos: version.hourlyNanos, ms: 0 }));
        entry.ms += vTo - vFrom;
      }
    }
  }
  for (const entry of pricedMs.values()) {
    const cost = hourlyCostNanos(entry.hourlyNanos, entry.ms);
    entry.cell.costNanos.set(entry.currencyId, (entry.cell.costNanos.get(entry.currencyId) ?? 0) + cost);
  }
  return [...cells.values()];
}
