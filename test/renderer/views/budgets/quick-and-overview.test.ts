import { screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import { buildTimeChartConfig } from '../../../../renderer/src/lib/charts/config.js';
import QuickBudgets from '../../../../renderer/src/views/budgets/QuickBudgets.svelte';
import Overview from '../../../../renderer/src/views/Overview.svelte';
import { projectionFor } from '../../../../renderer/src/views/overview/projection.js';
import { range } from '../../../../renderer/src/lib/state/range.svelte.js';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { appInfo, bucket, history, storage, summary, totals } from '../overview/fixtures.js';
import { budget, forecast, PERIOD_END, PERIOD_START, status } from './fixtures.js';

const DAY = 86_400_000;

describe('budget bars in the quick view', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('shows the three enabled budgets nearest their limit, coloured at 80 and 100 %', async () => {
    const budgets = [
      budget({ id: 'a', name: 'Low', status: status({ percent: 10, spent: 10 }) }),
      budget({ id: 'b', name: 'Over', status: status({ percent: 130, spent: 130 }) }),
      budget({ id: 'c', name: 'Paused', enabled: false, status: status({ percent: 500, spent: 500 }) }),
      budget({ id: 'd', name: 'Near', status: status({ percent: 85, spent: 85 }) }),
      budget({ id: 'e', name: 'Half', status: status({ percent: 50, spent: 50 }) }),
    ];
    renderWithClient(makeFakeClient({ listBudgets: async () => budgets }), QuickBudgets);
    const rows = await screen.findAllByTestId('quick-budget-row');
    expect(rows.map((row) => [row.dataset['budget'], within(row).getByTestId('quick-budget-percent').textContent, within(row).getByTestId('budget-bar').dataset['tone']])).toEqual([
      ['b', '130%', 'bad'],
      ['d', '85%', 'warn'],
      ['e', '50%', 'ok'],
    ]);
    expect(screen.getByText('1 more in Budgets')).toBeTruthy();
  });

  it('takes no room without budgets, or when they cannot be read', async () => {
    const client = makeFakeClient({ listBudgets: async () => [] });
    renderWithClient(client, QuickBudgets);
    await waitFor(() => expect(client.callsOf('listBudgets')).toHaveLength(1));
    expect(screen.queryByTestId('quick-budgets')).toBeNull();
  });
});

describe('the month’s projection on the cost chart', () => {
  const now = PERIOD_START + 20 * DAY + 3_600_000;
  const daily = Array.from({ length: 31 }, (_, i) => ({ ts: PERIOD_START + i * DAY, cost: i < 21 ? 2 : 3, projected: i >= 21 }));
  const month = forecast({ daily });
  const style = { label: 'Projected', color: '#8b9bb4' };

  it('adds the projected days to a day-bucket chart of its currency reaching now, and stretches the axis to the month’s end', () => {
    const result = projectionFor(month, { from: now - 30 * DAY, to: now, interval: 86_400 }, 'USD', now, style);
    expect(result?.to).toBe(PERIOD_END);
    expect(result?.series.projection).toBe(true);
    expect(result?.series.points).toEqual(daily.slice(21).map((day) => ({ x: day.ts, y: 3 })));
  });

  it('leaves out hourly charts, other currencies, ranges ending before this month, and a month with nothing projected', () => {
    expect(projectionFor(month, { from: now - DAY, to: now, interval: 3600 }, 'USD', now, style)).toBeNull();
    expect(projectionFor(month, { from: now - 30 * DAY, to: now, interval: 86_400 }, 'CNY', now, style)).toBeNull();
    expect(projectionFor(month, { from: PERIOD_START - 40 * DAY, to: PERIOD_START - 5 * DAY, interval: 86_400 }, 'USD', now, style)).toBeNull();
    expect(projectionFor(forecast({ daily: daily.map((day) => ({ ...day, projected: false })) }), { from: now - 30 * DAY, to: now, interval: 86_400 }, 'USD', now, style)).toBeNull();
    expect(projectionFor(undefined, { from: now - 30 * DAY, to: now, interval: 86_400 }, 'USD', now, style)).toBeNull();
  });

  it('is drawn as a dashed line outside the bars’ stack, and is not added to a bucket’s total', () => {
    const config = buildTimeChartConfig({
      series: [
        { label: 'gpt-5-mini', color: '#3b82f6', points: [{ x: PERIOD_START, y: 1 }] },
        { label: 'Projected', color: '#8b9bb4', points: [{ x: PERIOD_START, y: 5 }], projection: true },
      ],
      kind: 'bar',
      stacked: true,
      formatValue: String,
      formatTick: String,
      formatTooltipTime: String,
      colors: { text: '#000', muted: '#666', grid: '#ddd' },
      showLegend: true,
      formatTotal: (total) => `total ${total}`,
    });
    const [bars, projected] = config.data.datasets as unknown as Record<string, unknown>[];
    expect(bars!['type']).toBeUndefined();
    expect(projected).toMatchObject({ type: 'line', borderDash: [6, 4], stack: 'projection', fill: false });
    expect(bars!['stack']).not.toBe(projected!['stack']);
  });
});

