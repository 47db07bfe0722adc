import type { BudgetConfig } from '../../../shared/schemas/budgets.js';
import type { BudgetAlert, BudgetStatus, LedgerEvent } from '../../../shared/types.js';
import type { AlertStore } from '../../ledger/budgets/alert-store.js';
import type { BudgetStore, StoredBudget } from '../../ledger/budgets/budget-store.js';
import type { LedgerEvents } from '../../ledger/events/bus.js';
import type { Ledger } from '../../ledger/store/ledger.js';
import { webhookBody, type WebhookOutbox } from './webhooks.js';

export interface AlerterOptions {
  /** Evaluations after changes are gathered: at most one per this many ms (default 1 s). */
  debounceMs?: number;
  /** Also evaluated on this timer, since hourly cost grows with time alone (default 60 s; 0 = off). */
  intervalMs?: number;
}

/** What makes spend change: a new evaluation follows these events. */
const TRIGGERS = new Set<LedgerEvent['type']>(['requests', 'runs', 'pricing', 'data', 'budgets']);

/**
 * Sends each threshold of each enabled budget once per period. It runs after ingest batches,
 * re-pricing and settings changes (debounced, off the ingest path: it only listens to events) and on
 * a timer. An alert is a row with a UNIQUE (budget, period, threshold) key, written with its webhook
 * delivery in one transaction, so a restart, a second evaluation or a re-pricing never sends one
 * twice, and a re-pricing that pushes spend past a threshold sends it.
 */
export class BudgetAlerter {
  private unsubscribe: (() => void) | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly debounceMs: number;
  private readonly intervalMs: number;

  constructor(
    private readonly ledger: Ledger,
    private readonly events: LedgerEvents,
    private readonly budgets: BudgetStore,
    private readonly alerts: AlertStore,
    private readonly status: (config: BudgetConfig, sent: readonly number[]) => Promise<BudgetStatus>,
    private readonly outbox: WebhookOutbox,
    options: AlerterOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 1_000;
    this.intervalMs = options.intervalMs ?? 60_000;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.events.subscribe((event) => {
      if (TRIGGERS.has(event.type)) this.schedule();
    });
    if (this.intervalMs > 0) {
      this.interval = setInterval(() => this.schedule(), this.intervalMs);
      this.interval.unref();
    }
    // What happened while the app was closed, and deliveries left pending by the last run.
    this.schedule();
    this.outbox.kick();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.interval) clearInterval(this.interval);
    this.debounce = null;
    this.interval = null;
    await this.chain;
    await this.outbox.stop();
  }

  /** One evaluation within debounceMs from now (several changes meanwhile make one). */
  schedule(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.evaluate().catch((error: unknown) => process.stderr.write(`budget alerts: ${(error as Error).message}\n`));
    }, this.debounceMs);
    this.debounce.unref();
  }

  /** Evaluates every enabled budget now; answers the alerts sent. Evaluations run one after another. */
  evaluate(): Promise<BudgetAlert[]> {
    const next = this.chain.then(() => this.evaluateAll());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async evaluateAll(): Promise<BudgetAlert[]> {
    const sent: BudgetAlert[] = [];
    for (const budget of this.budgets.list()) {
      if (!budget.config.enabled) continue;
      sent.push(...(await this.evaluateOne(budget)));
    }
    if (sent.some((alert) => alert.webhook.state === 'pending')) this.outbox.kick();
    return sent;
  }

  private async evaluateOne(budget: StoredBudget): Promise<BudgetAlert[]> {
    const now = this.ledger.ctx.now();
    const { config } = budget;
    const period = await this.status(config, []);
    const already = new Set(this.alerts.sent(budget.id, period.periodStart));
    const due = config.thresholds.filter((threshold) => period.percent >= threshold && !already.has(threshold));
    if (due.length === 0) return [];
    const written = this.ledger.write(() => {
      // The budget may have been deleted or replaced while its spend was read.
      const current = this.budgets.get(budget.id);
      if (!current || JSON.stringify(current.config) !== JSON.stringify(config)) return [];
      const out: BudgetAlert[] = [];
      for (const threshold of due) {
        const alert = { budgetId: budget.id, budgetName: config.name, periodStart: period.periodStart, threshold, ts: now, spent: period.spent, projected: period.projected, currency: config.currency };
        const webhook = config.webhook;
        const delivery = webhook
          ? (alertId: number) => ({
              url: webhook.url,
              format: webhook.format,
              body: webhookBody(webhook.format, alert, { id: budget.id, ...config }, period.periodEnd, alertId),
              nextAttemptAt: now,
            })
          : null;
        const row = this.alerts.record(alert, delivery);
        if (row) out.push(row);
      }
      return out;
    });
    for (const alert of written) this.events.emit({ type: 'budget-alert', alert });
    return written;
  }
}
