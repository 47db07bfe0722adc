import type { WebhookFormat } from '../../../shared/schemas/budgets.js';
import type { Budget, BudgetAlert } from '../../../shared/types.js';
import type { AlertStore } from '../../ledger/budgets/alert-store.js';
import type { Ledger } from '../../ledger/store/ledger.js';

/**
 * The JSON body POSTed for format "json" (documented in the README):
 * { "type": "budget-alert", "alertId", "budget": { id, name, amount, currency, period, scope },
 *   "threshold", "periodStart", "periodEnd" (ISO-8601), "spent", "percent", "projected", "currency", "ts" }
 * Slack gets { "text" } and Discord { "content" }: one line naming the budget, spent and forecast.
 */
export function webhookBody(format: WebhookFormat, alert: Omit<BudgetAlert, 'id' | 'webhook'>, budget: Pick<Budget, 'id' | 'name' | 'amount' | 'currency' | 'period' | 'scope'>, periodEnd: number, alertId: number | null): string {
  const money = (value: number) => `${value.toFixed(2)} ${alert.currency}`;
  const line = `Budget "${budget.name}" passed ${alert.threshold}%: spent ${money(alert.spent)} of ${money(budget.amount)} this ${budget.period}, forecast ${money(alert.projected)} by period end.`;
  if (format === 'slack') return JSON.stringify({ text: line });
  if (format === 'discord') return JSON.stringify({ content: line });
  return JSON.stringify({
    type: 'budget-alert',
    alertId,
    budget: { id: budget.id, name: budget.name, amount: budget.amount, currency: budget.currency, period: budget.period, scope: budget.scope },
    threshold: alert.threshold,
    periodStart: new Date(alert.periodStart).toISOString(),
    periodEnd: new Date(periodEnd).toISOString(),
    spent: alert.spent,
    percent: (alert.spent / budget.amount) * 100,
    projected: alert.projected,
    currency: alert.currency,
    ts: new Date(alert.ts).toISOString(),
    text: line,
  });
}

export interface WebhookOptions {
  /** First retry after this; doubled per attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Given up (state "failed") after this many attempts. */
  maxAttempts?: number;
  /** Per attempt. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const WEBHOOK_DEFAULTS = { baseDelayMs: 10_000, maxDelayMs: 3_600_000, maxAttempts: 24, timeoutMs: 10_000 } as const;

/** Delay before attempt `attempts + 1` after `attempts` failures: 10 s, 20 s, 40 s ... capped at 1 h. */
export function backoffMs(attempts: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * Delivers the webhook outbox (table webhook_deliveries): each due delivery is POSTed; a 2xx answer
 * marks it delivered, anything else (status, timeout, refused connection) schedules a retry with
 * exponential backoff. At least once: a crash after the POST and before the row is marked sends it
 * again on the next start. The outbox is in the database, so pending deliveries survive restarts.
 */
export class WebhookOutbox {
  private readonly options: Required<WebhookOptions>;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly alerts: AlertStore,
    options: WebhookOptions = {},
    private readonly onChange: () => void = () => {},
  ) {
    this.options = { ...WEBHOOK_DEFAULTS, fetch: globalThis.fetch, ...options };
  }

  /** Delivers what is due now, then sleeps until the next is due. */
  kick(): void {
    if (this.stopped) return;
    void this.drain();
  }

  /** Delivers what is due now (one drain at a time; a kick during one runs another after it). */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    // .finally runs after this assignment even when nothing was due (a synchronous run).
    this.draining = this.run().finally(() => {
      this.draining = null;
      this.schedule();
    });
    return this.draining;
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      for (const delivery of this.alerts.due(this.ledger.ctx.now(), 20)) {
        if (this.stopped) return;
        await this.attempt(delivery.id, delivery.url, delivery.body, delivery.attempts);
      }
    } while (this.again && !this.stopped);
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.draining ?? Promise.resolve();
  }

  private async attempt(id: number, url: string, body: string, previous: number): Promise<void> {
    const attempts = previous + 1;
    let error: string | null = null;
    try {
      const response = await this.options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ModelMeter' },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
      // The answer's body is not needed; drain it so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) error = `HTTP ${response.status}`;
    } catch (caught) {
      const cause = (caught as { cause?: { message?: string } }).cause?.message;
      error = `${(caught as Error).name === 'TimeoutError' ? 'timed out' : (caught as Error).message}${cause ? ` (${cause})` : ''}`.slice(0, 500);
    }
    const now = this.ledger.ctx.now();
    if (error === null) {
      this.ledger.write(() => this.alerts.markDelivered(id, attempts, now));
    } else {
      const next = attempts >= this.options.maxAttempts ? null : now + backoffMs(attempts, this.options.baseDelayMs, this.options.maxDelayMs);
      this.ledger.write(() => this.alerts.markFailed(id, attempts, error, next, now));
    }
    this.onChange();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.alerts.nextDueAt();
    if (next === null) return;
    const delay = Math.min(Math.max(0, next - this.ledger.ctx.now()), this.options.maxDelayMs);
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }
}
