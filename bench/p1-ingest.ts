import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { LedgerService } from '../electron/app/ledger-service.js';
import { Ledger } from '../electron/ledger/store/ledger.js';
import type { RequestRecord } from '../shared/schemas/request-record.js';
import { buildCatalogue, buildPrices, DAY_MS, recordBatches } from './dataset.js';
import { fileSize, fmtBytes, fmtInt, log, median, removeDatabase, type Figure, type Measured } from './util.js';

export interface P1Options {
  benchDir: string;
  records: number;
  /** Records per transaction. */
  batch: number;
  trials: number;
  seed: number;
}

/** Same density as the 10M / 30-day dataset: ~333k requests a day. */
const RECORDS_PER_DAY = 10_000_000 / 30;

/** The pragmas openDatabase() sets, so both sides pay the same for the WAL and its syncs. */
function openLikeLedger(file: string, durability: 'full' | 'normal'): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -32000');
  db.pragma('wal_autocheckpoint = 4000');
  return db;
}

async function ledgerTrial(file: string, batches: readonly RequestRecord[][], prices: ReturnType<typeof buildPrices>, durability: 'full' | 'normal'): Promise<{ seconds: number; bytes: number }> {
  removeDatabase(file);
  const ledger = Ledger.open(file, { durability });
  const service = new LedgerService(ledger);
  for (const { model, version } of prices) await service.addPriceVersion({ model, version });
  const started = performance.now();
  // The product's in-process write path (importers use it too); awaited, so a write path that
  // answers later (a writer thread) is timed until its records are committed.
  for (const batch of batches) await service.writeRecords(batch);
  const seconds = (performance.now() - started) / 1000;
  const bytes = fileSize(file) + fileSize(`${file}-wal`);
  await service.closeReads();
  ledger.close();
  return { seconds, bytes };
}

/**
 * The rows exactly as the ledger stored them, every column of its requests table (whatever the
 * schema holds when this runs: projects, hosts...), in insertion order and in the same batches.
 */
function storedRows(file: string, batchSizes: readonly number[]): { columns: string[]; batches: unknown[][][] } {
  const db = new BetterSqlite3(file, { readonly: true });
  const columns = (db.prepare(`PRAGMA table_info(requests)`).all() as { name: string }[]).map((column) => column.name);
  const rows = db
    .prepare(`SELECT ${columns.join(', ')} FROM requests ORDER BY id`)
    .raw(true)
    .all() as unknown[][];
  db.close();
  const out: unknown[][][] = [];
  let offset = 0;
  for (const size of batchSizes) {
    out.push(rows.slice(offset, offset + size));
    offset += size;
  }
  return { columns, batches: out };
}

/**
 * The limit: the same rows (every stored column, the time-encoded id as a plain value) into a plain
 * rowid table without any index, one prepared INSERT, the same transactions, the same pragmas.
 */
