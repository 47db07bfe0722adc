import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import type { AgentRecord, DatabaseFormat } from '../format.js';
import { attribution, count, envRoots, modelName, obj, parseLine, providerFromModel, stableId, str, time, tokens } from './shared/fields.js';

/**
 * opencode's SQLite database: `${OPENCODE_DATA_DIR:-${XDG_DATA_HOME:-~/.local/share}/opencode}/opencode.db`
 * (opencode itself follows XDG_DATA_HOME; OPENCODE_DATA_DIR is the name ccusage reads). Table
 * `message(id, session_id, time_created, time_updated, data)`, `data` the message without its ids:
 * assistant messages carry `modelID`, `providerID`, `time.created` (ms), `path.cwd`, and
 * `tokens{input, output, reasoning, cache{read, write}}`. opencode already takes cache reads and
 * writes out of `input`, and prices `reasoning` at the output rate on top of `output`, so the
 * canonical output is output + reasoning.
 *
 * An assistant message is inserted when its call starts (zero tokens) and updated when the step
 * finishes, so the cursor is `(time_updated, id)`: an update moves the row past the cursor and it is
 * read again; the requestId is the message id, so a re-read never counts twice. Rows without tokens
 * yet are passed over (their completion moves time_updated on). Databases from before time_updated
 * existed are read by rowid.
 *
 * The older JSON storage (`storage/message/<session>/<message>.json`) is not read: opencode migrates it
 * into opencode.db on start.
 */

const PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  'google-vertex': 'google',
  'google-vertex-anthropic': 'anthropic',
  deepseek: 'deepseek',
  mistral: 'mistral',
  xai: 'x-ai',
};

const cursorSchema = z.union([
  z.object({ by: z.literal('updated'), t: z.number(), id: z.string() }),
  z.object({ by: z.literal('rowid'), rowid: z.number() }),
]);
type Cursor = z.infer<typeof cursorSchema>;

interface Row {
  id: string;
  session_id: string;
  data: string;
  directory: string | null;
}

export interface OpencodeOptions {
  /** better-sqlite3's native module built for Electron, where the host needs one. */
  nativeBinding?: string;
}

function toRecord(row: Row): AgentRecord | undefined {
  const data = parseLine(row.data);
  if (!data || data['role'] !== 'assistant') return undefined;
  const usage = obj(data, 'tokens');
  const cache = obj(usage, 'cache');
  const input = count(usage, 'input');
  const output = count(usage, 'output') + count(usage, 'reasoning');
  const cacheRead = count(cache, 'read');
  const cacheWrite = count(cache, 'write');
  if (input + output + cacheRead + cacheWrite === 0) return undefined;
  const ts = time(obj(data, 'time')?.['created']);
  const model = modelName(str(data, 'modelID'));
  if (ts === undefined || model === undefined) return undefined;
  const providerId = str(data, 'providerID')?.toLowerCase();
  const provider = (providerId !== undefined ? PROVIDERS[providerId] : undefined) ?? providerFromModel(model) ?? providerId;
  const pathInfo = obj(data, 'path');
  return {
    ts,
    model,
    inputTokens: tokens(input),
    outputTokens: tokens(output),
    cacheReadTokens: tokens(cacheRead),
    cacheWriteTokens: tokens(cacheWrite),
    source: 'opencode',
    requestId: stableId('opencode', row.id),
    ...attribution({ project: str(pathInfo, 'cwd') ?? row.directory ?? undefined, sessionId: row.session_id, provider }),
  };
}

function readBatch(db: BetterSqlite3.Database, cursor: Cursor | undefined, limit: number): { rows: Row[]; scanned: number; next: Cursor | undefined } {
  const columns = new Set(db.prepare(`SELECT name FROM pragma_table_info('message')`).pluck().all() as string[]);
  if (!columns.has('id') || !columns.has('data')) return { rows: [], scanned: 0, next: cursor };
  const sessionColumns = new Set(db.prepare(`SELECT name FROM pragma_table_info('session')`).pluck().all() as string[]);
  const directory = sessionColumns.has('directory') ? '(SELECT s.directory FROM session s WHERE s.id = m.session_id)' : 'NULL';
  const fetch = db.prepare(`SELECT m.id, m.session_id, m.data, ${directory} AS directory FROM message m WHERE m.id = ?`);

  if (columns.has('time_updated') && cursor?.by !== 'rowid') {
    // Page through (time_updated, id) reading the narrow columns only, then fetch each row's data.
    const after = cursor?.by === 'updated' ? cursor : { t: -1, id: '' };
    const keys = db
      .prepare(`SELECT id, time_updated AS t FROM message WHERE time_updated > @t OR (time_updated = @t AND id > @id) ORDER BY time_updated, id LIMIT @limit`)
      .all({ t: after.t, id: after.id, limit }) as { id: string; t: number }[];
    const rows = keys.map((key) => fetch.get(key.id) as Row | undefined).filter((row): row is Row => row !== undefined);
    const last = keys.at(-1);
    return { rows, scanned: keys.length, next: last ? { by: 'updated', t: last.t, id: last.id } : cursor };
  }
  const after = cursor?.by === 'rowid' ? cursor.rowid : 0;
  const keys = db.prepare(`SELECT rowid AS rowid, id FROM message WHERE rowid > ? ORDER BY rowid LIMIT ?`).all(after, limit) as { rowid: number; id: string }[];
  const rows = keys.map((key) => fetch.get(key.id) as Row | undefined).filter((row): row is Row => row !== undefined);
  const last = keys.at(-1);
  return { rows, scanned: keys.length, next: last ? { by: 'rowid', rowid: last.rowid } : cursor };
}

export function createOpencodeFormat(options: OpencodeOptions = {}): DatabaseFormat {
  return {
    kind: 'database',
    id: 'opencode',
    databaseFile: 'opencode.db',
    roots(env, home) {
      const fromEnv = envRoots(env, ['OPENCODE_DATA_DIR']);
      if (fromEnv.length > 0) return fromEnv;
      const xdg = env['XDG_DATA_HOME']?.trim();
      return [path.join(xdg ? xdg : path.join(home, '.local', 'share'), 'opencode')];
    },
    readSince(databasePath, cursor, limit) {
      const parsed = cursorSchema.safeParse(cursor);
      const from = parsed.success ? parsed.data : undefined;
      const size = Math.max(1, Math.trunc(limit));
      // Read-only and short-lived: opencode keeps writing (WAL) while we read; a reader never blocks it.
      const db = new BetterSqlite3(databasePath, {
        readonly: true,
        fileMustExist: true,
        timeout: 2_000,
        ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
      });
      try {
        const hasMessages = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message'`).get() !== undefined;
        if (!hasMessages) return { records: [], cursor: from, done: true };
        const { rows, scanned, next } = db.transaction(() => readBatch(db, from, size))();
        const records = rows.map(toRecord).filter((record): record is AgentRecord => record !== undefined);
        return { records, cursor: next, done: scanned < size };
      } finally {
        db.close();
      }
    },
  };
}

export const opencodeFormat: DatabaseFormat = createOpencodeFormat();
