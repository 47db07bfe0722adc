import { fireEvent, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { Summary } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import { range } from '../../../../renderer/src/lib/state/range.svelte.js';
import Overview from '../../../../renderer/src/views/Overview.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { appInfo, bucket, history, modelRow, storage, summary, totals } from './fixtures.js';

const t0 = Date.UTC(2026, 0, 10, 1);

const used: Summary = summary({
  totals: totals({
    requests: 1234,
    failures: 34,
    inputTokens: 300_000,
    outputTokens: 50_000,
    cacheReadTokens: 600_000,
    cacheWriteTokens: 100_000,
    unpricedRequests: 12,
    runtimeSeconds: 3 * 3600 + 12 * 60,
    cost: { USD: 12.5, CNY: 30 },
  }),
  models: [
    modelRow('gpt-5-mini', { requests: 1000, failures: 30, inputTokens: 300_000, cost: { USD: 12.5 }, pricingMethod: 'tokens' }),
    modelRow('Qwen3-Coder', { requests: 222, runtimeSeconds: 11_520, running: true, cost: { CNY: 30 }, pricingMethod: 'hourly' }),
    modelRow('mystery-model', { requests: 12, unpricedRequests: 12 }),
  ],
});

function handlers(overrides: FakeHandlers = {}): FakeHandlers {
  return {
    getSummary: async () => used,
    getHistory: async () => history([bucket(t0, 'gpt-5-mini', { requests: 3, cost: { USD: 1 } }), bucket(t0, 'Qwen3-Coder', { requests: 2, cost: { CNY: 4 } })]),
    getStorageInfo: async () => storage({ totalRequests: 1234, models: 3 }),
    getAppInfo: async () => appInfo(),
    ...overrides,
  };
}

describe('Overview', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    localStorage.clear();
    range.set({ preset: 'today' });
    // jsdom has no 2D canvas: the charts keep their text fallback (drawing is covered end to end).
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('shows the cards of the summary, with token classes, rates and cost per currency', async () => {
    renderWithClient(makeFakeClient(handlers()), Overview);
    const requests = await screen.findByTestId('card-requests');
    expect(requests.textContent).toContain('1,234');
    expect(requests.textContent).toContain('34 failed');
    expect(screen.getByTestId('card-success').textContent).toContain('97.2%');
    expect(screen.getByTestId('tokens-input').textContent).toBe('300K');
    expect(screen.getByTestId('tokens-cache-read').textContent).toBe('600K');
    expect(screen.getByTestId('tokens-cache-write').textContent).toBe('100K');
    // 600K read of 1M prompt tokens (input + read + write).
    expect(screen.getByTestId('card-cache').textContent).toContain('60%');
    expect(screen.getByTestId('card-runtime').textContent).toContain('3h 12m');
    expect(screen.getByTestId('card-cost').textContent).toContain('CN¥30.00 + $12.50');
    expect(screen.getByTestId('cost-unpriced').textContent).toBe('12 requests unpriced');
  });

  it('asks for the budget card\'s budgets and forecast with its other reads, not once the summary has come', async () => {
    const client = makeFakeClient(handlers({ getSummary: () => new Promise<Summary>(() => {}), listBudgets: async () => [], getForecast: () => new Promise(() => {}) }));
    renderWithClient(client, Overview);
    await vi.waitFor(() => expect(client.callsOf('listBudgets')).toHaveLength(1));
    expect(client.callsOf('getForecast')).toHaveLength(1);
    expect(screen.queryByTestId('card-budget')).toBeNull();
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    renderWithClient(makeFakeClient(handlers()), Overview);
    expect((await screen.findByTestId('card-requests')).textContent).toContain('请求数');
    expect(screen.getByTestId('card-runtime').textContent).toContain('3小时12分');
    expect(screen.getByTestId('cost-unpriced').textContent).toBe('12 个请求未定价');
    const row = screen.getAllByTestId('overview-model-row').find((tr) => tr.textContent?.includes('mystery-model'))!;
    expect(row.textContent).toContain('未定价');
  });

  it('shows unpriced use as Unpriced, never as a zero cost', async () => {
    const unpriced = summary({ totals: totals({ requests: 5, unpricedRequests: 5, inputTokens: 10 }), models: [modelRow('local', { requests: 5, unpricedRequests: 5 })] });
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => unpriced })), Overview);
    const cost = await screen.findByTestId('card-cost');
    expect(cost.textContent).toContain('Unpriced');
    expect(cost.textContent).not.toMatch(/0\.00/);
    const table = screen.getByTestId('overview-models');
    expect(within(table).getByText('Unpriced')).toBeTruthy();
  });

  it('says the converted total uses the user’s rates', async () => {
    const converted = { ...used, converted: { currency: 'EUR', amount: 15.25, rates: { USD: 0.9, CNY: 0.13 }, missingRates: [] } };
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => converted })), Overview);
    expect((await screen.findByTestId('cost-converted')).textContent).toBe('≈ €15.25 in total at your conversion rates');
  });

  it('lists models with links to their page and a running badge', async () => {
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => ({ ...used, to: Date.now() }) })), Overview);
    const rows = await screen.findAllByTestId('overview-model-row');
    const qwen = rows.find((row) => row.textContent?.includes('Qwen3-Coder'))!;
    expect(within(qwen).getByTestId('running-badge').textContent).toBe('Running');
    expect(screen.getByTestId('card-runtime').textContent).toContain('1 running now');
    const gpt = rows.find((row) => row.textContent?.includes('gpt-5-mini'))!;
    expect(within(gpt).getByRole('link', { name: 'gpt-5-mini' }).getAttribute('href')).toBe('#/models/gpt-5-mini');
  });

  it('shows the past in a past range: nothing "running now", no model pinned on top', async () => {
    const rows = [
      modelRow('was-running', { requests: 1, runtimeSeconds: 600, running: true, cost: { USD: 1 } }),
      modelRow('dear', { requests: 5, cost: { USD: 9 } }),
    ];
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => ({ ...used, models: rows }) })), Overview);
    const shown = await screen.findAllByTestId('overview-model-row');
    expect(shown.map((row) => row.querySelector('a')?.textContent)).toEqual(['dear', 'was-running']);
    expect(screen.queryByTestId('running-badge')).toBeNull();
    expect(screen.getByTestId('card-runtime').textContent).not.toContain('running now');
  });

  it('sorts the By-model table by cost by default and by any column from its header', async () => {
    const rows = [
      modelRow('many-cheap', { requests: 900, cost: { USD: 1 } }),
      modelRow('few-dear', { requests: 3, cost: { USD: 278 } }),
      modelRow('yuan', { requests: 50, cost: { CNY: 470 } }),
    ];
    const converted = { currency: 'USD', amount: 0, rates: { CNY: 0.14 }, missingRates: [] };
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => ({ ...used, models: rows, converted }) })), Overview);
    const order = () => screen.getAllByTestId('overview-model-row').map((row) => row.querySelector('a')?.textContent);
    await screen.findAllByTestId('overview-model-row');
    expect(order()).toEqual(['few-dear', 'yuan', 'many-cheap']);
    await fireEvent.click(screen.getByRole('button', { name: 'Sort by Requests' }));
    expect(order()).toEqual(['many-cheap', 'yuan', 'few-dear']);
    await fireEvent.click(screen.getByRole('button', { name: 'Sort by Model' }));
    expect(order()).toEqual(['few-dear', 'many-cheap', 'yuan']);
  });

  it('explains how data gets in on a fresh install, with the API URL', async () => {
    const fake = makeFakeClient(
      handlers({
        getSummary: async () => summary(),
        getHistory: async () => history([]),
        getStorageInfo: async () => storage(),
        getAppInfo: async () => appInfo({ apiUrl: 'http://127.0.0.1:7999/api/v1' }),
      }),
    );
    renderWithClient(fake, Overview);
    expect(await screen.findByTestId('overview-fresh')).toBeTruthy();
    expect(screen.getByTestId('fresh-api-url').textContent).toContain('POST http://127.0.0.1:7999/api/v1/requests');
    expect(screen.queryByTestId('card-requests')).toBeNull();
  });

  it('says when the chosen range is empty though data exists elsewhere', async () => {
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => summary(), getHistory: async () => history([]) })), Overview);
    expect(await screen.findByText('Nothing recorded in this range')).toBeTruthy();
    expect(screen.queryByTestId('overview-fresh')).toBeNull();
  });

  it('shows a failing call as an error with a retry that recovers', async () => {
    const fake = makeFakeClient(
      handlers({
        getSummary: async () => {
          throw new ApiError('unavailable', 'connection refused');
        },
      }),
    );
    renderWithClient(fake, Overview);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('ModelMeter cannot be reached');
    fake.handle({ getSummary: async () => used });
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect((await screen.findByTestId('card-requests')).textContent).toContain('1,234');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('reloads when new requests arrive, not on circuit changes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    let requests = 1234;
    const fake = makeFakeClient(handlers({ getSummary: async () => ({ ...used, totals: { ...used.totals, requests } }) }));
    renderWithClient(fake, Overview);
    await vi.advanceTimersByTimeAsync(0);
    expect(screen.getByTestId('card-requests').textContent).toContain('1,234');
    const before = fake.callsOf('getSummary').length;

    fake.emit({ type: 'circuits', metricsKey: 'abcd', apiType: 'openai', state: 'open' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.callsOf('getSummary').length).toBe(before);

    requests = 5600;
    fake.emit({ type: 'requests', count: 1, models: ['gpt-5-mini'] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.callsOf('getSummary').length).toBe(before + 1);
    expect(fake.callsOf('getHistory').length).toBeGreaterThan(1);
    expect(screen.getByTestId('card-requests').textContent).toContain('5,600');
  });

  it('coalesces live events: at most one reload a second, and only of what the event touched', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const fake = makeFakeClient(handlers());
    renderWithClient(fake, Overview);
    await vi.advanceTimersByTimeAsync(0);
    const count = () => ({ summary: fake.callsOf('getSummary').length, history: fake.callsOf('getHistory').length, storage: fake.callsOf('getStorageInfo').length });
    const start = count();

    // Live traffic: an event every 300 ms for 3 s.
    for (let i = 0; i < 10; i++) {
      fake.emit({ type: 'requests', count: 1, models: ['gpt-5-mini'] });
      await vi.advanceTimersByTimeAsync(300);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    const after = count();
    expect(after.summary - start.summary).toBeLessThanOrEqual(4);
    expect(after.history - start.history).toBeLessThanOrEqual(4);
    expect(after.summary - start.summary).toBeGreaterThanOrEqual(2);
    // Storage only tells a fresh install apart: new requests in a used ledger do not reload it.
    expect(after.storage).toBe(start.storage);

    // Nor do events that move no figure here.
    fake.emit({ type: 'routes' });
    fake.emit({ type: 'watchers' });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(count()).toEqual(after);

    // A cleanup can empty the ledger: that reloads storage too.
    fake.emit({ type: 'data', reason: 'cleanup' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(count().storage).toBe(after.storage + 1);
  });

  it('asks for the new range when another preset is picked', async () => {
    const fake = makeFakeClient(handlers());
    renderWithClient(fake, Overview);
    await screen.findByTestId('card-requests');
    expect(fake.callsOf('getSummary').at(-1)).toEqual({ range: 'today' });

    await fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    await vi.waitFor(() => expect(fake.callsOf('getSummary').at(-1)).toEqual({ range: '7d' }));
    expect(fake.callsOf('getHistory').at(-1)).toEqual({ range: '7d', interval: 'auto', groupBy: 'model' });
    expect(screen.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('takes a custom range in local time and refuses one that ends before it starts', async () => {
    const fake = makeFakeClient(handlers());
    renderWithClient(fake, Overview);
    await screen.findByTestId('card-requests');
    await fireEvent.click(screen.getByRole('button', { name: 'Custom' }));
    const from = screen.getByLabelText('From');
    const to = screen.getByLabelText('To');

    await fireEvent.input(from, { target: { value: '2026-01-05T10:00' } });
    await fireEvent.input(to, { target: { value: '2026-01-04T10:00' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(screen.getByText('The start must be before the end.')).toBeTruthy();

    await fireEvent.input(to, { target: { value: '2026-01-06T18:30' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    const expected = { from: new Date(2026, 0, 5, 10, 0).getTime(), to: new Date(2026, 0, 6, 18, 30).getTime() };
    await vi.waitFor(() => expect(fake.callsOf('getSummary').at(-1)).toEqual(expected));
  });

  it('charts cost in every currency, one chart each, not only the first behind a picker', async () => {
    renderWithClient(makeFakeClient(handlers()), Overview);
    const chart = await screen.findByTestId('chart-cost');
    await vi.waitFor(() => expect(within(chart).getAllByTestId('chart-cost-currency')).toHaveLength(2));
    expect(within(chart).queryByTestId('chart-currency')).toBeNull();
    const [cny, usd] = within(chart).getAllByTestId('chart-cost-currency');
    expect(cny!.dataset['currency']).toBe('CNY');
    expect(cny!.textContent).toContain('Cost in CNY');
    expect(within(cny!).getByRole('figure').textContent).toContain('Qwen3-Coder: CN¥4.00');
    expect(usd!.textContent).toContain('Cost in USD');
    expect(within(usd!).getByRole('figure').textContent).toContain('gpt-5-mini: $1.00');
  });

  it('charts the converted total, labelled as converted, when a display currency is set', async () => {
    const converted = { ...used, converted: { currency: 'USD', amount: 1.56, rates: { CNY: 0.14 }, missingRates: [] } };
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => converted })), Overview);
    const chart = await screen.findByTestId('chart-cost');
    await vi.waitFor(() => expect(within(chart).getAllByTestId('chart-cost-currency')).toHaveLength(1));
    const only = within(chart).getByTestId('chart-cost-currency');
    expect(only.textContent).toContain('Converted to USD at your rates');
    const figure = within(only).getByRole('figure').textContent ?? '';
    expect(figure).toContain('gpt-5-mini: $1.00');
    expect(figure).toContain('Qwen3-Coder: $0.56');
  });

  it('gives each chart a text summary for screen readers and a unit on its value axis', async () => {
    renderWithClient(makeFakeClient(handlers()), Overview);
    const chart = await screen.findByTestId('chart-requests');
    const canvas = await vi.waitFor(() => within(chart).getByRole('img'));
    expect(canvas.getAttribute('aria-label')).toBe('Requests over time (Requests). Totals: gpt-5-mini: 3; Qwen3-Coder: 2.');
  });
});

describe('Overview by project (issue 15)', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    localStorage.clear();
    range.set({ preset: 'today' });
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });
  afterEach(() => vi.restoreAllMocks());

  const withProjects: Summary = {
    ...used,
    byProject: [
      { ...totals({ requests: 1000, cost: { USD: 12.5 } }), project: '/home/me/src/shop', name: 'shop' },
      { ...totals({ requests: 234 }), project: null, name: '' },
    ],
  };
  const projectList = [{ project: '/home/me/src/shop', name: 'shop', firstSeen: t0, lastSeen: t0, requests: 1000, cost: { USD: 12.5 } }];

  it('shows a by-project table (name shown, full path on hover) and filters cards, charts and models by the chosen project', async () => {
    const fake = makeFakeClient(handlers({ getSummary: async () => withProjects, listProjects: async () => projectList }));
    renderWithClient(fake, Overview);
    const table = await screen.findByTestId('overview-projects');
    const rows = within(table).getAllByTestId('overview-project-row');
    expect(rows.map((row) => row.querySelector('td')!.textContent!.trim())).toEqual(['shop', '(no project)']);
    expect(within(rows[0]!).getByTitle('/home/me/src/shop')).toBeTruthy();

    const select = (await screen.findByTestId('overview-project')) as HTMLSelectElement;
    expect(select.options[0]!.textContent).toBe('All projects');
    expect(select.options[1]!.title).toBe('/home/me/src/shop');
    await fireEvent.change(select, { target: { value: '/home/me/src/shop' } });
    await vi.waitFor(() => expect(fake.callsOf('getSummary').at(-1)).toEqual({ range: 'today', project: '/home/me/src/shop' }));
    expect(fake.callsOf('getHistory').at(-1)).toEqual({ range: 'today', project: '/home/me/src/shop', interval: 'auto', groupBy: 'model' });
    expect(screen.getByTestId('overview-project-note').textContent).toContain('runtime');

    await fireEvent.change(select, { target: { value: '' } });
    await fireEvent.click(within(rows[0]!).getByRole('button', { name: 'shop' }));
    await vi.waitFor(() => expect(fake.callsOf('getSummary').at(-1)).toEqual({ range: 'today', project: '/home/me/src/shop' }));
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => withProjects, listProjects: async () => projectList })), Overview);
    expect((await screen.findByTestId('overview-projects')).textContent).toContain('（无项目）');
    expect(((await screen.findByTestId('overview-project')) as HTMLSelectElement).options[0]!.textContent).toBe('全部项目');
  });
});
