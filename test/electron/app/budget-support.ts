import type { BudgetInput } from '../../../shared/schemas/budgets.js';
import type { Harness } from '../ledger/store/harness.js';

/** A monthly budget of 10 USD over everything; a test names only what it is about. */
export const budgetInput = (over: Partial<BudgetInput> = {}): BudgetInput => ({
  name: 'Cloud month',
  amount: 10,
  currency: 'USD',
  period: 'month',
  scope: { kind: 'all' },
  ...over,
});

/** Stops the budget alerter (its timers and deliveries) before the harness closes the ledger. */
export async function closeBudgetHarness(harness: Harness): Promise<void> {
  await harness.service.budgets.alerter.stop();
  harness.close();
}
