import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentRecord } from '../../../../../electron/sources/agents/format.js';
import { opencodeFormat } from '../../../../../electron/sources/agents/formats/opencode.js';
import { requestRecordSchema } from '../../../../../shared/schemas/request-record.js';
import { totals, type Totals } from './support.js';

/**
 * opencode's SQLite database, built for real from test/fixtures/agents/opencode/opencode-rows.json
 * (session and message rows as opencode 1.x writes them, with its table layout): two sessions (one a
 * sub-agent through OpenRouter), a compaction summary, a call still in progress (zero tokens).
 */

interface Fixture {
  sessions: { id: string; project_id: string; parent_id: string | null; slug: string; directory: string; title: string; version: string; time_created: number; time_updated: number }[];
  messages: { id: string; session_id: string; time_created: number; time_updated: number; data: Record<string, unknown> }[];
}
const FIXTURE = JSON.parse(fs.readFileSync(path.resolve('test/fixtures/agents/opencode/opencode-rows.json'), 'utf8')) as Fixture;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A WAL database with opencode's tables; `legacy` leaves out time_updated (before it existed). */
function createDb(options: { legacy?: boolean } = {}): { file: string; db: BetterSqlite3.Database } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-opencode-'));
  dirs.push(dir);
  const file = path.join(dir, 'opencode.db');
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  const updated = options.legacy ? '' : ', time_updated integer NOT NULL';
  db.exec(`
    CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL, parent_id text, slug text NOT NULL, directory text NOT NULL,
      title text NOT NULL, version text NOT NULL, share_url text, time_created integer NOT NULL${updated}, time_compacting integer, time_archived integer);
    CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL REFERENCES session(id) ON DELETE CASCADE,
      time_created integer NOT NULL${updated}, data text NOT NULL);
    CREATE INDEX message_session_time_created_id_idx ON message (session_id, time_created, id);
    CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL, time_created integer NOT NULL${updated}, data text NOT NULL);
  `);
  const cols = options.legacy ? '' : ', time_updated';
  const params = options.legacy ? '' : ', @time_updated';
  const session = db.prepare(`INSERT INTO session (id, project_id, parent_id, slug, directory, title, version, time_created${cols}) VALUES (@id, @project_id, @parent_id, @slug, @directory, @title, @version, @time_created${params})`);
  for (const row of FIXTURE.sessions) session.run(row);
  return { file, db };
}

function insert(db: BetterSqlite3.Database, row: Fixture['messages'][number], legacy = false): void {
  if (legacy) db.prepare('INSERT INTO message (id, session_id, time_created, data) VALUES (?, ?, ?, ?)').run(row.id, row.session_id, row.time_created, JSON.stringify(row.data));
  else db.prepare('INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?, ?, ?, ?, ?)').run(row.id, row.session_id, row.time_created, row.time_updated, JSON.stringify(row.data));
}

/** Reads everything from `cursor` on in batches of `limit`, as the follower does. */
function readAll(file: string, cursor: unknown, limit: number): { records: AgentRecord[]; cursor: unknown; batches: number } {
  const records: AgentRecord[] = [];
  let batches = 0;
  for (;;) {
    const batch = opencodeFormat.readSince(file, cursor, limit);
    records.push(...batch.records);
    cursor = batch.cursor;
    batches += 1;
    if (batch.done) return { records, cursor, batches };
    if (batches > 1_000) throw new Error('readSince never reported done');
  }
}

// Hand-counted from the rows (output = output + reasoning; input already without cache):
// m2 sonnet 1200 / out 300 / read 8000 / write 2000; m3 sonnet 400 / 150+50 / 10000 / 500;
// m8 sonnet (compaction summary) 20000 / 900; m5 gpt-5 3000 / 700+400 / 1000; m7 haiku 500 / 80; m6 in progress.
const ALL: Record<string, Totals> = {
  'claude-sonnet-4-5': { requests: 3, input: 21_600, output: 1_400, cacheRead: 18_000, cacheWrite: 2_500 },
  'gpt-5': { requests: 1, input: 3_000, output: 1_100, cacheRead: 1_000, cacheWrite: 0 },
  'anthropic/claude-haiku-4.5': { requests: 1, input: 500, output: 80, cacheRead: 0, cacheWrite: 0 },
};

