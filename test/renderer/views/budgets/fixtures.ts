import { ApiError } from '../../../../shared/errors.js';
import { budgetIdSchema, budgetInputSchema } from '../../../../shared/schemas/budgets.js';
import type { Budget, BudgetAlert, BudgetStatus, Forecast, Settings } from '../../../../shared/types.js';
import type { FakeHandlers } from '../../support/fake-client.js';
import { SETTINGS } from '../../support/settings.js';

// A month in local time, so the dates shown do not depend on the zone the tests run in.
export const PERIOD_START = new Date(2026, 0, 1).getTime();
export const PERIOD_END = new Date(2026, 1, 1).getTime();

export function status(overrides: Partial<BudgetStatus> = {}): BudgetStatus {
  return {
    periodStart: PERIOD_START,
    periodEnd: PERIOD_END,
    spent: 0,
    percent: 0,
    projected: 0,
    forecastMethod: 'blended',
    reachesAmountAt: null,
    crossed: [],
    converted: [],
    unconverted: [],
    ...overrides,
  };
}

export function budget(overrides: Partial<Budget> = {}): Budget {
  return {
    id: 'team',
    name: 'Team',
    amount: 100,
    currency: 'USD',
    period: 'month',
    scope: { kind: 'all' },
    thresholds: [50, 80, 100],
    webhook: null,
    enabled: true,
    createdAt: PERIOD_START,
    status: status(),
    ...overrides,
  };
}

export function alert(overrides: Partial<BudgetAlert> = {}): BudgetAlert {
  return {
    id: 1,
    budgetId: 'team',
    budgetName: 'Team',
    threshold: 80,
    periodStart: PERIOD_START,
    ts: new Date(2026, 0, 20, 14, 5).getTime(),
    spent: 81.5,
    projected: 130,
    currency: 'USD',
    webhook: { state: 'none', attempts: 0, lastError: null, deliveredAt: null },
    ...overrides,
  };
}

export function forecast(overrides: Partial<Forecast> = {}): Forecast {
  return {
    periodStart: PERIOD_START,
    periodEnd: PERIOD_END,
    spent: [{ currency: 'USD', cost: 40 }],
    projected: [{ currency: 'USD', cost: 95 }],
    method: 'blended',
    dailyCurrency: 'USD',
    daily: [],
    ...overrides,
  };
}

/**
 * Budgets kept in memory behind the budget operations, checked with the server's own schemas (a bad
 * input is refused with the field named, as the API does). Saved budgets start with an empty status.
 */
export function budgetsService(initial: Budget[] = [], alerts: BudgetAlert[] = []) {
  const stored = new Map(initial.map((item) => [item.id, item]));
  const settings = { current: { ...SETTINGS } };
  const handlers: FakeHandlers = {
    listBudgets: async () => [...stored.values()],
    listBudgetAlerts: async () => alerts,
    saveBudget: async ({ id, budget: input }) => {
      if (!budgetIdSchema.safeParse(id).success) throw new ApiError('validation_failed', 'bad id', [{ field: 'id', reason: 'bad id' }]);
      const parsed = budgetInputSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ApiError('validation_failed', issue.message, [{ field: issue.path.join('.'), reason: issue.message }]);
      }
      const saved: Budget = { ...budget(), ...stored.get(id), ...parsed.data, id, status: stored.get(id)?.status ?? status() };
      stored.set(id, saved);
      return saved;
    },
    deleteBudget: async ({ id }) => {
      if (!stored.delete(id)) throw new ApiError('not_found', `no budget ${id}`);
      return { id };
    },
    getSettings: async () => settings.current,
    updateSettings: async (patch) => (settings.current = { ...settings.current, ...patch } as Settings),
    getSummary: async () => Promise.reject(new ApiError('internal', 'not needed')),
    listPricing: async () => [],
    listProjects: async () => [],
    listRoutes: async () => [],
    listCircuits: async () => [],
  };
  return { stored, settings, handlers };
}
