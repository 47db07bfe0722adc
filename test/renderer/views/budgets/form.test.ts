import { describe, expect, it } from 'vitest';
import { budgetForm, errorsOfBudgetDetails, idFor, inputOf, toBudgetInput } from '../../../../renderer/src/views/budgets/form.js';
import { budget } from './fixtures.js';

function filled(overrides: Partial<ReturnType<typeof budgetForm>> = {}) {
  return { ...budgetForm(undefined, 'USD'), name: 'Team', amount: '100', ...overrides };
}

describe('the budget form', () => {
  it('starts a new budget monthly, enabled, without webhook, at 50 / 80 / 100 % in the given currency', () => {
    const form = budgetForm(undefined, 'CNY');
    expect(form).toMatchObject({ period: 'month', scopeKind: 'all', thresholds: ['50', '80', '100'], webhookOn: false, enabled: true, currency: 'CNY' });
    expect(toBudgetInput({ ...form, name: ' Team ', amount: '250.5' })).toEqual({
      ok: true,
      budget: { name: 'Team', amount: 250.5, currency: 'CNY', period: 'month', scope: { kind: 'all' }, thresholds: [50, 80, 100], webhook: null, enabled: true },
    });
  });

  it('names each problem under its field: blank name, zero amount, bad currency, bad and repeated thresholds', () => {
    const result = toBudgetInput(filled({ name: '  ', amount: '0', currency: 'dollars', thresholds: ['80', 'x', '80', '1001', '2.5'] }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors['name']?.key).toBe('pricing.field.required');
    expect(result.errors['amount']?.key).toBe('budgets.error.positive');
    expect(result.errors['currency']?.key).toBe('pricing.field.currency');
    expect(result.errors['thresholds.0']).toBeUndefined();
    expect(result.errors['thresholds.1']?.key).toBe('pricing.field.number');
    expect(result.errors['thresholds.2']?.key).toBe('budgets.error.duplicateThreshold');
    expect(result.errors['thresholds.3']?.key).toBe('budgets.error.threshold');
    expect(result.errors['thresholds.4']?.key).toBe('budgets.error.threshold');
    expect(toBudgetInput(filled({ thresholds: [] }))).toMatchObject({ ok: false, errors: { thresholds: { key: 'budgets.error.noThreshold' } } });
    expect(toBudgetInput(filled({ amount: 'lots' }))).toMatchObject({ ok: false, errors: { amount: { key: 'pricing.field.number' } } });
  });

  it('sends thresholds sorted, and the webhook only when it is on, refusing a non-http URL', () => {
    const result = toBudgetInput(filled({ thresholds: ['100', '25', '90'], webhookOn: true, webhookUrl: 'https://hooks.example.com/x', webhookFormat: 'slack' }));
    expect(result).toMatchObject({ ok: true, budget: { thresholds: [25, 90, 100], webhook: { url: 'https://hooks.example.com/x', format: 'slack' } } });
    expect(toBudgetInput(filled({ webhookOn: false, webhookUrl: 'not a url' }))).toMatchObject({ ok: true, budget: { webhook: null } });
    expect(toBudgetInput(filled({ webhookOn: true, webhookUrl: 'ftp://files.example.com' }))).toMatchObject({ ok: false, errors: { 'webhook.url': { key: 'budgets.error.url' } } });
  });

  it('switches scope: only the chosen kind is sent, what was typed for another kind is kept but not sent', () => {
    const form = filled({ scopeKind: 'model', model: ' gpt-5-mini ', route: 'openai' });
    expect(toBudgetInput(form)).toMatchObject({ ok: true, budget: { scope: { kind: 'model', model: 'gpt-5-mini' } } });
    form.scopeKind = 'route';
    expect(toBudgetInput(form)).toMatchObject({ ok: true, budget: { scope: { kind: 'route', route: 'openai' } } });
    form.scopeKind = 'project';
    expect(toBudgetInput(form)).toMatchObject({ ok: false, errors: { 'scope.project': { key: 'pricing.field.required' } } });
    form.scopeKind = 'channel';
    form.metricsKey = 'not-a-key!';
    const channel = toBudgetInput(form);
    expect(channel.ok).toBe(false);
    if (!channel.ok) expect(Object.keys(channel.errors)).toEqual(['scope.metricsKey']);
    form.scopeKind = 'local';
    expect(toBudgetInput(form)).toMatchObject({ ok: true, budget: { scope: { kind: 'local' } } });
  });

  it('reads a saved budget back into the form, and into an input that changes only what is asked', () => {
    const saved = budget({ scope: { kind: 'project', project: '/home/me/app' }, thresholds: [75, 100], webhook: { url: 'https://h.example/x', format: 'discord' } });
    const form = budgetForm(saved);
    expect(form).toMatchObject({ scopeKind: 'project', project: '/home/me/app', thresholds: ['75', '100'], webhookOn: true, webhookFormat: 'discord', amount: '100' });
    expect(toBudgetInput(form)).toEqual({ ok: true, budget: inputOf(saved) });
    expect(inputOf(saved, { enabled: false })).toMatchObject({ enabled: false, thresholds: [75, 100], scope: { kind: 'project', project: '/home/me/app' } });
  });

  it('gives a new budget an id from its name, unique among the others', () => {
    expect(idFor('Claude – this month', [])).toBe('claude-this-month');
    expect(idFor('Team', ['team', 'team-2'])).toBe('team-3');
    expect(idFor('团队预算', [])).toBe('budget');
    expect(idFor('团队预算', ['budget'])).toBe('budget-2');
    expect(idFor('x'.repeat(100), [])).toMatch(/^x{56}$/);
  });

  it('puts the server’s details next to the fields, without the { budget } wrapper', () => {
    expect(errorsOfBudgetDetails([{ field: 'budget.amount', reason: 'too big' }, { field: 'scope.model', reason: 'bad' }])).toEqual({
      amount: { key: 'pricing.field.other', params: { message: 'too big' } },
      'scope.model': { key: 'pricing.field.other', params: { message: 'bad' } },
    });
  });
});
