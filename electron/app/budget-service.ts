import { z } from 'zod';
import { ApiError } from '../../shared/errors.js';
import { budgetAlertsQuerySchema, budgetIdSchema, budgetInputSchema, type BudgetAlertsQuery, type BudgetInput } from '../../shared/schemas/budgets.js';
import type { Budget, BudgetAlert, Forecast } from '../../shared/types.js';
import { AlertStore } from '../ledger/budgets/alert-store.js';
import { BudgetStore, type StoredBudget } from '../ledger/budgets/budget-store.js';
import { parseInput } from '../ledger/input/validation.js';
import { BudgetAlerter, type AlerterOptions } from './budgets/alerter.js';
import { monthForecast } from './budgets/month-forecast.js';
import type { SpendReads } from './budgets/spend.js';
import { BudgetStatusCalculator } from './budgets/status.js';
import { WebhookOutbox, type WebhookOptions } from './budgets/webhooks.js';
import { DomainService, type ServiceContext } from './domain-service.js';

/** The id alone, so an error names the field "id". */
const idInput = z.object({ id: budgetIdSchema });

export interface BudgetServiceOptions {
  alerts?: AlerterOptions;
  webhooks?: WebhookOptions;
}

/**
 * Budgets: their settings, their status now (spend, forecast, thresholds crossed), the alerts sent
 * and their webhook deliveries, and the month's overall forecast. Spend is read through the same
 * summary and history as every view (`reads`), so its cost maths is the ledger's own.
 */
export class BudgetService extends DomainService {
  readonly budgets: BudgetStore;
  readonly alertStore: AlertStore;
  readonly calculator: BudgetStatusCalculator;
  readonly outbox: WebhookOutbox;
  readonly alerter: BudgetAlerter;

  constructor(
    context: ServiceContext,
    private readonly reads: SpendReads,
    options: BudgetServiceOptions = {},
  ) {
    super(context);
    this.budgets = new BudgetStore(this.ledger.ctx);
    this.alertStore = new AlertStore(this.ledger.ctx);
    this.calculator = new BudgetStatusCalculator(this.ledger, reads);
    // A delivery's state is part of the alert history the views show.
    this.outbox = new WebhookOutbox(this.ledger, this.alertStore, options.webhooks, () => this.events.emit({ type: 'budgets' }));
    this.alerter = new BudgetAlerter(
      this.ledger,
      this.events,
      this.budgets,
      this.alertStore,
      (config, sent) => this.calculator.status(config, sent),
      this.outbox,
      options.alerts,
    );
  }

  async listBudgets(): Promise<Budget[]> {
    return Promise.all(this.budgets.list().map((stored) => this.withStatus(stored)));
  }

  async saveBudget(input: { id: string; budget: BudgetInput }): Promise<Budget> {
    const { id } = parseInput(idInput, { id: input?.id }, 'budget id');
    const config = parseInput(budgetInputSchema, input?.budget, 'budget');
    const stored = this.ledger.write(() => this.budgets.save(id, config));
    this.events.emit({ type: 'budgets' });
    return this.withStatus(stored);
  }

  async deleteBudget(input: { id: string }): Promise<{ id: string }> {
    const { id } = parseInput(idInput, { id: input?.id }, 'budget id');
    const deleted = this.ledger.write(() => this.budgets.delete(id));
    if (!deleted) throw new ApiError('not_found', `no budget "${id}"`);
    this.events.emit({ type: 'budgets' });
    return { id };
  }

  async listBudgetAlerts(input: BudgetAlertsQuery): Promise<BudgetAlert[]> {
    const query = parseInput(budgetAlertsQuerySchema, input ?? {}, 'budget alerts query');
    return this.alertStore.list(query);
  }

  getForecast(): Promise<Forecast> {
    return monthForecast(this.ledger, this.reads, this.calculator);
  }

  private async withStatus(stored: StoredBudget): Promise<Budget> {
    const { config } = stored;
    const period = this.calculator.period(config, this.now);
    const status = await this.calculator.status(config, this.alertStore.sent(stored.id, period.from));
    return { id: stored.id, ...config, createdAt: stored.createdAt, status };
  }
}
