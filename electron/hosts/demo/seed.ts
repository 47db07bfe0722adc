import type { LedgerApi } from '../../../shared/api.js';
import { MAX_BATCH_RECORDS } from '../../../shared/schemas/request-record.js';
import type { DemoWeek } from './week.js';

/** What seeding needs of the ledger: the service in process, or an HTTP client of it. */
export type DemoSink = Pick<LedgerApi, 'ingestRequests' | 'reportRun' | 'addPriceVersion' | 'putCircuits'>;

export interface SeedResult {
  requests: number;
  duplicates: number;
  runs: number;
  priceVersions: number;
  circuitUpdates: number;
}

/**
 * Writes a generated week through the ledger API, so every record, run, price and circuit state is
 * validated exactly as a launcher's would be. Prices first, so requests are priced as they arrive
 * instead of re-priced afterwards; circuits last, so the final state of each is its latest update.
 */
export async function seedWeek(sink: DemoSink, week: DemoWeek, options: { batch?: number } = {}): Promise<SeedResult> {
  // As large as the ledger takes in one batch.
  const batch = Math.min(options.batch ?? MAX_BATCH_RECORDS, MAX_BATCH_RECORDS);
  for (const { model, version } of week.priceVersions) await sink.addPriceVersion({ model, version });
  for (const run of week.runs) {
    await sink.reportRun({ model: run.model, event: 'start', ts: run.start, source: run.source });
    // A running model is vouched for now; it is closed only if nobody keeps beating for it.
    if (run.end === null) await sink.reportRun({ model: run.model, event: 'heartbeat', ts: week.now, source: run.source });
    else await sink.reportRun({ model: run.model, event: 'stop', ts: run.end, source: run.source });
  }
  let requests = 0;
  let duplicates = 0;
  for (let i = 0; i < week.records.length; i += batch) {
    const result = await sink.ingestRequests(week.records.slice(i, i + batch));
    requests += result.accepted;
    duplicates += result.duplicates;
  }
  await sink.putCircuits(week.circuitUpdates);
  return { requests, duplicates, runs: week.runs.length, priceVersions: week.priceVersions.length, circuitUpdates: week.circuitUpdates.length };
}
