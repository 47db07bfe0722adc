import type { Statement } from 'better-sqlite3';
import type { Ledger } from './ledger.js';

/** Where the agent-log follower stopped in one file (or database), as stored. */
export interface AgentCursor {
  agent: string;
  /** Absolute path of the log file or database. */
  path: string;
  /** Device and inode ("dev:ino"): a different identity at the same path is a new file. */
  identity: string;
  /** The file's size when the cursor was written. */
  size: number;
  /** Byte offset right after the last line the cursor covers (0 for a database). */
  offset: number;
  /** The format's checkpoint (parser state or database cursor), any JSON value; undefined = none. */
  state: unknown;
}

export interface AgentStats {
  records: number;
  lastRecordAt: number | null;
}

const ENABLED_KEY = 'agentSources';

/**
 * The agent-log sources' bookkeeping (schema v5): per-file cursors, per-agent counts of imported
 * records, and which agents the user switched on (a document in the settings table). Cursors are
 * written by the follower only after the records they cover are committed.
 */
export class AgentCursors {
  private readonly selectAll: Statement<[string], CursorRow>;
  private readonly upsert: Statement<[string, string, string, number, number, string | null, number]>;
  private readonly remove: Statement<[string, string]>;
  private readonly selectStats: Statement<[string], { records: number; last_record_at: number | null }>;
  private readonly addStats: Statement<[string, number, number | null]>;

  constructor(private readonly ledger: Ledger) {
    const db = ledger.db;
    this.selectAll = db.prepare(`SELECT agent, path, identity, size, offset, state FROM agent_cursors WHERE agent = ?`);
    this.upsert = db.prepare(
      `INSERT INTO agent_cursors (agent, path, identity, size, offset, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(agent, path) DO UPDATE SET identity = excluded.identity, size = excluded.size, offset = excluded.offset,
         state = excluded.state, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare(`DELETE FROM agent_cursors WHERE agent = ? AND path = ?`);
    this.selectStats = db.prepare(`SELECT records, last_record_at FROM agent_stats WHERE agent = ?`);
    this.addStats = db.prepare(
      `INSERT INTO agent_stats (agent, records, last_record_at) VALUES (?, ?, ?)
       ON CONFLICT(agent) DO UPDATE SET records = records + excluded.records,
         last_record_at = max(coalesce(last_record_at, excluded.last_record_at), coalesce(excluded.last_record_at, last_record_at))`,
    );
  }

  cursors(agent: string): AgentCursor[] {
    return this.selectAll.all(agent).map((row) => ({
      agent: row.agent,
      path: row.path,
      identity: row.identity,
      size: row.size,
      offset: row.offset,
      state: row.state === null ? undefined : (JSON.parse(row.state) as unknown),
    }));
  }

  saveCursor(cursor: AgentCursor): void {
    this.saveCursors([cursor]);
  }

  /** Saves cursors (and counts what their import added) in one transaction: one sync for many files. */
  saveCursors(cursors: readonly AgentCursor[], added?: { agent: string; records: number; lastRecordAt: number | null }): void {
    if (cursors.length === 0 && !added) return;
    const now = this.ledger.ctx.now();
    this.ledger.write(() => {
      for (const cursor of cursors) {
        const state = cursor.state === undefined ? null : JSON.stringify(cursor.state);
        this.upsert.run(cursor.agent, cursor.path, cursor.identity, cursor.size, cursor.offset, state, now);
      }
      if (added && (added.records > 0 || added.lastRecordAt !== null)) this.addStats.run(added.agent, added.records, added.lastRecordAt);
    });
  }

  /** Forgets a file that is gone; what was imported from it stays. */
  deleteCursor(agent: string, path: string): void {
    this.ledger.write(() => this.remove.run(agent, path));
  }

  stats(agent: string): AgentStats {
    const row = this.selectStats.get(agent);
    return { records: row?.records ?? 0, lastRecordAt: row?.last_record_at ?? null };
  }

  /** Counts records an import added (duplicates excluded) and the newest record time it saw. */
  addStatsFor(agent: string, records: number, lastRecordAt: number | null): void {
    if (records === 0 && lastRecordAt === null) return;
    this.ledger.write(() => this.addStats.run(agent, records, lastRecordAt));
  }

  enabled(): Record<string, boolean> {
    const value = this.ledger.config.read(ENABLED_KEY);
    if (value === null || typeof value !== 'object') return {};
    const out: Record<string, boolean> = {};
    for (const [key, flag] of Object.entries(value as Record<string, unknown>)) if (flag === true) out[key] = true;
    return out;
  }

  setEnabled(agent: string, enabled: boolean): void {
    const next = { ...this.enabled() };
    if (enabled) next[agent] = true;
    else delete next[agent];
    this.ledger.write(() => this.ledger.config.write(ENABLED_KEY, next));
  }
}

interface CursorRow {
  agent: string;
  path: string;
  identity: string;
  size: number;
  offset: number;
  state: string | null;
}
