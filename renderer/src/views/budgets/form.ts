import type { z } from 'zod';
import type { ErrorDetail } from '../../../../shared/errors.js';
import { BUDGET_PERIODS, budgetInputSchema, WEBHOOK_FORMATS, type BudgetInput, type BudgetPeriod, type BudgetScope, type WebhookFormat } from '../../../../shared/schemas/budgets.js';
import type { Budget } from '../../../../shared/types.js';
import { scopeValue } from './describe.js';
import { messageOfIssue, parseNumber, type FieldErrors, type FieldMessage } from '../pricing/fields.js';

export { BUDGET_PERIODS, WEBHOOK_FORMATS };
export type { BudgetPeriod, BudgetScope, WebhookFormat };
export const SCOPE_KINDS = ['all', 'model', 'project', 'route', 'channel', 'local', 'cloud'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];
export const DEFAULT_THRESHOLDS = [50, 80, 100] as const;

/**
 * The budget as typed in the form: text for numbers (a half-typed "12." is shown back), and every
 * scope's value kept while the kind is switched, so switching back does not lose what was typed.
 */
export interface BudgetForm {
  name: string;
  amount: string;
  currency: string;
  period: BudgetPeriod;
  scopeKind: ScopeKind;
  model: string;
  project: string;
  route: string;
  metricsKey: string;
  thresholds: string[];
  webhookOn: boolean;
  webhookUrl: string;
  webhookFormat: WebhookFormat;
  enabled: boolean;
}

/** A new budget's form (monthly, in the display currency when one is set, default thresholds), or an existing one's. */
export function budgetForm(budget?: Budget, currency = 'USD'): BudgetForm {
  const scope = budget?.scope;
  return {
    name: budget?.name ?? '',
    amount: budget ? String(budget.amount) : '',
    currency: budget?.currency ?? currency,
    period: budget?.period ?? 'month',
    scopeKind: scope?.kind ?? 'all',
    model: scope?.kind === 'model' ? scope.model : '',
    project: scope?.kind === 'project' ? scope.project : '',
    route: scope?.kind === 'route' ? scope.route : '',
    metricsKey: scope?.kind === 'channel' ? scope.metricsKey : '',
    thresholds: (budget?.thresholds ?? DEFAULT_THRESHOLDS).map(String),
    webhookOn: budget?.webhook != null,
    webhookUrl: budget?.webhook?.url ?? '',
    webhookFormat: budget?.webhook?.format ?? 'json',
    enabled: budget?.enabled ?? true,
  };
}

/** What a saved budget sends back when only `enabled` changes (the rest exactly as stored). */
export function inputOf(budget: Budget, changes: Partial<BudgetInput> = {}): BudgetInput {
  return {
    name: budget.name,
    amount: budget.amount,
    currency: budget.currency,
    period: budget.period,
    scope: budget.scope,
    thresholds: [...budget.thresholds],
    webhook: budget.webhook ? { url: budget.webhook.url, format: budget.webhook.format } : null,
    enabled: budget.enabled,
    ...changes,
  };
}

export function scopeOf(form: BudgetForm): BudgetScope {
  switch (form.scopeKind) {
    case 'model':
      return { kind: 'model', model: form.model.trim() };
    case 'project':
      return { kind: 'project', project: form.project.trim() };
    case 'route':
      return { kind: 'route', route: form.route.trim() };
    case 'channel':
      return { kind: 'channel', metricsKey: form.metricsKey.trim() };
    default:
      return { kind: form.scopeKind };
  }
}

/** The field path of the scope's value, as the schema names it ("scope.model"); null for kinds without one. */
export function scopeField(kind: ScopeKind): string | null {
  return kind === 'model' || kind === 'project' || kind === 'route' ? `scope.${kind}` : kind === 'channel' ? 'scope.metricsKey' : null;
}

const ID = /^[a-z0-9_-]{1,64}$/;

