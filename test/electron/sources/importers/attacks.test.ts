import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { importDatabase, ImportError } from '../../../../electron/sources/importers/index.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { CCX_KEYS, NOW, removeTempDirs, tempDir } from './fixtures.js';

/**
 * Crafted source files: what a hostile or broken metrics.db / monitoring.db can do to the importer,
 * and that it neither takes the process down, nor stalls it, nor leaves half a file in the ledger.
 */

const NOW_S = Math.floor(NOW / 1000);
/** Big enough that handing it to JavaScript whole (and taking it apart there) shows; small enough to build in a second. */
const HUGE = 32 * 1024 * 1024;

const ledgers: Ledger[] = [];
function freshService(options: { file?: string; nativeBinding?: string } = {}): LedgerService {
  const ledger = Ledger.open(options.file ?? ':memory:', { now: () => NOW });
  ledgers.push(ledger);
  return new LedgerService(ledger, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
}
afterEach(() => {
  for (const ledger of ledgers.splice(0)) ledger.close();
});
afterAll(() => removeTempDirs());

/** A ccx metrics.db with `rows` ordinary records; `last` fills in the final record's cells. */
function craftCcx(dir: string, rows: number, last: Partial<Record<'model' | 'metrics_key' | 'api_type' | 'failure_class' | 'timestamp', string | number | Buffer>> = {}): string {
  const file = path.join(dir, `metrics-${rows}.db`);
  const db = new BetterSqlite3(file);
  db.exec(`CREATE TABLE request_records (id INTEGER PRIMARY KEY AUTOINCREMENT, metrics_key TEXT, timestamp INTEGER, success INTEGER,
             failure_class TEXT, input_tokens INTEGER, output_tokens INTEGER, api_type TEXT, model TEXT)`);
  const insert = db.prepare(`INSERT INTO request_records (metrics_key, timestamp, success, failure_class, input_tokens, output_tokens, api_type, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < rows - 1; i++) insert.run(CCX_KEYS.relay, NOW_S - 3_600 + (i % 3_000), 1, '', 100, 10, 'chat', 'gpt-5-mini');
    insert.run(last.metrics_key ?? CCX_KEYS.relay, last.timestamp ?? NOW_S - 60, 0, last.failure_class ?? 'quota', 100, 10, last.api_type ?? 'chat', last.model ?? 'gpt-5-mini');
  })();
  db.close();
  return file;
}

/** Longest time the event loop went without a turn while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  try {
    const result = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { result, stallMs };
  } finally {
    clearInterval(timer);
  }
}

describe('a crafted source file', () => {
  it('with a 32M-character model name is refused whole, without stalling the event loop or writing a row', async () => {
    const file = craftCcx(tempDir(), 2_000, { model: `evil-${'x'.repeat(HUGE)}` });
    const service = freshService();
    const { result: error, stallMs } = await longestStall(() =>
      importDatabase(service, file).then(
        () => null,
        (caught: unknown) => caught,
      ),
    );
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).reason).toBe('oversized');
    expect((error as Error).message).toMatch(/a value larger than 16384 bytes in a column "model".*nothing was imported/);
    // Before: the whole name became a JavaScript string and was split into 32M characters (seconds, GBs),
    // and the 1,999 rows before it were already in the ledger.
    expect(stallMs).toBeLessThan(300);
    expect((await service.getStorageInfo()).totalRequests).toBe(0);
  });

  it('with long cells everywhere (key, api type, failure class, a blob, a 10,000-digit number) keeps every row, cut to size', async () => {
    const file = craftCcx(tempDir(), 10, {
      metrics_key: 'k'.repeat(10_000),
      api_type: 'a'.repeat(10_000),
      failure_class: 'f'.repeat(10_000),
      model: Buffer.alloc(10_000, 1),
      timestamp: '9'.repeat(10_000),
    });
    const service = freshService();
    const report = await importDatabase(service, file);
    // The last row's time is no time at all: left out and said so; the rest are in.
    expect(report.requests).toMatchObject({ read: 10, accepted: 9, skipped: 1 });
  });

  it('with a 10,000-character model name imports it cut to 256 characters', async () => {
    const file = craftCcx(tempDir(), 3, { model: `long-${'n'.repeat(10_000)}` });
    const report = await importDatabase(freshService(), file);
    expect(report.requests.accepted).toBe(3);
    expect(report.models.find((model) => model.startsWith('long-'))).toHaveLength(256);
  });

  it('that breaks off near its end (a malformed page) leaves nothing in the ledger and says so', async () => {
    const dir = tempDir();
    // The last record's model spills onto overflow pages; pointing them nowhere makes the file end in a malformed page.
    const file = craftCcx(dir, 12_000, { model: `long-${'y'.repeat(12_000)}` });
    const db = new BetterSqlite3(file);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const overflow = db.prepare<[], { pageno: number }>(`SELECT pageno FROM dbstat WHERE name = 'request_records' AND pagetype = 'overflow'`).all();
    db.close();
    expect(overflow.length).toBeGreaterThan(0);
    const fd = fs.openSync(file, 'r+');
    for (const { pageno } of overflow) fs.writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0x00]), 0, 4, (pageno - 1) * pageSize);
    fs.closeSync(fd);

    const service = freshService();
    const failure = importDatabase(service, file, { batchSize: 1_000 });
    await expect(failure).rejects.toBeInstanceOf(ImportError);
    await expect(failure).rejects.toThrow(/malformed.*nothing was imported/);
    // Before: 11,000 rows were in the ledger when the reader hit the bad page.
    expect((await service.getStorageInfo()).totalRequests).toBe(0);
    expect((await service.getSummary({ from: 0, to: NOW + 1 })).totals.requests).toBe(0);
  });

  it('in LLM-Manager layout with a 32M-character model name is refused whole; a 32 MB price cell too', async () => {
    const build = (name: string, price: string) => {
      const file = path.join(tempDir(), 'monitoring.db');
      const db = new BetterSqlite3(file);
      db.exec(`CREATE TABLE models (id INTEGER PRIMARY KEY, original_name TEXT);
               CREATE TABLE model_requests (id INTEGER PRIMARY KEY, model_id INTEGER, start_time REAL, end_time REAL, input_tokens INTEGER, output_tokens INTEGER, cache_n INTEGER, prompt_n INTEGER);
               CREATE TABLE tier_pricing (model_id INTEGER, tier_index INTEGER, max_input_tokens TEXT, input_price TEXT, output_price REAL, support_cache INTEGER);`);
      db.prepare('INSERT INTO models VALUES (1, ?)').run(name);
      db.prepare('INSERT INTO model_requests VALUES (1, 1, ?, ?, 120, 30, 20, 100)').run(NOW_S - 70, NOW_S - 60);
      db.prepare('INSERT INTO tier_pricing VALUES (1, 1, NULL, ?, 2, 0)').run(price);
      db.close();
      return file;
    };
    const service = freshService();
    for (const file of [build(`m-${'z'.repeat(HUGE)}`, '1.5'), build('qwen', '1'.repeat(HUGE))]) {
      const { result: error, stallMs } = await longestStall(() => importDatabase(service, file).then(() => null, (caught: unknown) => caught));
      expect((error as ImportError).reason).toBe('oversized');
      expect(stallMs).toBeLessThan(300);
    }
    expect((await service.getStorageInfo()).models).toBe(0);
    // The same file with a name of 1,000 characters: in, cut.
    const report = await importDatabase(service, build(`m-${'z'.repeat(1_000)}`, '1.5'));
    expect(report.models[0]).toHaveLength(256);
    expect(report.requests.accepted).toBe(1);
    expect(report.prices.added).toBe(1);
  });
});

describe('what an import error tells', () => {
  const SECRET = 'root:$6$very-secret-hash:19000:0:99999:7:::';

  it('never echoes the contents of the file it refuses', async () => {
    const dir = tempDir();
    const text = path.join(dir, 'shadow');
    fs.writeFileSync(text, `${SECRET}\n`);
    const sqlite = path.join(dir, 'vault.db');
    const db = new BetterSqlite3(sqlite);
    db.exec(`CREATE TABLE "${SECRET}" (x TEXT); CREATE TABLE passwords (site TEXT, secret TEXT)`);
    db.close();
    const service = freshService();
    for (const file of [text, sqlite]) {
      const error = await importDatabase(service, file).then(
        () => null,
        (caught: unknown) => caught as ImportError,
      );
      expect(error).toBeInstanceOf(ImportError);
      expect(error!.message).not.toContain('very-secret');
      expect(error!.message).not.toContain('root:');
      expect(error!.message).not.toContain('passwords');
    }
  });

  it('answers a missing file, a folder and a device alike', async () => {
    const dir = tempDir();
    const service = freshService();
    const messageOf = (file: string) =>
      importDatabase(service, file).then(
        () => 'imported',
        (error: unknown) => `${(error as ImportError).code}: ${(error as Error).message.replace(file, '<file>')}`,
      );
    const missing = await messageOf(path.join(dir, 'nope.db'));
    expect(missing).toMatch(/^not_found: no readable database file at <file>/);
    expect(await messageOf(dir)).toBe(missing);
    if (fs.existsSync('/dev/null')) expect(await messageOf('/dev/null')).toBe(missing);
  });

  it("refuses the data folder's own files, through symlinks too", async () => {
    const dataDir = tempDir();
    const ledgerFile = path.join(dataDir, 'modelmeter.db');
    const service = freshService({ file: ledgerFile });
    fs.writeFileSync(path.join(dataDir, 'api-token'), 'token-value\n', { mode: 0o600 });
    const elsewhere = path.join(tempDir(), 'innocent.db');
    fs.symlinkSync(ledgerFile, elsewhere);
    for (const file of [ledgerFile, path.join(dataDir, 'api-token'), `${ledgerFile}-wal`, elsewhere]) {
      const failure = importDatabase(service, file);
      await expect(failure).rejects.toThrow(/ModelMeter's own data folder/);
      await expect(failure).rejects.not.toThrow(/token-value/);
    }
  });
});

describe('the native addon', () => {
  const nodeAddon = path.resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node');

  it('that opens the source is the one the service was given (Electron passes its own build)', async () => {
    const file = craftCcx(tempDir(), 5);
    // An addon that cannot load proves the source reader uses the one passed, not node_modules'.
    const broken = freshService({ nativeBinding: path.join(tempDir(), 'no-such-addon.node') });
    await expect(broken.importDatabase({ path: file })).rejects.toThrow(/cannot read .* as SQLite/);
    expect((await broken.getStorageInfo()).totalRequests).toBe(0);

    const working = freshService({ nativeBinding: nodeAddon });
    expect((await working.importDatabase({ path: file })).requests.accepted).toBe(5);
  });
});
