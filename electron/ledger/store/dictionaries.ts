import type { Database, Statement } from 'better-sqlite3';

/**
 * Names stored once, referred to by small integer ids in the big tables. The cache is only a mirror of
 * the table: after a failed write transaction the store calls forget() and it reloads lazily.
 */
export class Dictionary {
  private readonly byName = new Map<string, number>();
  private readonly byId = new Map<number, string>();
  private readonly selectByName: Statement<[string], { id: number }>;
  private readonly selectById: Statement<[number], { name: string }>;
  private readonly insertRow: (name: string) => { lastInsertRowid: number | bigint };

  constructor(
    db: Database,
    table: 'models' | 'sources' | 'api_types' | 'currencies' | 'providers' | 'price_sources' | 'projects' | 'branches' | 'hosts',
    now: () => number,
  ) {
    const column = table === 'currencies' ? 'code' : table === 'projects' ? 'path' : 'name';
    this.selectByName = db.prepare(`SELECT id FROM ${table} WHERE ${column} = ?`);
    this.selectById = db.prepare(`SELECT ${column} AS name FROM ${table} WHERE id = ?`);
    if (table === 'models') {
      const insert = db.prepare<[string, number]>(`INSERT INTO models (name, created_at) VALUES (?, ?)`);
      this.insertRow = (name) => insert.run(name, now());
    } else {
      const insert = db.prepare<[string]>(`INSERT INTO ${table} (${column}) VALUES (?)`);
      this.insertRow = (name) => insert.run(name);
    }
  }

  /** The id of a stored name, or undefined when it was never stored. */
  find(name: string): number | undefined {
    const cached = this.byName.get(name);
    if (cached !== undefined) return cached;
    const row = this.selectByName.get(name);
    if (row) this.remember(name, row.id);
    return row?.id;
  }

  /** The id of a name, storing it first when new; call inside a write transaction. */
  ensure(name: string): number {
    const found = this.find(name);
    if (found !== undefined) return found;
    const id = Number(this.insertRow(name).lastInsertRowid);
    this.remember(name, id);
    return id;
  }

  nameOf(id: number): string {
    const cached = this.byId.get(id);
    if (cached !== undefined) return cached;
    const row = this.selectById.get(id);
    if (!row) throw new Error(`dictionary id ${id} has no name`);
    this.remember(row.name, id);
    return row.name;
  }

  forget(): void {
    this.byName.clear();
    this.byId.clear();
  }

  private remember(name: string, id: number): void {
    this.byName.set(name, id);
    this.byId.set(id, name);
  }
}