describe('opencode database', () => {
  it('honours OPENCODE_DATA_DIR, else XDG_DATA_HOME/opencode, else ~/.local/share/opencode', () => {
    expect(opencodeFormat.roots({ OPENCODE_DATA_DIR: '/data/oc' }, '/home/u')).toEqual(['/data/oc']);
    expect(opencodeFormat.roots({ XDG_DATA_HOME: '/xdg' }, '/home/u')).toEqual([path.join('/xdg', 'opencode')]);
    expect(opencodeFormat.roots({}, '/home/u')).toEqual([path.join('/home/u', '.local', 'share', 'opencode')]);
    expect(opencodeFormat.databaseFile).toBe('opencode.db');
  });

  it('reads assistant messages with tokens, in batches, each once', () => {
    const { file, db } = createDb();
    for (const row of FIXTURE.messages) insert(db, row);
    db.close();
    const { records, batches } = readAll(file, undefined, 3);
    expect(batches).toBeGreaterThan(2);
    expect(records).toHaveLength(5);
    expect(totals(records)).toEqual(ALL);
    for (const record of records) expect(requestRecordSchema.safeParse(record).success).toBe(true);
  });

  it('maps model, provider (through OpenRouter too), project, session and time', () => {
    const { file, db } = createDb();
    for (const row of FIXTURE.messages) insert(db, row);
    db.close();
    const { records } = readAll(file, undefined, 100);
    expect(records.find((record) => record.requestId === 'opencode:msg_9a1b2c3d4002AbCdEfGhIjKlMn')).toMatchObject({
      ts: 1759917600000 + 1100,
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      project: '/home/dev/projects/epsilon',
      sessionId: 'ses_6a1f0c2e3ffeXyZ1aB2cD3eF4g',
      source: 'opencode',
    });
    expect(records.find((record) => record.model === 'anthropic/claude-haiku-4.5')).toMatchObject({ provider: 'anthropic', project: '/home/dev/projects/zeta' });
  });

  it('picks up a message finished after it was first read (time_updated cursor), and counts it once', () => {
    const { file, db } = createDb();
    for (const row of FIXTURE.messages) insert(db, row);
    const first = readAll(file, undefined, 100);
    expect(first.records.some((record) => record.requestId.endsWith('4006AbCdEfGhIjKlMn'))).toBe(false);
    // opencode finishes the call: tokens filled in, time_updated moves on.
    const inProgress = FIXTURE.messages.find((row) => row.id.endsWith('4006AbCdEfGhIjKlMn'));
    if (!inProgress) throw new Error('fixture row missing');
    const finished = { ...inProgress.data, time: { created: inProgress.time_created, completed: inProgress.time_created + 5_000 }, tokens: { input: 2_000, output: 100, reasoning: 20, cache: { read: 4_000, write: 0 } } };
    db.prepare('UPDATE message SET data = ?, time_updated = ? WHERE id = ?').run(JSON.stringify(finished), inProgress.time_created + 5_000, inProgress.id);
    // and edits a message that was already read (only its metadata changes)
    db.prepare(`UPDATE message SET data = json_set(data, '$.title', 'x'), time_updated = time_updated + 999999 WHERE id = 'msg_9a1b2c3d4002AbCdEfGhIjKlMn'`).run();
    const second = readAll(file, first.cursor, 100);
    expect(second.records.map((record) => record.requestId).sort()).toEqual(['opencode:msg_9a1b2c3d4002AbCdEfGhIjKlMn', 'opencode:msg_9a1b2c3d4006AbCdEfGhIjKlMn']);
    const all = totals([...first.records, ...second.records]);
    expect(all['gpt-5']).toEqual({ requests: 2, input: 5_000, output: 1_220, cacheRead: 5_000, cacheWrite: 0 });
    expect(all['claude-sonnet-4-5']).toEqual(ALL['claude-sonnet-4-5']);
    // nothing new: an empty batch, done, cursor kept
    const third = opencodeFormat.readSince(file, second.cursor, 100);
    expect(third).toEqual({ records: [], cursor: second.cursor, done: true });
    db.close();
  });

  it('reads while opencode holds a write transaction open on the WAL database', () => {
    const { file, db } = createDb();
    const [firstRow, ...rest] = FIXTURE.messages;
    if (!firstRow) throw new Error('fixture empty');
    for (const row of rest) insert(db, row);
    db.exec('BEGIN IMMEDIATE');
    insert(db, { ...firstRow, id: 'msg_9a1b2c3d4999AbCdEfGhIjKlMn', time_updated: firstRow.time_created + 500_000, data: { ...FIXTURE.messages[1]?.data } });
    const during = readAll(file, undefined, 2); // the uncommitted row is not seen, nothing blocks
    expect(totals(during.records)).toEqual(ALL);
    db.exec('COMMIT');
    const after = readAll(file, during.cursor, 2);
    expect(after.records.map((record) => record.requestId)).toEqual(['opencode:msg_9a1b2c3d4999AbCdEfGhIjKlMn']);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    db.close();
  });

  it('reads a database from before time_updated by rowid', () => {
    const { file, db } = createDb({ legacy: true });
    for (const row of FIXTURE.messages) insert(db, row, true);
    db.close();
    const { records, cursor } = readAll(file, undefined, 2);
    expect(totals(records)).toEqual(ALL);
    expect(cursor).toMatchObject({ by: 'rowid' });
  });

  it('opens read-only and never creates a missing database; a database without messages reads as empty', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-opencode-'));
    dirs.push(dir);
    const missing = path.join(dir, 'opencode.db');
    expect(() => opencodeFormat.readSince(missing, undefined, 10)).toThrow();
    expect(fs.existsSync(missing)).toBe(false);
    const empty = new BetterSqlite3(missing);
    empty.exec('CREATE TABLE other (x)');
    empty.close();
    expect(opencodeFormat.readSince(missing, undefined, 10)).toEqual({ records: [], cursor: undefined, done: true });
  });
});