/**
 * The id a new budget is saved under: its name as a slug ("Claude month" -> "claude-month"), made
 * unique among `taken` with a number; names without Latin letters (a Chinese name) get "budget".
 */
export function idFor(name: string, taken: readonly string[]): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 56)
      .replace(/-+$/, '') || 'budget';
  const base = ID.test(slug) ? slug : 'budget';
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.includes(`${base}-${n}`)) return `${base}-${n}`;
}

export type BudgetResult = { ok: true; budget: BudgetInput } | { ok: false; errors: FieldErrors };

/**
 * Checks the form with the server's own schema, so problems show before anything is sent, each
 * under the field it names. Thresholds are sent sorted and once each, as the server keeps them.
 */
export function toBudgetInput(form: BudgetForm): BudgetResult {
  const errors: FieldErrors = {};
  if (form.name.trim() === '') errors['name'] = { key: 'pricing.field.required' };

  const amount = parseNumber(form.amount, true);
  if (!amount.ok) errors['amount'] = amount.error;
  else if ((amount.value ?? 0) <= 0) errors['amount'] = { key: 'budgets.error.positive' };

  const field = scopeField(form.scopeKind);
  const scope = scopeOf(form);
  if (field !== null && scopeValue(scope) === '') errors[field] = { key: 'pricing.field.required' };

  const thresholds: number[] = [];
  form.thresholds.forEach((text, i) => {
    const parsed = parseNumber(text, true);
    if (!parsed.ok) errors[`thresholds.${i}`] = parsed.error;
    else if (!Number.isInteger(parsed.value) || parsed.value! < 1 || parsed.value! > 1000) errors[`thresholds.${i}`] = { key: 'budgets.error.threshold' };
    else if (thresholds.includes(parsed.value!)) errors[`thresholds.${i}`] = { key: 'budgets.error.duplicateThreshold' };
    else thresholds.push(parsed.value!);
  });
  if (form.thresholds.length === 0) errors['thresholds'] = { key: 'budgets.error.noThreshold' };

  const budget: BudgetInput = {
    name: form.name.trim(),
    amount: amount.ok ? (amount.value ?? 0) : 0,
    currency: form.currency.trim().toUpperCase(),
    period: form.period,
    scope,
    thresholds: [...thresholds].sort((a, b) => a - b),
    webhook: form.webhookOn ? { url: form.webhookUrl.trim(), format: form.webhookFormat } : null,
    enabled: form.enabled,
  };
  const checked = budgetInputSchema.safeParse(budget);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const path = issue.path.map(String).join('.') || '(body)';
      // Threshold rows were checked one by one above; the schema sees them sorted, so its index would mislead.
      if (/^thresholds\.\d+$/.test(path)) continue;
      errors[path] ??= messageOf(path, issue);
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, budget };
}

function messageOf(path: string, issue: z.core.$ZodIssue): FieldMessage {
  if (path === 'currency') return issue.code === 'too_small' && issue.minimum === 1 ? { key: 'pricing.field.required' } : { key: 'pricing.field.currency' };
  if (path === 'webhook.url') return { key: 'budgets.error.url' };
  if (path === 'thresholds' && issue.code === 'too_big') return { key: 'budgets.error.tooManyThresholds' };
  if (path === 'thresholds' && issue.code === 'too_small') return { key: 'budgets.error.noThreshold' };
  if (path === 'thresholds') return { key: 'budgets.error.duplicateThreshold' };
  return messageOfIssue(issue);
}

/** The server's validation details next to the fields they name (`scope.model`, `webhook.url`). */
export function errorsOfBudgetDetails(details: readonly ErrorDetail[] | undefined): FieldErrors {
  const errors: FieldErrors = {};
  for (const detail of details ?? []) {
    // The API wraps the budget in { id, budget }: its details may name "budget.amount".
    const field = detail.field.replace(/^budget\./, '');
    errors[field] ??= { key: 'pricing.field.other', params: { message: detail.reason } };
  }
  return errors;
}