describe('the Overview’s budget card', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    localStorage.clear();
    range.set({ preset: 'today' });
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function handlers(more: FakeHandlers): FakeHandlers {
    return {
      getSummary: async () => summary({ totals: totals({ requests: 3, cost: { USD: 1 } }) }),
      getHistory: async () => history([bucket(Date.UTC(2026, 0, 10, 1), 'gpt-5-mini', { requests: 3, cost: { USD: 1 } })]),
      getStorageInfo: async () => storage({ totalRequests: 3, models: 1 }),
      getAppInfo: async () => appInfo(),
      getForecast: async () => forecast(),
      ...more,
    };
  }

  it('shows the budget nearest its limit', async () => {
    const budgets = [budget({ id: 'a', name: 'Small', status: status({ percent: 40, spent: 40, projected: 70 }) }), budget({ id: 'b', name: 'Tight', status: status({ percent: 104, spent: 104, projected: 160 }) })];
    renderWithClient(makeFakeClient(handlers({ listBudgets: async () => budgets })), Overview);
    // The card shows the forecast until the budgets arrive, then becomes the budget's.
    await waitFor(() => expect(screen.getByTestId('card-budget-name').textContent).toBe('Tight: $104.00 of $100.00'));
    const cardEl = screen.getByTestId('card-budget');
    expect(cardEl.querySelector('.value')?.textContent?.trim()).toBe('104%');
    expect(cardEl.querySelector('.value')?.className).toContain('bad');
    expect(cardEl.textContent).toContain('projected $160.00');
  });

  it('shows the month’s forecast and how it was made when there is no budget', async () => {
    renderWithClient(makeFakeClient(handlers({ listBudgets: async () => [] })), Overview);
    const cardEl = await screen.findByTestId('card-budget');
    await waitFor(() => expect(within(cardEl).getByTestId('card-forecast').textContent).toContain('$95.00'));
    expect(cardEl.textContent).toContain('Forecast this month');
    expect(cardEl.textContent).toContain('Spent so far: $40.00');
    expect(cardEl.textContent).toContain('blended with the last 7 days');
    expect(within(cardEl).getByRole('link', { name: 'Set a budget' }).getAttribute('href')).toBe('#/budgets');
  });

  it('says so, quietly, when budgets cannot be read', async () => {
    renderWithClient(makeFakeClient(handlers({ listBudgets: async () => Promise.reject(new ApiError('unavailable', 'down')) })), Overview);
    const cardEl = await screen.findByTestId('card-budget');
    await waitFor(() => expect(cardEl.textContent).toContain('Budgets could not be loaded'));
  });
});
