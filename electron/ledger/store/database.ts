import fs from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate, NewerSchemaError, SCHEMA_VERSION } from './migrations.js';

export type { Database };

export interface OpenOptions {
  /**
   * 'full' fsyncs the WAL on every commit, so an acknowledged write survives power loss too;
   * 'normal' survives a process crash (kill -9) but not an OS crash, and is faster.
   */
  durability?: 'full' | 'normal';
  /**
   * The compiled better-sqlite3 addon to load instead of the one in node_modules: the desktop app
   * passes one built for Electron's ABI, so node_modules stays built for Node (tests, headless).
   */
  nativeBinding?: string;
  /**
   * A second connection that only reads (the read worker, electron/ledger/reads/): nothing is written, not
   * even a migration, and the schema must already be the current one.
   */
  readonly?: boolean;
  /** Told when an existing database's schema is upgraded, before and after (a big ledger takes seconds). */
  log?: (message: string) => void;
}

/**
 * The WAL is folded into the file by the connection whose commit takes it past this many pages: bigger
 * steps than SQLite's 1,000, fewer stalls during sustained ingest. With a writer thread running, the
 * thread does it for the main connection (WriteWorkerClient), which then checkpoints only past
 * CHECKPOINT_PAGES_BESIDE_THREAD: a long write there that never waits for the thread's checkpoints
 * (StoreContext.betweenWrites) would otherwise keep the WAL from starting over, and grow it for good.
 */
export const CHECKPOINT_PAGES = 4000;
export const CHECKPOINT_PAGES_BESIDE_THREAD = 4 * CHECKPOINT_PAGES;

/**
 * Opens (creating if needed) a ModelMeter database, refusing one from a newer schema before anything
 * is written to it: the version check runs on a read-only handle so the file stays byte-identical.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (options.readonly) return openReader(file, options);
  if (file !== ':memory:' && fs.existsSync(file)) {
    const found = storedVersion(file, options);
    if (found > SCHEMA_VERSION) throw new NewerSchemaError(found);
  }
  if (file !== ':memory:') ownerOnly(file);
  const db = new BetterSqlite3(file, binding(options));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -32000');
    db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    migrate(db, undefined, options.log);
    // journal_mode = WAL made the log and its index; SQLite gives them the database file's mode.
    if (file !== ':memory:') ownerOnly(file);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** An upgrade of the schema that opening a file will run first (migrate): seconds on a big ledger. */
export interface SchemaUpgrade {
  from: number;
  to: number;
  /** The file's size: what the upgrade's time grows with (migration 17 took ~14 s for 714 MB). */
  bytes: number;
}

/**
 * The upgrade openDatabase would run on `file`, or null: none when the file is new or current, or
 * from a newer version (which openDatabase refuses). Read on a read-only handle, nothing written.
 */
export function pendingUpgrade(file: string, options: Pick<OpenOptions, 'nativeBinding'> = {}): SchemaUpgrade | null {
  if (!fs.existsSync(file)) return null;
  const found = storedVersion(file, options);
  if (found === 0 || found >= SCHEMA_VERSION) return null;
  return { from: found, to: SCHEMA_VERSION, bytes: fs.statSync(file).size };
}

/**
 * The schema version an existing file holds, read on a read-only handle so that a file from a newer
 * version stays byte-identical: the -wal and -shm files that handle creates (an empty log and its
 * index) are removed again.
 */
function storedVersion(file: string, options: Pick<OpenOptions, 'nativeBinding'>): number {
  const created = [`${file}-wal`, `${file}-shm`].filter((sidecar) => !fs.existsSync(sidecar));
  const probe = new BetterSqlite3(file, { readonly: true, fileMustExist: true, ...binding(options) });
  try {
    return probe.pragma('user_version', { simple: true }) as number;
  } finally {
    probe.close();
    for (const sidecar of created) {
      if (fs.existsSync(sidecar) && (sidecar.endsWith('-shm') || fs.statSync(sidecar).size === 0)) fs.rmSync(sidecar);
    }
  }
}

/**
 * The ledger, its log and its index are readable by their owner only (0600), whatever the umask and
 * the folder's mode: they hold every request, channel and price. An empty file is created with that
 * mode before SQLite opens it (SQLite treats it as a new database and copies its mode to -wal and
 * -shm); files an older version left 0644 are narrowed. Windows has no such modes and ignores it.
 */
function ownerOnly(file: string): void {
  if (process.platform === 'win32') return;
  fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(path).mode & 0o077) !== 0) fs.chmodSync(path, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function binding(options: OpenOptions): { nativeBinding?: string } {
  return options.nativeBinding ? { nativeBinding: options.nativeBinding } : {};
}

/**
 * A read-only connection beside the writer: WAL lets it read a consistent snapshot while the writer
 * commits. It must meet the schema the writer migrated to; an older or newer one is a bug or a race.
 */
function openReader(file: string, options: OpenOptions): Database {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true, ...binding(options) });
  try {
    const found = db.pragma('user_version', { simple: true }) as number;
    if (found !== SCHEMA_VERSION) throw new Error(`a reader needs schema version ${SCHEMA_VERSION}, found ${found}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -32000');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
