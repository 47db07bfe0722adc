import type { Statement } from 'better-sqlite3';
import type { StoreContext } from './context.js';

/**
 * JSON documents by key in the settings table: the user settings, proxy routes and watchers. Saved in
 * the ledger's transactions and backed up with it.
 */
export class ConfigStore {
  private readonly select: Statement<[string], { value: string }>;
  private readonly upsert: Statement<[string, string]>;

  constructor(ctx: StoreContext) {
    this.select = ctx.db.prepare(`SELECT value FROM settings WHERE key = ?`);
    this.upsert = ctx.db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  }

  read(key: string): unknown {
    const row = this.select.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  /** Call inside a write transaction. */
  write(key: string, value: unknown): void {
    this.upsert.run(key, JSON.stringify(value));
  }
}
