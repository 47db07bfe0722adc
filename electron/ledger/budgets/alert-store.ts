import type { BudgetAlert } from '../../../shared/types.js';
import type { StoreContext } from '../store/context.js';

export interface NewAlert {
  budgetId: string;
  budgetName: string;
  periodStart: number;
  threshold: number;
  ts: number;
  spent: number;
  projected: number;
  currency: string;
}

/** A webhook to deliver with the alert: the body is rendered once, when the alert is written (it may name the alert's id). */
export interface NewDelivery {
  url: string;
  format: string;
  body: string;
  nextAttemptAt: number;
}

export interface DueDelivery {
  id: number;
  alertId: number;
  url: string;
  body: string;
  attempts: number;
}

interface AlertRow {
  id: number;
  budget_id: string;
  budget_name: string;
  period_start: number;
  threshold: number;
  ts: number;
  spent: number;
  projected: number;
  currency: string;
  delivery_id: number | null;
  attempts: number | null;
  last_error: string | null;
  delivered_at: number | null;
  failed_at: number | null;
}

/**
 * Alerts sent and the webhook outbox. An alert is written at most once per budget, period and
 * threshold (the table's UNIQUE key): `record` answers null when it was sent before, whatever
 * process or restart sent it. Call the writers inside a write transaction.
 */
export class AlertStore {
  constructor(private readonly ctx: StoreContext) {}

  /** The new alert's row, or null when this threshold was already sent for this period. */
  record(alert: NewAlert, delivery: ((alertId: number) => NewDelivery) | null): BudgetAlert | null {
    const db = this.ctx.db;
    const inserted = db
      .prepare(
        `INSERT INTO budget_alerts (budget_id, budget_name, period_start, threshold, ts, spent, projected, currency)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(alert.budgetId, alert.budgetName, alert.periodStart, alert.threshold, alert.ts, alert.spent, alert.projected, alert.currency);
    if (inserted.changes === 0) return null;
    const alertId = Number(inserted.lastInsertRowid);
    if (delivery) {
      const { url, format, body, nextAttemptAt } = delivery(alertId);
      db.prepare(
        `INSERT INTO webhook_deliveries (alert_id, url, format, body, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, ?)`,
      ).run(alertId, url, format, body, nextAttemptAt);
    }
    return this.get(alertId);
  }

  /** Thresholds already sent for a budget's period. */
  sent(budgetId: string, periodStart: number): number[] {
    return this.ctx.db
      .prepare<[string, number], { threshold: number }>(`SELECT threshold FROM budget_alerts WHERE budget_id = ? AND period_start = ? ORDER BY threshold`)
      .all(budgetId, periodStart)
      .map((row) => row.threshold);
  }

  get(id: number): BudgetAlert | null {
    const row = this.ctx.db.prepare<[number], AlertRow>(`${SELECT_ALERTS} WHERE a.id = ?`).get(id);
    return row ? toAlert(row) : null;
  }

  /** Newest first. */
  list(filter: { budgetId?: string | undefined; limit: number }): BudgetAlert[] {
    const db = this.ctx.db;
    const rows =
      filter.budgetId === undefined
        ? db.prepare<[number], AlertRow>(`${SELECT_ALERTS} ORDER BY a.id DESC LIMIT ?`).all(filter.limit)
        : db.prepare<[string, number], AlertRow>(`${SELECT_ALERTS} WHERE a.budget_id = ? ORDER BY a.id DESC LIMIT ?`).all(filter.budgetId, filter.limit);
    return rows.map(toAlert);
  }

  /** Deliveries due at `now`, oldest first. */
  due(now: number, limit: number): DueDelivery[] {
    return this.ctx.db
      .prepare<[number, number], { id: number; alert_id: number; url: string; body: string; attempts: number }>(
        `SELECT id, alert_id, url, body, attempts FROM webhook_deliveries
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
      )
      .all(now, limit)
      .map((row) => ({ id: row.id, alertId: row.alert_id, url: row.url, body: row.body, attempts: row.attempts }));
  }

  /** When the next pending delivery is due, or null when none is pending. */
  nextDueAt(): number | null {
    return (
      this.ctx.db
        .prepare<[], { next: number | null }>(`SELECT MIN(next_attempt_at) AS next FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL`)
        .get()?.next ?? null
    );
  }

  markDelivered(id: number, attempts: number, now: number): void {
    this.ctx.db.prepare(`UPDATE webhook_deliveries SET attempts = ?, delivered_at = ?, last_error = NULL WHERE id = ?`).run(attempts, now, id);
  }

  /** A failed attempt: retried at `nextAttemptAt`, or given up (null) after the last one. */
  markFailed(id: number, attempts: number, error: string, nextAttemptAt: number | null, now: number): void {
    if (nextAttemptAt === null) {
      this.ctx.db.prepare(`UPDATE webhook_deliveries SET attempts = ?, last_error = ?, failed_at = ? WHERE id = ?`).run(attempts, error, now, id);
    } else {
      this.ctx.db.prepare(`UPDATE webhook_deliveries SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`).run(attempts, error, nextAttemptAt, id);
    }
  }
}

const SELECT_ALERTS = `
  SELECT a.id, a.budget_id, a.budget_name, a.period_start, a.threshold, a.ts, a.spent, a.projected, a.currency,
         d.id AS delivery_id, d.attempts, d.last_error, d.delivered_at, d.failed_at
  FROM budget_alerts a LEFT JOIN webhook_deliveries d ON d.alert_id = a.id`;

function toAlert(row: AlertRow): BudgetAlert {
  let state: BudgetAlert['webhook']['state'] = 'none';
  if (row.delivery_id !== null) state = row.delivered_at !== null ? 'delivered' : row.failed_at !== null ? 'failed' : 'pending';
  return {
    id: row.id,
    budgetId: row.budget_id,
    budgetName: row.budget_name,
    threshold: row.threshold,
    periodStart: row.period_start,
    ts: row.ts,
    spent: row.spent,
    projected: row.projected,
    currency: row.currency,
    webhook: { state, attempts: row.attempts ?? 0, lastError: row.last_error, deliveredAt: row.delivered_at },
  };
}
