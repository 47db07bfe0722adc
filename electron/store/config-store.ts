import type { StoreContext } from './context.js';

/**
 * Configuration documents other than the user settings (proxy routes, watchers), one JSON value per
 * key in the settings table, so they are saved in the ledger's transactions and backed up with it.
 */
export class ConfigStore {
  constructor(private readonly ctx: StoreContext) {}

  read(key: string): unknown {
    const row = this.ctx.db.prepare<[string], { value: string }>(`SELECT value FROM settings WHERE key = ?`).get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  /** Call inside a write transaction. */
  write(key: string, value: unknown): void {
    this.ctx.db
      .prepare<[string, string]>(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
      .run(key, JSON.stringify(value));
  }
}
