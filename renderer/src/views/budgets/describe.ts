import type { Budget, BudgetStatus, LedgerEvent } from '../../../../shared/types.js';
import { money, numberFormat } from '../../lib/format.js';
import { i18n, t, type MessageKey } from '../../lib/i18n/i18n.svelte.js';
import type { BudgetPeriod } from '../../../../shared/schemas/budgets.js';

/** Events after which a budget's figures may have moved: the budgets themselves, and any spend. */
export function budgetsMoved(event: LedgerEvent): boolean {
  return event.type === 'budgets' || event.type === 'budget-alert' || event.type === 'requests' || event.type === 'runs' || event.type === 'pricing' || event.type === 'data';
}

// No zod schema may be reached from here: the Overview and the quick view import this module with the
// first page, before zod is told not to compile validators with eval (lib/zod-setup.ts).

/** The model, project, route or channel a scope names; null for all, local and cloud. */
export function scopeValue(scope: Budget['scope']): string | null {
  switch (scope.kind) {
    case 'model':
      return scope.model;
    case 'project':
      return scope.project;
    case 'route':
      return scope.route;
    case 'channel':
      return scope.metricsKey;
    default:
      return null;
  }
}

/** "Model gpt-5-mini", "Local models"; a channel by its label when one is known (its metricsKey is a hash). */
export function scopeText(scope: Budget['scope'], channelName: (metricsKey: string) => string = (key) => key): string {
  const value = scopeValue(scope);
  return t(`budgets.scopeOf.${scope.kind}` as MessageKey, { value: scope.kind === 'channel' && value !== null ? channelName(value) : (value ?? '') });
}

/** Which forecast the figure comes from, in words, for the budget's period. */
export function methodText(method: BudgetStatus['forecastMethod'] | string, period: BudgetPeriod): string {
  const known = method === 'pace' || method === 'blended' || method === 'trailing7d' ? method : 'blended';
  return t(`budgets.method.${known}` as MessageKey, { period: t(`budgets.this.${period}` as MessageKey) });
}

/** "CNY × 0.14, EUR × 1.08": the other currencies counted, at the user's rates. */
export function convertedList(status: BudgetStatus): string {
  return status.converted.map((entry) => `${entry.currency} × ${formatRate(entry.rate)}`).join(', ');
}

/** "€12.30, £4.00": spend that could not be counted for want of a rate. */
export function unconvertedList(status: BudgetStatus): string {
  return status.unconverted.map((entry) => money(entry.cost, entry.currency, i18n.language)).join(', ');
}

function formatRate(rate: number): string {
  return numberFormat(i18n.language, { maximumSignificantDigits: 6 }).format(rate);
}

/** The host a webhook posts to (the rest of the URL may hold a secret token: Slack's and Discord's do). */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
