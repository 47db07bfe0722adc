import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { FORMAT_LABELS, ImportError, type ImportFormat } from './types.js';

const SQLITE_MAGIC = 'SQLite format 3\0';
/** Longest table or column name looked at; LLM-Manager's are model names plus a suffix (256 + 16). */
const MAX_NAME = 512;

const EXPECTED =
  "an LLM-Manager monitoring.db (tables model_name_mapping and {model}_requests, or models and model_requests) or a ccx metrics.db (tables request_records and circuit_states)";

export interface SourceOptions {
  /** The better-sqlite3 addon to load (Electron's build inside the desktop app). */
  nativeBinding?: string;
  /** A folder whose files are refused (ModelMeter's data folder), symlinks resolved. */
  protectedDir?: string;
}

/** A source database opened read-only, with its table and column names at hand. */
export class SourceDb {
  readonly tables: Set<string>;
  private readonly columnCache = new Map<string, Set<string>>();

  private constructor(
    readonly db: Database,
    private readonly createdSidecars: string[],
    readonly file: string,
  ) {
    // Names are the file's own text: a crafted file could hold one of any size, and none we read is long.
    const rows = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND length(name) <= ${MAX_NAME}`).all();
    this.tables = new Set(rows.map((row) => row.name));
  }

  /**
   * Opens `file` read-only. What an error says about the file is only what kind of file it is: the
   * path is the caller's own, but nothing the file holds may be echoed back (the API could otherwise
   * read any file the process can). A missing, unreadable or special file answers alike, so the
   * answer does not tell which paths exist either.
   */
  static open(file: string, options: SourceOptions = {}): SourceDb {
    const notReadable = () => new ImportError('missing', `no readable database file at ${file}: expected ${EXPECTED}`);
    let real: string;
    try {
      real = fs.realpathSync(file);
      if (!fs.statSync(real).isFile()) throw notReadable();
    } catch {
      throw notReadable();
    }
    if (options.protectedDir !== undefined && isInside(real, options.protectedDir)) {
      throw new ImportError('own_file', `${file} is in ModelMeter's own data folder: its files (the ledger, its log, the API token, the key file) are never imported`);
    }
    const header = readHeader(real, notReadable);
    if (header.length < SQLITE_MAGIC.length || header.toString('latin1', 0, SQLITE_MAGIC.length) !== SQLITE_MAGIC) {
      throw new ImportError('not_sqlite', `${file} is not a SQLite database: expected ${EXPECTED}`);
    }
    // A read-only handle on a WAL database leaves -wal/-shm files behind: remove those we caused.
    const sidecars = [`${real}-wal`, `${real}-shm`].filter((sidecar) => !fs.existsSync(sidecar));
    let db: Database;
    try {
      // Inside Electron the addon in node_modules is built for Node's ABI: the host passes its own build.
      db = new BetterSqlite3(real, { readonly: true, fileMustExist: true, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
      db.pragma('query_only = ON');
      return new SourceDb(db, sidecars, file);
    } catch (error) {
      removeCreated(sidecars);
      throw new ImportError('unreadable', `cannot read ${file} as SQLite: ${sqliteReason(error)}`);
    }
  }

  columns(table: string): Set<string> {
    let columns = this.columnCache.get(table);
    if (!columns) {
      const rows = this.db.prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?) WHERE length(name) <= ${MAX_NAME}`).all(table);
      columns = new Set(rows.map((row) => row.name));
      this.columnCache.set(table, columns);
    }
    return columns;
  }

  has(table: string, ...columns: string[]): boolean {
    if (!this.tables.has(table)) return false;
    const present = this.columns(table);
    return columns.every((column) => present.has(column));
  }

  close(): void {
    if (this.db.open) this.db.close();
    removeCreated(this.createdSidecars);
  }
}

/** SQL identifiers come from the source's own schema; quoting keeps odd names (and only names) safe. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A column as read from a source file, so that no cell reaches JavaScript bigger than `max`
 * characters: text is cut in SQL and blobs (which no reader wants) become NULL. A crafted file with a
 * 200M-character model name would otherwise be turned into a JavaScript string, then taken apart.
 */
export function cell(expression: string, max: number): string {
  return `(CASE typeof(${expression}) WHEN 'text' THEN substr(${expression}, 1, ${max}) WHEN 'blob' THEN NULL ELSE ${expression} END)`;
}

/** Numbers, times and flags: a text cell longer than this is no number of either tool. */
export const NUMBER_CHARS = 64;

/**
 * Largest cell (bytes) an import reads. Neither tool writes one past a few hundred bytes in the
 * columns read; SQLite has to load a cell whole to cut, compare or sort it (~12 ms per MB, on the
 * event loop), so a file with a bigger one is refused before anything is read from it.
 */
export const MAX_CELL_BYTES = 16 * 1024;
const CHECK_ROWS = 5_000;

/**
 * Refuses the file when a cell that reading `columns` of `table` would touch is larger than
 * MAX_CELL_BYTES. SQLite tells a text or blob cell's size from the record header (octet_length
 * loads no overflow page), but a number stored after a huge cell can only be reached by walking
 * the huge cell's overflow pages; so the cells are tested in the table's column order, each only
 * when every one before it was small (a CASE stops at the first big one). Columns before the last
 * one read count too, read or not. The scan goes in pages of rowids with a turn between them.
 */
export async function requireSmallCells(source: SourceDb, table: string, columns: readonly string[], turn: () => Promise<void>): Promise<void> {
  const order = source.db.prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table).map((row) => row.name);
  const last = Math.max(-1, ...columns.map((column) => order.indexOf(column)));
  if (last < 0) return;
  const touched = order.slice(0, last + 1);
  const firstBig = `CASE ${touched.map((column, index) => `WHEN octet_length(${ident(column)}) > ${MAX_CELL_BYTES} THEN ${index + 1}`).join(' ')} ELSE 0 END`;
  // Keyset pages by rowid: a crafted file's rowids may be anything, so never step through the range.
  const statement = source.db
    .prepare(`SELECT count(*), max(r), max(big) FROM (SELECT rowid AS r, ${firstBig} AS big FROM ${ident(table)} WHERE rowid > ? ORDER BY rowid LIMIT ${CHECK_ROWS})`)
    .raw()
    .safeIntegers();
  let after = -(2n ** 63n);
  for (;;) {
    const [count, lastRowid, big] = statement.get(after) as (bigint | null)[];
    if (big !== null && big !== undefined && big > 0n) {
      throw new ImportError(
        'oversized',
        `${source.file} holds a value larger than ${MAX_CELL_BYTES} bytes in a column "${touched[Number(big) - 1]}" (neither LLM-Manager nor ccx writes one); the file was refused and nothing was imported`,
      );
    }
    if (Number(count) < CHECK_ROWS || lastRowid === null || lastRowid === undefined) return;
    after = lastRowid;
    await turn();
  }
}

/** Which of the known layouts a database has; throws an ImportError naming what was found otherwise. */
export function detectLayout(source: SourceDb): ImportFormat {
  if (source.has('request_records', 'metrics_key', 'timestamp') || source.has('circuit_states', 'metrics_key', 'api_type', 'circuit_state')) return 'ccx';
  if (source.has('models', 'id', 'original_name') && source.has('model_requests', 'model_id', 'input_tokens')) return 'llm-manager-unified';
  if (source.has('model_name_mapping', 'original_name', 'safe_name')) return 'llm-manager-tables';
  // The oldest LLM-Manager files may lack the mapping table; their per-model tables still say what they are.
  for (const table of source.tables) {
    if (table.endsWith('_requests') && source.has(table, 'input_tokens', 'output_tokens')) return 'llm-manager-tables';
  }
  const hint = source.has('requests', 'model_id', 'cache_read_tokens') && source.tables.has('rollup_hour') ? ' (this looks like a ModelMeter database, which needs no import)' : '';
  // Which tables it has is the file's content too: the message names only what was expected.
  throw new ImportError('unknown_layout', `${source.file} is a SQLite database but not one ModelMeter can import${hint}: expected ${EXPECTED}`);
}

/** Opens just long enough to tell the format; throws the same ImportError an import would. */
export function detectFormat(file: string, options: SourceOptions = {}): { format: ImportFormat; label: string } {
  const source = SourceDb.open(file, options);
  try {
    const format = detectLayout(source);
    return { format, label: FORMAT_LABELS[format] };
  } finally {
    source.close();
  }
}

function readHeader(file: string, notReadable: () => ImportError): Buffer {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(100);
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read);
  } catch {
    throw notReadable();
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** SQLite's own words ("file is not a database", "database disk image is malformed") quote no content. */
function sqliteReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return (error as Error).message.slice(0, 200);
  return 'the SQLite library could not open it';
}

function isInside(file: string, dir: string): boolean {
  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch {
    root = path.resolve(dir);
  }
  const relative = path.relative(root, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function removeCreated(sidecars: readonly string[]): void {
  // Only when we created both: a -shm next to a -wal someone else made belongs to a live writer.
  if (sidecars.length < 2) return;
  for (const sidecar of sidecars) {
    try {
      if (fs.existsSync(sidecar) && (sidecar.endsWith('-shm') || fs.statSync(sidecar).size === 0)) fs.rmSync(sidecar);
    } catch {
      // Leaving an empty sidecar behind is harmless; failing the import over it would not be.
    }
  }
}
