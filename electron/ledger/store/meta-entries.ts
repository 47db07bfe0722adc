import type { Database, Statement } from 'better-sqlite3';

/**
 * The `meta` table's rows, a text value per key: where the store keeps its small state (coverage
 * starts, work left pending by a stop, the forwarding cursor). Writes belong in a write transaction.
 */
export class MetaEntries {
  private readonly read: Statement<[string], { value: string }>;
  private readonly write: Statement<[string, string]>;
  private readonly remove: Statement<[string]>;

  constructor(db: Database) {
    this.read = db.prepare(`SELECT value FROM meta WHERE key = ?`);
    this.write = db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
    this.remove = db.prepare(`DELETE FROM meta WHERE key = ?`);
  }

  get(key: string): string | undefined {
    return this.read.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.write.run(key, value);
  }

  delete(key: string): void {
    this.remove.run(key);
  }
}
