import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE } from '../electron/hosts/core/start-core.js';
import { LedgerService } from '../electron/app/ledger-service.js';
import { Ledger } from '../electron/ledger/store/ledger.js';
import { SCHEMA_VERSION } from '../electron/ledger/store/migrations.js';
import { buildCatalogue, buildPrices, buildRuns, DATASET_VERSION, DAY_MS, HOUR_MS, recordBatches, type Catalogue, type DatasetSpec } from './dataset.js';
import { fmtInt, log, removeDatabase } from './util.js';

/** Stored in the dataset's meta table once the build has finished; a database without it is rebuilt. */
export const MARKER_KEY = 'bench_dataset';
const BUILD_BATCH = 5_000;

export interface DatasetMarker {
  datasetVersion: number;
  schemaVersion: number;
  records: number;
  /** The span the queries look at; the data starts `leadHours` earlier (see ensureDataset). */
  days: number;
  leadHours: number;
  seed: number;
  endTs: number;
  builtAt: number;
  buildSeconds: number;
  priceVersions: number;
  runs: number;
}

export interface Dataset {
  dir: string;
  file: string;
  marker: DatasetMarker;
  catalogue: Catalogue;
  reused: boolean;
}

export function datasetDir(benchDir: string, records: number): string {
  return path.join(benchDir, records === 10_000_000 ? 'dataset-10m' : `dataset-${records}`);
}

function readMarker(file: string): DatasetMarker | null {
  if (!fs.existsSync(file)) return null;
  let db: BetterSqlite3.Database | null = null;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const row = db.prepare<[string], { value: string }>(`SELECT value FROM meta WHERE key = ?`).get(MARKER_KEY);
    return row ? (JSON.parse(row.value) as DatasetMarker) : null;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/**
 * The benchmark database (records over `days` ending at build time, 50 models, 20 channels): reused
 * when a complete one of the same version, size and seed is there, else built from scratch the way a
 * running core would have written it (prices first, runs, then records in time order in batches of
 * 5,000, minute rollups trimmed hourly by the clock of the data, as Housekeeping does).
 */
export interface DatasetRequest {
  records: number;
  days: number;
  /**
   * Extra hours of data before the `days` window: the query benchmark moves "now" back by up to this
   * much, and the 30-day window must still start inside the data (a window reaching back before the
   * first record would make its oldest edge free).
   */
  leadHours: number;
  seed: number;
}

export async function ensureDataset(benchDir: string, spec: DatasetRequest, options: { rebuild?: boolean } = {}): Promise<Dataset> {
  const dir = datasetDir(benchDir, spec.records);
  const file = path.join(dir, DATABASE_FILE);
  const catalogue = buildCatalogue(spec.seed);
  const found = options.rebuild ? null : readMarker(file);
  if (
    found &&
    found.datasetVersion === DATASET_VERSION &&
    found.schemaVersion === SCHEMA_VERSION &&
    found.records === spec.records &&
    found.days === spec.days &&
    found.leadHours === spec.leadHours &&
    found.seed === spec.seed
  ) {
    log(`dataset: reusing ${file} (${fmtInt(found.records)} requests, built ${new Date(found.builtAt).toISOString()}, data ends ${new Date(found.endTs).toISOString()})`);
    return { dir, file, marker: found, catalogue, reused: true };
  }

  fs.mkdirSync(dir, { recursive: true });
  removeDatabase(file);
  const endTs = Date.now();
  const spanDays = spec.days + spec.leadHours / 24;
  const full: DatasetSpec = { records: spec.records, seed: spec.seed, days: spanDays, endTs };
  const startTs = endTs - spanDays * DAY_MS;
  log(`dataset: building ${file}: ${fmtInt(spec.records)} requests over ${spec.days} days (+${spec.leadHours} h lead-in), ${catalogue.models.length} models, ${catalogue.channels.length} channels`);
  const started = performance.now();

  // The ledger's clock follows the data, so created_at, run heartbeats and minute-rollup trimming
  // happen as they would have in a core that was running all along.
  let clock = startTs;
  const ledger = Ledger.open(file, { durability: 'normal', now: () => clock });
  const service = new LedgerService(ledger);
  const prices = buildPrices(catalogue, spec.seed, endTs);
  for (const { model, version } of prices) await service.addPriceVersion({ model, version });
  const runEvents = buildRuns(catalogue, spec.seed, endTs, spanDays);
  for (const event of runEvents) {
    if (typeof event.ts === 'number') clock = event.ts;
    await service.reportRun(event);
  }

  let written = 0;
  let nextTrim = startTs + HOUR_MS;
  let lastReport = performance.now();
  for (const batch of recordBatches(full, catalogue, BUILD_BATCH)) {
    clock = batch[batch.length - 1]!.ts + 1;
    const result = ledger.write(() => ledger.requests.write(batch));
    if (result.accepted !== batch.length) throw new Error(`dataset build: ${batch.length - result.accepted} records were not stored`);
    written += batch.length;
    if (clock >= nextTrim) {
      ledger.maintenance.trimMinuteRollups(clock);
      nextTrim = clock + HOUR_MS;
    }
    const now = performance.now();
    if (now - lastReport > 3_000) {
      lastReport = now;
      const seconds = (now - started) / 1000;
      const rate = written / seconds;
      log(`dataset: ${fmtInt(written)} / ${fmtInt(spec.records)} (${((100 * written) / spec.records).toFixed(1)}%), ${fmtInt(rate)} records/s, ~${Math.ceil((spec.records - written) / rate)} s left`);
    }
  }
  clock = endTs;
  ledger.maintenance.trimMinuteRollups(endTs);
  const buildSeconds = (performance.now() - started) / 1000;
  const marker: DatasetMarker = {
    datasetVersion: DATASET_VERSION,
    schemaVersion: SCHEMA_VERSION,
    records: written,
    days: spec.days,
    leadHours: spec.leadHours,
    seed: spec.seed,
    endTs,
    builtAt: Date.now(),
    buildSeconds,
    priceVersions: prices.length,
    runs: runEvents.length / 2,
  };
  ledger.write(() =>
    ledger.db.prepare<[string, string]>(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(MARKER_KEY, JSON.stringify(marker)),
  );
  ledger.close();
  log(`dataset: built in ${buildSeconds.toFixed(1)} s (${fmtInt(written / buildSeconds)} records/s including generation)`);
  return { dir, file, marker, catalogue, reused: false };
}
