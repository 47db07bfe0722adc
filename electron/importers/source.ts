import fs from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { FORMAT_LABELS, ImportError, type ImportFormat } from './types.js';

const SQLITE_MAGIC = 'SQLite format 3\0';

const EXPECTED =
  "an LLM-Manager monitoring.db (tables model_name_mapping and {model}_requests, or models and model_requests) or a ccx metrics.db (tables request_records and circuit_states)";

/** A source database opened read-only, with its table and column names at hand. */
export class SourceDb {
  readonly tables: Set<string>;
  private readonly columnCache = new Map<string, Set<string>>();

  private constructor(
    readonly db: Database,
    private readonly createdSidecars: string[],
    readonly file: string,
  ) {
    const rows = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).all();
    this.tables = new Set(rows.map((row) => row.name));
  }

  static open(file: string): SourceDb {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new ImportError('missing', `no file at ${file}: expected ${EXPECTED}`);
    }
    if (!stat.isFile()) throw new ImportError('unreadable', `${file} is a ${stat.isDirectory() ? 'folder' : 'special file'}, not a database file: expected ${EXPECTED}`);
    const header = readHeader(file);
    if (header.length < SQLITE_MAGIC.length || header.toString('latin1', 0, SQLITE_MAGIC.length) !== SQLITE_MAGIC) {
      throw new ImportError('not_sqlite', `${file} is not a SQLite database (it starts with ${describeBytes(header)}): expected ${EXPECTED}`);
    }
    // A read-only handle on a WAL database leaves -wal/-shm files behind: remove those we caused.
    const sidecars = [`${file}-wal`, `${file}-shm`].filter((sidecar) => !fs.existsSync(sidecar));
    let db: Database;
    try {
      db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
      db.pragma('query_only = ON');
      return new SourceDb(db, sidecars, file);
    } catch (error) {
      removeCreated(sidecars);
      throw new ImportError('unreadable', `cannot read ${file} as SQLite: ${(error as Error).message}`);
    }
  }

  columns(table: string): Set<string> {
    let columns = this.columnCache.get(table);
    if (!columns) {
      const rows = this.db.prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?)`).all(table);
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

/** Which of the known layouts a database has; throws an ImportError naming what was found otherwise. */
export function detectLayout(source: SourceDb): ImportFormat {
  if (source.has('request_records', 'metrics_key', 'timestamp') || source.has('circuit_states', 'metrics_key', 'api_type', 'circuit_state')) return 'ccx';
  if (source.has('models', 'id', 'original_name') && source.has('model_requests', 'model_id', 'input_tokens')) return 'llm-manager-unified';
  if (source.has('model_name_mapping', 'original_name', 'safe_name')) return 'llm-manager-tables';
  // The oldest LLM-Manager files may lack the mapping table; their per-model tables still say what they are.
  for (const table of source.tables) {
    if (table.endsWith('_requests') && source.has(table, 'input_tokens', 'output_tokens')) return 'llm-manager-tables';
  }
  const found = [...source.tables].sort();
  const hint = source.has('requests', 'request_id') && source.tables.has('rollup_hour') ? ' (this looks like a ModelMeter database, which needs no import)' : '';
  throw new ImportError(
    'unknown_layout',
    `${source.file} is a SQLite database but not one ModelMeter can import${hint}: expected ${EXPECTED}; found ${
      found.length === 0 ? 'no tables' : `tables ${found.slice(0, 12).join(', ')}${found.length > 12 ? `, and ${found.length - 12} more` : ''}`
    }`,
  );
}

/** Opens just long enough to tell the format; throws the same ImportError an import would. */
export function detectFormat(file: string): { format: ImportFormat; label: string } {
  const source = SourceDb.open(file);
  try {
    const format = detectLayout(source);
    return { format, label: FORMAT_LABELS[format] };
  } finally {
    source.close();
  }
}

function readHeader(file: string): Buffer {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(100);
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read);
  } catch (error) {
    throw new ImportError('unreadable', `cannot read ${file}: ${(error as Error).message}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function describeBytes(header: Buffer): string {
  if (header.length === 0) return 'nothing: the file is empty';
  const text = header.subarray(0, 24).toString('utf8');
  const printable = /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(text.replace(/\uFFFD$/, ''));
  return printable ? `the text "${text.replace(/\s+/g, ' ').trim()}${header.length > 24 ? '…' : ''}"` : `the bytes ${header.subarray(0, 8).toString('hex')}`;
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
