import type { Database, Statement } from 'better-sqlite3';

/**
 * Prepared statements for SQL assembled from fixed fragments (never from values: those are always
 * bound parameters). Bounded, oldest first out.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement<unknown[]>>();

  constructor(
    private readonly db: Database,
    private readonly limit = 256,
  ) {}

  get(sql: string): Statement<unknown[]> {
    let statement = this.statements.get(sql);
    if (statement) return statement;
    statement = this.db.prepare(sql);
    if (this.statements.size >= this.limit) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    this.statements.set(sql, statement);
    return statement;
  }
}