function rawTrial(file: string, rows: { columns: string[]; batches: readonly unknown[][][] }, durability: 'full' | 'normal'): { seconds: number; bytes: number } {
  const { columns, batches } = rows;
  removeDatabase(file);
  const db = openLikeLedger(file, durability);
  db.exec(`CREATE TABLE raw_requests (${columns.join(', ')})`);
  const insert = db.prepare(`INSERT INTO raw_requests VALUES (${columns.map(() => '?').join(', ')})`);
  const writeBatch = db.transaction((rows: readonly unknown[][]) => {
    for (const row of rows) insert.run(...row);
  });
  const started = performance.now();
  for (const batch of batches) writeBatch.immediate(batch);
  const seconds = (performance.now() - started) / 1000;
  const bytes = fileSize(file) + fileSize(`${file}-wal`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { seconds, bytes };
}

/**
 * P1: in-process ingest through the store (pricing, ids, raw rows, three rollup grains, channel
 * outcomes) into an on-disk WAL database, against a raw better-sqlite3 insert of the very same rows
 * into an index-free table, same transaction size and same pragmas. Trials alternate; medians count.
 */
export interface P1Result extends Measured {
  /** The raw insert's rate (records/s): P2's limit too. */
  rawRate: number;
}

/** Issue 18: the ledger keeps at least this share of the raw insert's rate. */
export const P1_RATIO_TARGET = 0.65;

export async function runP1(options: P1Options): Promise<P1Result> {
  const days = Math.max(1, Math.round(options.records / RECORDS_PER_DAY));
  const catalogue = buildCatalogue(options.seed);
  const endTs = Date.now();
  log(`P1: generating ${fmtInt(options.records)} records over ${days} day(s) (density of the 10M/30-day dataset)...`);
  const batches = [...recordBatches({ records: options.records, endTs, days, seed: options.seed }, catalogue, options.batch)];
  const prices = buildPrices(catalogue, options.seed, endTs);
  const dir = path.join(options.benchDir, 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  const ledgerFile = path.join(dir, 'p1-ledger.db');
  const rawFile = path.join(dir, 'p1-raw.db');

  const ledgerRates: number[] = [];
  const rawRates: number[] = [];
  let ledgerBytes = 0;
  let rawBytes = 0;
  let rows: ReturnType<typeof storedRows> | null = null;
  // An untimed round of both on the first fifth of the records: in full runs the first timed trial
  // was the slowest for both sides (166k and 325-403k records/s against 218-243k and 481-564k later),
  // paying the JIT, the promotion of the records just generated and the build's writes to disk.
  const warmUp = batches.slice(0, Math.max(1, Math.round(batches.length / 5)));
  await ledgerTrial(ledgerFile, warmUp, prices, 'full');
  rawTrial(rawFile, storedRows(ledgerFile, warmUp.map((batch) => batch.length)), 'full');
  for (let trial = 1; trial <= options.trials; trial++) {
    const ledger = await ledgerTrial(ledgerFile, batches, prices, 'full');
    ledgerRates.push(options.records / ledger.seconds);
    ledgerBytes = ledger.bytes;
    rows ??= storedRows(ledgerFile, batches.map((batch) => batch.length));
    const raw = rawTrial(rawFile, rows, 'full');
    rawRates.push(options.records / raw.seconds);
    rawBytes = raw.bytes;
    log(`P1: trial ${trial}: ledger ${fmtInt(ledgerRates[trial - 1]!)} records/s, raw baseline ${fmtInt(rawRates[trial - 1]!)} records/s`);
  }
  // For the findings: what the fsync per commit costs (the app's default is durability 'full').
  const normal = await ledgerTrial(ledgerFile, batches, prices, 'normal');
  const normalRate = options.records / normal.seconds;
  log(`P1: ledger with synchronous=NORMAL: ${fmtInt(normalRate)} records/s`);
  removeDatabase(ledgerFile);
  removeDatabase(rawFile);

  const ledgerRate = median(ledgerRates);
  const rawRate = median(rawRates);
  const figures: Figure[] = [
    {
      id: 'P1',
      what: 'in-process ingest, WAL on disk, rollups included (records/s)',
      value: ledgerRate,
      unit: 'records/s',
      target: 300_000,
      better: 'higher',
      notes: [
        `${fmtInt(options.records)} records over ${days} day(s), ${options.batch} per transaction, synchronous=FULL (app default), median of ${options.trials} trials after an untimed one on a fifth of the records: ${ledgerRates.map(fmtInt).join(' / ')}`,
        `raw better-sqlite3 reference: the same rows (all ${rows!.columns.length} stored columns) into a plain table without indexes, one prepared INSERT, same pragmas (synchronous=FULL) and transaction size: ${fmtInt(rawRate)} records/s (trials ${rawRates.map(fmtInt).join(' / ')}); ledger = ${((100 * ledgerRate) / rawRate).toFixed(0)}% of raw`,
        `ledger with synchronous=NORMAL: ${fmtInt(normalRate)} records/s; on-disk size before checkpoint: ledger ${fmtBytes(ledgerBytes)}, raw ${fmtBytes(rawBytes)}`,
        `data span per ${options.batch}-record transaction: ~${((options.batch / options.records) * days * 24 * 60).toFixed(0)} minutes (records ${new Date(endTs - days * DAY_MS).toISOString()} .. ${new Date(endTs).toISOString()})`,
      ],
    },
    {
      id: 'P1-raw',
      what: 'raw better-sqlite3 insert of the same rows, no indexes (reference)',
      value: rawRate,
      unit: 'records/s',
      target: null,
      better: 'higher',
    },
  ];
  return {
    rawRate,
    figures,
    ratios: [
      {
        id: 'P1',
        what: 'in-process ingest vs raw better-sqlite3 insert of the same rows',
        figure: ledgerRate,
        limit: rawRate,
        limitWhat: 'raw insert, plain table, same rows, transactions and synchronous',
        unit: 'records/s',
        kind: 'ratio',
        target: P1_RATIO_TARGET,
        better: 'higher',
      },
    ],
  };
}
