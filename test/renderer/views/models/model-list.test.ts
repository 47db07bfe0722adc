import { fireEvent, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import { range } from '../../../../renderer/src/lib/state/range.svelte.js';
import Models from '../../../../renderer/src/views/Models.svelte';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';
import { modelRow, storage, summaryOf } from './fixtures.js';

const rows = [
  modelRow('gpt-5-mini', { requests: 1500, failures: 15, inputTokens: 1_234_567, pricingMethod: 'tokens', cost: { USD: 2.5 } }),
  modelRow('Qwen3/Coder 30B', { requests: 200, runtimeSeconds: 7200, running: true, pricingMethod: 'hourly', cost: { CNY: 7 } }),
  modelRow('mystery-model', { requests: 900, unpricedRequests: 900 }),
  modelRow('llama-free', { requests: 10, pricingMethod: 'none', cost: { USD: 0 } }),
];

function modelOrder(): string[] {
  return screen.getAllByTestId('models-row').map((row) => row.getAttribute('data-model') ?? '');
}

describe('Models list', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    localStorage.clear();
    range.set({ preset: '7d' });
  });

  it('lists the models of the range with their figures', async () => {
    const client = makeFakeClient({ getSummary: async () => summaryOf(rows, 0, Date.now()) });
    renderWithClient(client, Models, { model: null });
    await screen.findByTestId('models-table');
    expect(client.callsOf('getSummary')).toEqual([{ range: '7d' }]);
    const gpt = within(screen.getAllByTestId('models-row').find((row) => row.dataset['model'] === 'gpt-5-mini')!);
    expect(gpt.getByText('1,500')).toBeTruthy();
    expect(gpt.getByText('1.2M')).toBeTruthy();
    expect(gpt.getByText('99%')).toBeTruthy();
    expect(gpt.getByText('Per token')).toBeTruthy();
    expect(gpt.getByText('$2.50')).toBeTruthy();
    const qwen = within(screen.getAllByTestId('models-row').find((row) => row.dataset['model'] === 'Qwen3/Coder 30B')!);
    expect(qwen.getByText('Running')).toBeTruthy();
    expect(qwen.getByText('2h')).toBeTruthy();
  });

  it('shows an unpriced model as Unpriced, never as zero, and a free one as free', async () => {
    renderWithClient(makeFakeClient({ getSummary: async () => summaryOf(rows) }), Models, { model: null });
    await screen.findByTestId('models-table');
    const mystery = screen.getAllByTestId('models-row').find((row) => row.dataset['model'] === 'mystery-model')!;
    expect(within(mystery).getByTestId('models-cost').textContent?.trim()).toBe('Unpriced');
    expect(mystery.textContent).not.toMatch(/\$0/);
    const free = screen.getAllByTestId('models-row').find((row) => row.dataset['model'] === 'llama-free')!;
    expect(within(free).getByText('Free')).toBeTruthy();
    expect(within(free).getByTestId('models-cost').textContent?.trim()).toBe('$0.00');
  });

  it('links each model to its page, encoding the name', async () => {
    renderWithClient(makeFakeClient({ getSummary: async () => summaryOf(rows) }), Models, { model: null });
    const link = await screen.findByRole('link', { name: 'Qwen3/Coder 30B' });
    expect(link.getAttribute('href')).toBe('#/models/Qwen3%2FCoder%2030B');
  });

  it('sorts by a column from its header button, keeping unpriced costs last both ways', async () => {
    renderWithClient(makeFakeClient({ getSummary: async () => summaryOf(rows) }), Models, { model: null });
    await screen.findByTestId('models-table');
    expect(modelOrder()).toEqual(['gpt-5-mini', 'mystery-model', 'Qwen3/Coder 30B', 'llama-free']);

    const byCost = screen.getByRole('button', { name: 'Sort by Cost' });
    await fireEvent.click(byCost);
    expect(modelOrder()).toEqual(['Qwen3/Coder 30B', 'gpt-5-mini', 'llama-free', 'mystery-model']);
    expect(byCost.closest('th')?.getAttribute('aria-sort')).toBe('descending');
    await fireEvent.click(byCost);
    expect(modelOrder()).toEqual(['Qwen3/Coder 30B', 'llama-free', 'gpt-5-mini', 'mystery-model']);
    expect(byCost.closest('th')?.getAttribute('aria-sort')).toBe('ascending');

    await fireEvent.click(screen.getByRole('button', { name: 'Sort by Model' }));
    expect(modelOrder()).toEqual(['gpt-5-mini', 'llama-free', 'mystery-model', 'Qwen3/Coder 30B']);
  });

  it('ranks costs in several currencies by their amount in the display currency when rates are set', async () => {
    const mixed = [modelRow('yuan-model', { requests: 1, cost: { CNY: 470 } }), modelRow('dollar-model', { requests: 1, cost: { USD: 278 } })];
    const converted = { currency: 'USD', amount: 278 + 470 * 0.14, rates: { CNY: 0.14 }, missingRates: [] };
    renderWithClient(makeFakeClient({ getSummary: async () => ({ ...summaryOf(mixed), converted }) }), Models, { model: null });
    await screen.findByTestId('models-table');
    await fireEvent.click(screen.getByRole('button', { name: 'Sort by Cost' }));
    expect(modelOrder()).toEqual(['dollar-model', 'yuan-model']);
    expect(screen.queryByTestId('models-cost-by-currency')).toBeNull();
  });

  it('without rates, ranks costs within each currency and says so, never adding yuan to dollars', async () => {
    const mixed = [
      modelRow('yuan-big', { requests: 1, cost: { CNY: 470 } }),
      modelRow('dollar-small', { requests: 1, cost: { USD: 5 } }),
      modelRow('yuan-small', { requests: 1, cost: { CNY: 3 } }),
      modelRow('dollar-big', { requests: 1, cost: { USD: 278 } }),
    ];
    renderWithClient(makeFakeClient({ getSummary: async () => summaryOf(mixed) }), Models, { model: null });
    await screen.findByTestId('models-table');
    await fireEvent.click(screen.getByRole('button', { name: 'Sort by Cost' }));
    expect(modelOrder()).toEqual(['yuan-big', 'yuan-small', 'dollar-big', 'dollar-small']);
    expect(screen.getByTestId('models-cost-by-currency').textContent).toContain('CNY, USD');
  });

  it('shows no Running badge in a range that ended in the past', async () => {
    const past = Date.now() - 3 * 86_400_000;
    renderWithClient(makeFakeClient({ getSummary: async () => summaryOf(rows, past - 86_400_000, past) }), Models, { model: null });
    await screen.findByTestId('models-table');
    expect(screen.queryByTestId('models-running')).toBeNull();
  });

  it('filters by name and says when nothing matches', async () => {
    renderWithClient(makeFakeClient({ getSummary: async () => summaryOf(rows) }), Models, { model: null });
    const filter = await screen.findByRole('searchbox', { name: 'Filter models' });
    await fireEvent.input(filter, { target: { value: 'QWEN' } });
    expect(modelOrder()).toEqual(['Qwen3/Coder 30B']);
    await fireEvent.input(filter, { target: { value: 'nothing-like-this' } });
    expect(screen.queryAllByTestId('models-row')).toEqual([]);
    expect(screen.getByText('No model matches “nothing-like-this”.')).toBeTruthy();
  });

  it('reloads when requests arrive and when the range changes', async () => {
    const client = makeFakeClient({ getSummary: async () => summaryOf(rows.slice(0, 1)) });
    renderWithClient(client, Models, { model: null });
    await screen.findByTestId('models-table');
    client.handle({ getSummary: async () => summaryOf(rows) });
    client.emit({ type: 'requests', count: 3, models: ['mystery-model'] });
    await screen.findByText('mystery-model', {}, { timeout: 2000 });

    await fireEvent.click(screen.getByTestId('range-24h'));
    await screen.findByTestId('models-table');
    expect(client.callsOf('getSummary').at(-1)).toEqual({ range: '24h' });
  });

  it('tells an empty ledger from an empty range, in English and Chinese', async () => {
    const client = makeFakeClient({ getSummary: async () => summaryOf([]), getStorageInfo: async () => storage({ models: 0 }) });
    const view = renderWithClient(client, Models, { model: null });
    await screen.findByText('No models yet');
    i18n.choice = 'zh-CN';
    await screen.findByText('还没有模型');
    view.unmount();

    i18n.choice = 'en';
    renderWithClient(makeFakeClient({ getSummary: async () => summaryOf([]), getStorageInfo: async () => storage({ models: 4 }) }), Models, { model: null });
    await screen.findByText('No model was used in this range');
  });

  it('explains a failure and retries', async () => {
    const client = makeFakeClient({ getSummary: async () => Promise.reject(new Error('disk on fire')) });
    renderWithClient(client, Models, { model: null });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('disk on fire');
    client.handle({ getSummary: async () => summaryOf(rows) });
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await screen.findByTestId('models-table');
  });
});
