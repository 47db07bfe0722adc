import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import Budgets from '../../../../renderer/src/views/Budgets.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { installDialog } from '../pricing/support.js';
import { alert, budget, budgetsService, status } from './fixtures.js';

function setup(service = budgetsService(), more: FakeHandlers = {}) {
  const client = makeFakeClient({ ...service.handlers, ...more });
  renderWithClient(client, Budgets);
  return { client, service, user: userEvent.setup() };
}

const card = (id: string) => screen.getAllByTestId('budget-card').find((element) => element.dataset['budget'] === id)!;
const text = (element: Element) => element.textContent?.replace(/\s+/g, ' ').trim();

describe('the Budgets view', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  it('explains what a budget does when there is none, and its button opens the form with the default thresholds', async () => {
    const { user } = setup();
    const empty = await screen.findByTestId('budgets-empty');
    expect(empty.textContent).toContain('No budgets yet');
    expect(empty.textContent).toContain('forecasts where the period will end');
    expect(empty.textContent).toContain('50, 80 and 100 %');
    expect(screen.getByTestId('budget-alerts-none')).toBeTruthy();
    await user.click(within(empty).getByRole('button', { name: 'Create a budget' }));
    const form = screen.getByTestId('budget-form');
    expect((within(form).getAllByTestId('budget-threshold') as HTMLInputElement[]).map((input) => input.value)).toEqual(['50', '80', '100']);
    expect(screen.queryByTestId('budgets-empty')).toBeNull();
  });

  it('shows the form’s problems under their fields on save, and sends nothing', async () => {
    const { client, user } = setup();
    await user.click(await screen.findByRole('button', { name: 'Create a budget' }));
    const form = screen.getByTestId('budget-form');
    await user.clear(within(form).getByTestId('budget-currency'));
    await user.type(within(form).getByTestId('budget-currency'), 'US');
    await user.type(within(form).getByTestId('budget-amount'), '-5');
    await user.clear(within(form).getAllByTestId('budget-threshold')[2]!);
    await user.type(within(form).getAllByTestId('budget-threshold')[2]!, '0');
    await user.click(within(form).getByTestId('budget-webhook-on'));
    await user.type(within(form).getByTestId('budget-webhook-url'), 'mailto:me@example.com');
    await user.click(within(form).getByTestId('budget-save'));

    expect(within(form).getByLabelText('Name').getAttribute('aria-invalid')).toBe('true');
    expect(text(within(form).getByLabelText('Name').closest('.field')!)).toContain('Required');
    expect(text(within(form).getByLabelText('Amount').closest('.field')!)).toContain('More than zero');
    expect(text(within(form).getByLabelText('Currency').closest('.field')!)).toContain('Three capital letters');
    expect(text(within(form).getAllByTestId('budget-threshold-row')[2]!)).toContain('A whole number from 1 to 1000');
    expect(text(within(form).getByLabelText('Webhook URL').closest('.field')!)).toContain('An http:// or https:// address');
    expect(client.callsOf('saveBudget')).toEqual([]);
  });

  it('creates a budget for a model picked from the ones seen, with its own thresholds, and shows it', async () => {
    const { client, user } = setup(budgetsService(), {
      listPricing: async () => [{ model: 'gpt-5-mini', versions: [] }, { model: 'Qwen3-Coder', versions: [] }],
    });
    await user.click(await screen.findByRole('button', { name: 'Create a budget' }));
    const form = screen.getByTestId('budget-form');
    await user.type(within(form).getByTestId('budget-name-input'), 'Mini month');
    await user.type(within(form).getByTestId('budget-amount'), '40');
    expect(within(form).queryByTestId('budget-scope-model')).toBeNull();
    await user.selectOptions(within(form).getByTestId('budget-scope-kind'), 'model');
    const model = within(form).getByTestId('budget-scope-model');
    await waitFor(() => expect([...document.querySelectorAll('#bg-models option')].map((option) => (option as HTMLOptionElement).value)).toEqual(['gpt-5-mini', 'Qwen3-Coder']));
    await user.type(model, 'gpt-5-mini');
    // Switching away and back keeps what was typed; only the chosen kind's field is shown.
    await user.selectOptions(within(form).getByTestId('budget-scope-kind'), 'route');
    expect(within(form).queryByTestId('budget-scope-model')).toBeNull();
    expect(within(form).getByTestId('budget-scope-route')).toBeTruthy();
    await user.selectOptions(within(form).getByTestId('budget-scope-kind'), 'model');
    expect((within(form).getByTestId('budget-scope-model') as HTMLInputElement).value).toBe('gpt-5-mini');
    await user.click(within(form).getAllByTestId('budget-threshold-remove')[0]!);
    await user.click(within(form).getByTestId('budget-threshold-add'));
    await user.type(within(form).getAllByTestId('budget-threshold').at(-1)!, '90');
    await user.selectOptions(within(form).getByTestId('budget-period'), 'week');
    await user.click(within(form).getByTestId('budget-save'));

    await screen.findByText('Budget Mini month saved');
    expect(client.callsOf('saveBudget')).toEqual([
      {
        id: 'mini-month',
        budget: { name: 'Mini month', amount: 40, currency: 'USD', period: 'week', scope: { kind: 'model', model: 'gpt-5-mini' }, thresholds: [80, 90, 100], webhook: null, enabled: true },
      },
    ]);
    expect(screen.queryByTestId('budget-form')).toBeNull();
    expect(text(within(card('mini-month')).getByTestId('budget-scope'))).toBe('Model gpt-5-mini');
  });

  it('picks a channel by the name it is known by, sends its metricsKey, and names it so on the card', async () => {
    const circuit = { metricsKey: '0123456789abcdef', apiType: 'openai', baseUrl: 'https://api.example.com/v1', keyMask: 'sk-a…9xQ2', label: 'Team key' };
    const { client, user } = setup(budgetsService(), {
      listCircuits: async () => [
        { ...circuit, state: 'closed', consecutiveFailures: 0, openedAt: null, nextRetryAt: null, backoffLevel: 0, lastSuccessAt: null, lastFailureAt: null, updatedAt: null },
      ],
    });
    await user.click(await screen.findByRole('button', { name: 'Create a budget' }));
    const form = screen.getByTestId('budget-form');
    await user.type(within(form).getByTestId('budget-name-input'), 'Key');
    await user.type(within(form).getByTestId('budget-amount'), '10');
    await user.selectOptions(within(form).getByTestId('budget-scope-kind'), 'channel');
    await user.click(within(form).getByTestId('budget-save'));
    expect(text(within(form).getByLabelText('Channel').closest('.field')!)).toContain('Required');
    await user.selectOptions(within(form).getByLabelText('Channel'), 'Team key');
    await user.click(within(form).getByTestId('budget-save'));
    await screen.findByText('Budget Key saved');
    expect(client.callsOf('saveBudget')[0]?.budget.scope).toEqual({ kind: 'channel', metricsKey: '0123456789abcdef' });
    expect(text(within(card('key')).getByTestId('budget-scope'))).toBe('Channel Team key');
  });

  it('shows each budget’s spend, percent, projection, the date the pace reaches the amount and how it forecasts', async () => {
    const reaches = new Date(2026, 0, 24, 15, 0).getTime();
    setup(
      budgetsService([
        budget({
          status: status({
            spent: 85,
            percent: 85,
            projected: 120,
            reachesAmountAt: reaches,
            crossed: [50, 80],
            converted: [{ currency: 'CNY', rate: 0.14 }],
            unconverted: [{ currency: 'EUR', cost: 12.3 }],
          }),
          webhook: { url: 'https://hooks.slack.com/services/T0/B0/secret', format: 'slack' },
        }),
      ]),
    );
    const team = await screen.findByTestId('budget-card');
    expect(text(within(team).getByTestId('budget-spent'))).toBe('$85.00 of $100.00');
    expect(within(team).getByTestId('budget-percent').textContent).toBe('85%');
    expect(within(team).getByTestId('budget-percent').className).toContain('warn');
    expect(text(within(team).getByTestId('budget-projected'))).toBe('Projected $120.00 by Jan 31, 2026');
    expect(text(within(team).getByTestId('budget-reaches'))).toContain('Reaches the amount on Jan 24, 2026');
    expect(text(within(team).getByTestId('budget-method'))).toBe(
      'Forecast from the pace of this month blended with the last 7 days, so one busy morning does not forecast a fortune.',
    );
    expect(text(within(team).getByTestId('budget-converted'))).toBe('Spend in CNY × 0.14 is converted at your rates.');
    expect(text(within(team).getByTestId('budget-unconverted'))).toBe('Not counted: €12.30 (no conversion rate to USD; set one in Settings).');
    const thresholds = within(team).getByTestId('budget-thresholds');
    expect([...thresholds.querySelectorAll('[data-crossed="true"]')].map((node) => node.textContent)).toEqual(['50 %', '80 %']);
    expect(text(thresholds)).toMatch(/^Alerts at 50 %, 80 %, 100 % ·/);
    // The webhook's address may hold a token: only its host is shown.
    expect(thresholds.textContent).toContain('Webhook (Slack) to hooks.slack.com');
    expect(thresholds.textContent).not.toContain('secret');
  });

  it('says when the amount is already passed, or will be without a known date, instead of "within"', async () => {
    setup(
      budgetsService([
        budget({ id: 'over', name: 'Over', status: status({ spent: 130, percent: 130, projected: 180, crossed: [50, 80, 100] }) }),
        budget({ id: 'heading', name: 'Heading', status: status({ spent: 50, percent: 50, projected: 150 }) }),
        budget({ id: 'fine', name: 'Fine', status: status({ spent: 10, percent: 10, projected: 40 }) }),
      ]),
    );
    await screen.findAllByTestId('budget-card');
    expect(text(within(card('over')).getByTestId('budget-over'))).toBe('Over the amount by $30.00');
    expect(within(card('over')).getByTestId('budget-percent').className).toContain('bad');
    expect(text(within(card('heading')).getByTestId('budget-exceeds'))).toBe('Goes past the amount before the period ends');
    expect(text(within(card('fine')).getByTestId('budget-within'))).toBe('Stays within the amount at this pace');
  });

  it('asks before deleting, and deletes only when confirmed', async () => {
    const { client, service, user } = setup(budgetsService([budget(), budget({ id: 'other', name: 'Other' })]));
    await screen.findAllByTestId('budget-card');
    await user.click(within(card('team')).getByRole('button', { name: 'Delete budget Team' }));
    const dialog = screen.getByRole('dialog');
    expect(text(within(dialog).getByTestId('budget-delete-confirm'))).toBe(
      'Budget Team will be deleted and no more alerts will be sent for it. The recorded spend is not touched.',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(client.callsOf('deleteBudget')).toEqual([]);
    expect(screen.getAllByTestId('budget-card')).toHaveLength(2);

    await user.click(within(card('team')).getByRole('button', { name: 'Delete budget Team' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete budget' }));
    await screen.findByText('Budget Team deleted');
    expect(client.callsOf('deleteBudget')).toEqual([{ id: 'team' }]);
    expect(screen.getAllByTestId('budget-card').map((element) => element.dataset['budget'])).toEqual(['other']);
    expect([...service.stored.keys()]).toEqual(['other']);
  });

  it('pauses a budget by saving it unchanged but disabled, and edits one under the same id', async () => {
    const { client, user } = setup(budgetsService([budget({ scope: { kind: 'cloud' }, thresholds: [90] })]));
    await screen.findByTestId('budget-card');
    await user.click(screen.getByRole('checkbox', { name: 'Watch budget Team' }));
    await waitFor(() => expect(text(card('team'))).toContain('Paused'));
    expect(client.callsOf('saveBudget')).toEqual([
      { id: 'team', budget: { name: 'Team', amount: 100, currency: 'USD', period: 'month', scope: { kind: 'cloud' }, thresholds: [90], webhook: null, enabled: false } },
    ]);

    await user.click(screen.getByRole('button', { name: 'Edit budget Team' }));
    const form = screen.getByTestId('budget-form');
    expect((within(form).getByTestId('budget-scope-kind') as HTMLSelectElement).value).toBe('cloud');
    const amount = within(form).getByTestId('budget-amount');
    await user.clear(amount);
    await user.type(amount, '250');
    await user.click(within(form).getByTestId('budget-save'));
    await screen.findByText('Budget Team saved');
    expect(client.callsOf('saveBudget').at(-1)).toMatchObject({ id: 'team', budget: { amount: 250, enabled: false } });
    expect(text(within(card('team')).getByTestId('budget-spent'))).toBe('$0.00 of $250.00');
  });

  it('lists alerts with their webhook delivery: delivered, pending with attempts, failed with the last error', async () => {
    setup(
      budgetsService(
        [budget()],
        [
          alert({ id: 3, threshold: 100, webhook: { state: 'failed', attempts: 8, lastError: 'HTTP 500', deliveredAt: null } }),
          alert({ id: 2, threshold: 80, webhook: { state: 'pending', attempts: 2, lastError: 'connect ECONNREFUSED', deliveredAt: null } }),
          alert({ id: 1, threshold: 50, webhook: { state: 'delivered', attempts: 1, lastError: null, deliveredAt: new Date(2026, 0, 20, 14, 6).getTime() } }),
        ],
      ),
    );
    const rows = await screen.findAllByTestId('budget-alert-row');
    expect(rows.map((row) => [row.dataset['threshold'], text(within(row).getByTestId('budget-alert-webhook'))])).toEqual([
      ['100', 'Failed, gave up (attempts: 8)'],
      ['80', 'Pending (attempts: 2)'],
      ['50', expect.stringMatching(/^Delivered Jan 20, 2026/)],
    ]);
    expect(text(within(rows[1]!).getByTestId('budget-alert-error'))).toBe('Last error: connect ECONNREFUSED');
    expect(within(rows[2]!).queryByTestId('budget-alert-error')).toBeNull();
    expect(text(rows[0]!)).toContain('$81.50');
  });

  it('reloads budgets and alerts when the stream says they changed', async () => {
    const service = budgetsService([budget()]);
    const { client } = setup(service);
    await screen.findByTestId('budget-card');
    service.stored.set('team', budget({ status: status({ spent: 90, percent: 90, projected: 100, crossed: [50, 80] }) }));
    client.handle({ listBudgetAlerts: async () => [alert()] });
    client.emit({ type: 'budget-alert', alert: alert() });
    await waitFor(() => expect(screen.getByTestId('budget-percent').textContent).toBe('90%'), { timeout: 3_000 });
    await screen.findByTestId('budget-alert-row');
    const before = client.callsOf('listBudgets').length;
    client.emit({ type: 'circuits', metricsKey: 'k', apiType: 'openai', state: 'open' });
    client.emit({ type: 'budgets' });
    await waitFor(() => expect(client.callsOf('listBudgets').length).toBe(before + 1), { timeout: 3_000 });
  });

  it('sets when a month and a week begin, sending only what changed', async () => {
    const { client, service, user } = setup(budgetsService([budget()]));
    const periods = await screen.findByTestId('budgets-periods');
    const save = await within(periods).findByRole('button', { name: 'Save periods' });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    const week = within(periods).getByLabelText('A week begins on') as HTMLSelectElement;
    expect([...week.options].map((option) => option.textContent)).toEqual(['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']);
    expect(week.value).toBe('1');
    await user.selectOptions(within(periods).getByLabelText('A month begins on day'), '15');
    await user.click(save);
    await within(periods).findByText('Periods saved');
    expect(client.callsOf('updateSettings')).toEqual([{ monthStartDay: 15 }]);
    expect(service.settings.current.monthStartDay).toBe(15);
  });

  it('starts a new budget in the display currency, from the one settings read the periods form shares', async () => {
    const service = budgetsService();
    service.settings.current = { ...service.settings.current, displayCurrency: 'CNY' };
    const { client, user } = setup(service);
    await screen.findByTestId('budgets-periods');
    await user.click(await screen.findByRole('button', { name: 'Create a budget' }));
    expect((within(screen.getByTestId('budget-form')).getByTestId('budget-currency') as HTMLInputElement).value).toBe('CNY');
    expect(client.callsOf('getSettings')).toHaveLength(1);
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    setup();
    const empty = await screen.findByTestId('budgets-empty');
    expect(empty.textContent).toContain('还没有预算');
    expect(within(empty).getByRole('button').textContent?.trim()).toBe('创建预算');
  });
});
