import type { BudgetConfig } from '../../../shared/schemas/budgets.js';
import type { StoreContext } from '../store/context.js';

/** A budget as stored: its validated settings and when it was first saved. */
export interface StoredBudget {
  id: string;
  config: BudgetConfig;
  createdAt: number;
}

interface BudgetRow {
  id: string;
  config: string;
  created_at: number;
}

/**
 * The budgets table: one validated JSON document per budget. Writes run inside the caller's write
 * transaction (Ledger.write); reads are small (a handful of budgets) and never cached, so every
 * connection sees the committed state.
 */
export class BudgetStore {
  constructor(private readonly ctx: StoreContext) {}

  list(): StoredBudget[] {
    return this.ctx.db
      .prepare<[], BudgetRow>(`SELECT id, config, created_at FROM budgets ORDER BY created_at, id`)
      .all()
      .map(toStored);
  }

  get(id: string): StoredBudget | null {
    const row = this.ctx.db.prepare<[string], BudgetRow>(`SELECT id, config, created_at FROM budgets WHERE id = ?`).get(id);
    return row ? toStored(row) : null;
  }

  /** Creates or replaces; a replaced budget keeps its creation time and the alerts it already sent. */
  save(id: string, config: BudgetConfig): StoredBudget {
    const now = this.ctx.now();
    this.ctx.db
      .prepare(
        `INSERT INTO budgets (id, config, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      )
      .run(id, JSON.stringify(config), now, now);
    return this.get(id)!;
  }

  /** Removes the budget, its alert history and its pending deliveries; false when there was none. */
  delete(id: string): boolean {
    const db = this.ctx.db;
    db.prepare(`DELETE FROM webhook_deliveries WHERE alert_id IN (SELECT id FROM budget_alerts WHERE budget_id = ?)`).run(id);
    db.prepare(`DELETE FROM budget_alerts WHERE budget_id = ?`).run(id);
    return db.prepare(`DELETE FROM budgets WHERE id = ?`).run(id).changes > 0;
  }
}

function toStored(row: BudgetRow): StoredBudget {
  return { id: row.id, config: JSON.parse(row.config) as BudgetConfig, createdAt: row.created_at };
}
