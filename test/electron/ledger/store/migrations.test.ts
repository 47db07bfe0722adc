import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, pendingUpgrade } from '../../../../electron/ledger/store/database.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { MIGRATIONS, migrate, NewerSchemaError, SCHEMA_VERSION, type Migration } from '../../../../electron/ledger/store/migrations.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-migrations-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const userVersion = (db: BetterSqlite3.Database) => db.pragma('user_version', { simple: true }) as number;
const tables = (db: BetterSqlite3.Database) =>
  db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .all()
    .map((row) => row.name);

describe('a fresh database', () => {
  it('is created at the latest schema version with every table', () => {
    const file = path.join(dir, 'fresh.db');
    const db = openDatabase(file);
    try {
      expect(SCHEMA_VERSION).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
      expect(userVersion(db)).toBe(SCHEMA_VERSION);
      expect(tables(db)).toEqual(
        expect.arrayContaining(['requests', 'rollup_minute', 'rollup_hour', 'rollup_day', 'runs', 'program_runs', 'price_versions', 'circuit_states', 'circuit_events', 'models', 'channels']),
      );
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('opens again without applying anything, data kept', () => {
    const file = path.join(dir, 'again.db');
    const first = Ledger.open(file, { now: () => 1_000 });
    first.write(() => first.ctx.models.ensure('kept'));
    first.close();
    const db = openDatabase(file);
    try {
      expect(migrate(db)).toEqual([]);
      expect(userVersion(db)).toBe(SCHEMA_VERSION);
      expect(db.prepare(`SELECT name FROM models`).all()).toEqual([{ name: 'kept' }]);
    } finally {
      db.close();
    }
  });

  it('upgrades an empty database from version 0', () => {
    const file = path.join(dir, 'old.db');
    const old = new BetterSqlite3(file);
    old.exec(`CREATE TABLE unrelated (x INTEGER)`);
    old.close();
    const db = openDatabase(file);
    try {
      expect(userVersion(db)).toBe(SCHEMA_VERSION);
      expect(tables(db)).toContain('unrelated');
      expect(tables(db)).toContain('requests');
    } finally {
      db.close();
    }
  });
});

describe('a database from an earlier ModelMeter', () => {
  it('upgrades step by step to the latest version, keeping its data', () => {
    const file = path.join(dir, 'v1.db');
    const old = new BetterSqlite3(file);
    old.pragma('journal_mode = WAL');
    expect(migrate(old, MIGRATIONS.slice(0, 1))).toEqual([1]);
    old.prepare(`INSERT INTO models (name, created_at) VALUES ('legacy', 1)`).run();
    old.close();

    const ledger = Ledger.open(file, { now: () => 5_000 });
    try {
      expect(userVersion(ledger.db)).toBe(SCHEMA_VERSION);
      expect(ledger.db.prepare(`SELECT name FROM models`).all()).toEqual([{ name: 'legacy' }]);
      // Since version 2 a request may name a channel without an api type.
      const result = ledger.write(() =>
        ledger.requests.write([
          {
            ts: 4_000,
            model: 'legacy',
            apiType: null,
            inputTokens: 1,
            outputTokens: 2,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            success: true,
            failureClass: null,
            statusCode: null,
            latencyMs: null,
            ttftMs: null,
            channel: '0123456789abcdef',
            source: null,
            requestId: null,
          },
        ]),
      );
      expect(result.accepted).toBe(1);
    } finally {
      ledger.close();
    }
  });
});

describe('the upgrade an open would run (told before it runs: seconds on a big ledger)', () => {
  it('is named for a file at an earlier version, with its size, and read without writing', () => {
    const file = path.join(dir, 'earlier.db');
    const old = new BetterSqlite3(file);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.slice(0, -1));
    old.close();
    const before = fs.readFileSync(file);
    const filesBefore = fs.readdirSync(dir).sort();
    expect(pendingUpgrade(file)).toEqual({ from: SCHEMA_VERSION - 1, to: SCHEMA_VERSION, bytes: before.length });
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(filesBefore);
    openDatabase(file).close();
    expect(pendingUpgrade(file)).toBeNull();
  });

  it('is none for a missing file, a new one, or one from a newer ModelMeter (which the open refuses)', () => {
    expect(pendingUpgrade(path.join(dir, 'missing.db'))).toBeNull();
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false);
    const empty = path.join(dir, 'empty.db');
    fs.writeFileSync(empty, '');
    expect(pendingUpgrade(empty)).toBeNull();
    const newer = path.join(dir, 'newer.db');
    const db = new BetterSqlite3(newer);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(pendingUpgrade(newer)).toBeNull();
    expect(() => openDatabase(newer)).toThrow(NewerSchemaError);
  });
});

describe('a database from a newer ModelMeter', () => {
  function writeNewer(file: string, wal: boolean): void {
    const db = new BetterSqlite3(file);
    if (wal) db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (42);`);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
  }

  for (const wal of [false, true]) {
    it(`is refused with NewerSchemaError and left byte-identical (${wal ? 'WAL' : 'rollback journal'})`, () => {
      const file = path.join(dir, 'newer.db');
      writeNewer(file, wal);
      const before = fs.readFileSync(file);
      const filesBefore = fs.readdirSync(dir).sort();

      let caught: unknown;
      try {
        openDatabase(file);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(NewerSchemaError);
      expect((caught as NewerSchemaError).found).toBe(SCHEMA_VERSION + 1);
      expect((caught as Error).message).toMatch(/newer ModelMeter/);

      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(dir).sort()).toEqual(filesBefore);
      // The ledger facade refuses it the same way.
      expect(() => Ledger.open(file)).toThrow(NewerSchemaError);
      expect(fs.readFileSync(file).equals(before)).toBe(true);

      const check = new BetterSqlite3(file, { readonly: true });
      expect(userVersion(check)).toBe(SCHEMA_VERSION + 1);
      expect(tables(check)).toEqual(['future']);
      check.close();
    });
  }

  it('is refused when its version bump still lives in the WAL (after a crash), log left as it was', () => {
    const live = path.join(dir, 'live.db');
    const db = new BetterSqlite3(live);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec(`CREATE TABLE future (x INTEGER)`);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    // Copy the files while the writer is still open: what a kill -9 leaves on disk.
    const file = path.join(dir, 'crashed.db');
    fs.copyFileSync(live, file);
    fs.copyFileSync(`${live}-wal`, `${file}-wal`);
    db.close();
    const mainBefore = fs.readFileSync(file);
    const walBefore = fs.readFileSync(`${file}-wal`);
    expect(walBefore.length).toBeGreaterThan(0);

    expect(() => openDatabase(file)).toThrow(NewerSchemaError);
    expect(fs.readFileSync(file).equals(mainBefore)).toBe(true);
    expect(fs.readFileSync(`${file}-wal`).equals(walBefore)).toBe(true);
  });

  it('is refused by migrate() itself, before any step runs', () => {
    const db = new BetterSqlite3(':memory:');
    db.pragma('user_version = 7');
    let ran = false;
    const steps: Migration[] = [{ version: 1, name: 'one', up: () => void (ran = true) }];
    expect(() => migrate(db, steps)).toThrow(NewerSchemaError);
    expect(ran).toBe(false);
    expect(userVersion(db)).toBe(7);
    db.close();
  });
});

describe('migrate() with a custom list of steps', () => {
  const step = (version: number, sql: string): Migration => ({ version, name: `v${version}`, up: (db) => db.exec(sql) });
  const STEPS = [
    step(1, `CREATE TABLE a (x INTEGER)`),
    step(2, `CREATE TABLE b (y INTEGER)`),
    step(3, `ALTER TABLE a ADD COLUMN z TEXT DEFAULT 'new'`),
  ];

  it('applies every pending step in order and reports them', () => {
    const db = new BetterSqlite3(':memory:');
    expect(migrate(db, STEPS)).toEqual([1, 2, 3]);
    expect(userVersion(db)).toBe(3);
    expect(tables(db)).toEqual(['a', 'b']);
    expect(migrate(db, STEPS)).toEqual([]);
    db.close();
  });

  it('applies only the steps above the stored version, keeping data', () => {
    const db = new BetterSqlite3(':memory:');
    expect(migrate(db, STEPS.slice(0, 1))).toEqual([1]);
    db.exec(`INSERT INTO a (x) VALUES (5)`);
    expect(migrate(db, STEPS)).toEqual([2, 3]);
    expect(userVersion(db)).toBe(3);
    expect(db.prepare(`SELECT x, z FROM a`).all()).toEqual([{ x: 5, z: 'new' }]);
    db.close();
  });

  it("tells the log of an existing database's upgrade, before and after, and nothing of a new database's creation", () => {
    const db = new BetterSqlite3(':memory:');
    const heard: string[] = [];
    migrate(db, STEPS.slice(0, 1), (message) => heard.push(message));
    expect(heard).toEqual([]);
    migrate(db, STEPS, (message) => heard.push(message));
    expect(heard).toHaveLength(2);
    expect(heard[0]).toBe('upgrading the ledger from schema version 1 to 3 (v2; v3)...');
    expect(heard[1]).toMatch(/^the ledger is at schema version 3 \(\d+ ms\)$/);
    db.close();
  });

  it('applies pending steps in one transaction: a failing step leaves version and schema as they were', () => {
    const file = path.join(dir, 'failing.db');
    const db = new BetterSqlite3(file);
    expect(migrate(db, STEPS.slice(0, 1))).toEqual([1]);
    const failing: Migration[] = [
      ...STEPS,
      {
        version: 4,
        name: 'broken',
        up(inner) {
          inner.exec(`CREATE TABLE c (w INTEGER)`);
          throw new Error('step 4 failed');
        },
      },
    ];
    expect(() => migrate(db, failing)).toThrow('step 4 failed');
    expect(userVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['a']);
    expect(db.inTransaction).toBe(false);
    db.close();
    // Nothing of the failed attempt reached the file either.
    const reopened = new BetterSqlite3(file);
    expect(userVersion(reopened)).toBe(1);
    expect(tables(reopened)).toEqual(['a']);
    reopened.close();
  });
});
