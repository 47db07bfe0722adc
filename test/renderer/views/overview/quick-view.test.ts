import { fireEvent, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Circuit, Run } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import QuickView from '../../../../renderer/src/views/QuickView.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { bucket, history, modelRow, summary, totals } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);

function run(model: string, start: number, overrides: Partial<Run> = {}): Run {
  return { id: start, model, source: 'llama-swap', start, end: null, lastSeenAt: start, running: true, durationSeconds: 0, ...overrides };
}

function circuit(overrides: Partial<Circuit>): Circuit {
  return {
    metricsKey: '0123456789abcdef',
    apiType: 'openai',
    baseUrl: 'https://api.example.com/v1',
    keyMask: 'sk-a…9xQ2',
    label: null,
    state: 'closed',
    consecutiveFailures: 0,
    openedAt: null,
    nextRetryAt: null,
    backoffLevel: 0,
    lastSuccessAt: null,
    lastFailureAt: null,
    updatedAt: null,
    ...overrides,
  };
}

function handlers(overrides: FakeHandlers = {}): FakeHandlers {
  return {
    getSummary: async () => summary(),
    listRuns: async () => [],
    listCircuits: async () => [],
    getHistory: async () => history([], 60),
    ...overrides,
  };
}

/** Lets the fake client's promises settle and Svelte apply them, at a frozen (fake) time. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('QuickView', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(NOW);
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('shows today’s totals, asking for today', async () => {
    const today = summary({ totals: totals({ requests: 2500, failures: 3, inputTokens: 1_000_000, outputTokens: 200_000, cost: { USD: 4.2 }, unpricedRequests: 7 }) });
    const fake = makeFakeClient(handlers({ getSummary: async () => today }));
    renderWithClient(fake, QuickView);
    await settle();
    expect(fake.callsOf('getSummary')[0]).toEqual({ range: 'today' });
    expect(screen.getByTestId('quick-requests').textContent).toBe('2,500');
    expect(screen.getByTestId('quick-tokens').textContent).toBe('1.2M');
    expect(screen.getByTestId('quick-failures').textContent).toBe('3');
    expect(screen.getByTestId('quick-cost').textContent).toContain('$4.20');
    expect(screen.getByTestId('quick-cost').textContent).toContain('+ 7 unpriced');
  });

  it('counts the runtime of running models live, second by second', async () => {
    const fake = makeFakeClient(
      handlers({ listRuns: async () => [run('Qwen3-Coder', NOW - 65_000), run('old-model', NOW - 9_000_000, { running: false, end: NOW - 8_000_000 })] }),
    );
    renderWithClient(fake, QuickView);
    await settle();
    const rows = screen.getAllByTestId('quick-running-row');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.textContent).toContain('Qwen3-Coder');
    expect(within(rows[0]!).getByTestId('runtime-counter').textContent?.trim()).toBe('0:01:05');
    await vi.advanceTimersByTimeAsync(3000);
    expect(within(rows[0]!).getByTestId('runtime-counter').textContent?.trim()).toBe('0:01:08');
    expect(fake.callsOf('listRuns').length).toBe(1);

    // Hidden, the counter stands still (nothing is redrawn); seen again, it shows the time at once.
    fake.setOnScreen(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(within(rows[0]!).getByTestId('runtime-counter').textContent?.trim()).toBe('0:01:08');
    fake.setOnScreen(true);
    await settle();
    expect(within(rows[0]!).getByTestId('runtime-counter').textContent?.trim()).toBe('0:02:08');
  });

  it('counts down to the next retry of channels that are not closed', async () => {
    const fake = makeFakeClient(
      handlers({
        listCircuits: async () => [
          circuit({ state: 'open', consecutiveFailures: 5, nextRetryAt: NOW + 30_000, label: 'OpenAI main' }),
          circuit({ metricsKey: 'fedcba9876543210', state: 'closed', label: 'healthy one' }),
        ],
      }),
    );
    renderWithClient(fake, QuickView);
    await settle();
    const rows = screen.getAllByTestId('quick-channel-row');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.textContent).toContain('OpenAI main');
    expect(rows[0]!.textContent).toContain('Open');
    expect(rows[0]!.textContent).toContain('5 consecutive failures');
    expect(screen.getByTestId('retry-countdown').textContent).toBe('retry in 30s');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(screen.getByTestId('retry-countdown').textContent).toBe('retry in 20s');
    await vi.advanceTimersByTimeAsync(21_000);
    expect(screen.getByTestId('retry-countdown').textContent).toBe('retry due');
  });

  it('reloads channels when a circuit changes', async () => {
    const fake = makeFakeClient(handlers({ listCircuits: async () => [circuit({ state: 'closed' })] }));
    renderWithClient(fake, QuickView);
    await settle();
    expect(screen.getByTestId('quick-channels-ok').textContent).toBe('All channels are closed (healthy).');
    fake.handle({ listCircuits: async () => [circuit({ state: 'half_open', consecutiveFailures: 2 })] });
    fake.emit({ type: 'circuits', metricsKey: '0123456789abcdef', apiType: 'openai', state: 'half_open' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(screen.getByTestId('quick-channel-row').textContent).toContain('Half-open');
  });

  it('reloads at most every 30 s while hidden, and catches up at once when it is shown again', async () => {
    const fake = makeFakeClient(handlers());
    renderWithClient(fake, QuickView);
    await settle();
    const count = () => ({ summary: fake.callsOf('getSummary').length, history: fake.callsOf('getHistory').length, circuits: fake.callsOf('listCircuits').length });
    const start = count();
    const traffic = async (seconds: number) => {
      for (let i = 0; i < seconds; i++) {
        fake.emit({ type: 'requests', count: 1, models: ['gpt-5-mini'] });
        await vi.advanceTimersByTimeAsync(1_000);
      }
    };

    // Hidden to the tray while traffic flows: one reload in the first 30 s since the last, at its end.
    fake.setOnScreen(false);
    await traffic(29);
    expect(count()).toEqual(start);
    await traffic(2);
    expect(count()).toEqual({ summary: start.summary + 1, history: start.history + 1, circuits: start.circuits });

    // Shown again 10 s later: what changed since is read at once; what did not (circuits) is not.
    await traffic(10);
    fake.setOnScreen(true);
    await settle();
    expect(count()).toEqual({ summary: start.summary + 2, history: start.history + 2, circuits: start.circuits });

    // Hidden with nothing happening, then shown: no reload at all.
    fake.setOnScreen(false);
    await vi.advanceTimersByTimeAsync(5_000);
    fake.setOnScreen(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(count()).toEqual({ summary: start.summary + 2, history: start.history + 2, circuits: start.circuits });
  });

  it('ranks today’s models by cost, unpriced ones after', async () => {
    const today = summary({
      totals: totals({ requests: 30, cost: { USD: 3 } }),
      models: [
        modelRow('cheap', { requests: 20, cost: { USD: 0.5 } }),
        modelRow('local', { requests: 50 }),
        modelRow('dear', { requests: 5, cost: { USD: 2.5 } }),
      ],
    });
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => today })), QuickView);
    await settle();
    const rows = screen.getAllByTestId('quick-top-row');
    expect(rows.map((row) => row.querySelector('a')?.textContent)).toEqual(['dear', 'cheap', 'local']);
    expect(rows[2]!.textContent).toContain('Unpriced');
  });

  it('never adds yuan to dollars to rank the top models: without rates it ranks within each currency and says so', async () => {
    const today = summary({
      totals: totals({ requests: 4, cost: { USD: 283, CNY: 473 } }),
      models: [
        modelRow('yuan-big', { requests: 1, cost: { CNY: 470 } }),
        modelRow('dollar-big', { requests: 1, cost: { USD: 278 } }),
        modelRow('dollar-small', { requests: 1, cost: { USD: 5 } }),
        modelRow('yuan-small', { requests: 1, cost: { CNY: 3 } }),
      ],
    });
    renderWithClient(makeFakeClient(handlers({ getSummary: async () => today })), QuickView);
    await settle();
    const rows = screen.getAllByTestId('quick-top-row');
    expect(rows.map((row) => row.querySelector('a')?.textContent)).toEqual(['yuan-big', 'yuan-small', 'dollar-big', 'dollar-small']);
    expect(screen.getByTestId('quick-top-by-currency').textContent).toContain('CNY, USD');
  });

  it('has a clear empty state for each part on a quiet day', async () => {
    renderWithClient(makeFakeClient(handlers()), QuickView);
    await settle();
    expect(screen.getByText('No model is running.')).toBeTruthy();
    expect(screen.getByText('No requests today yet.')).toBeTruthy();
    expect(screen.getByText('No channels reported yet.')).toBeTruthy();
    expect(screen.getByText('No requests in the last hour.')).toBeTruthy();
    expect(screen.getByTestId('quick-cost').textContent?.trim()).toBe('None yet');
  });

  it('charts the last hour by minute', async () => {
    const fake = makeFakeClient(handlers({ getHistory: async () => history([bucket(NOW - 120_000, undefined, { requests: 4 }), bucket(NOW - 60_000, undefined, { requests: 2 })], 60) }));
    renderWithClient(fake, QuickView);
    await settle();
    expect(fake.callsOf('getHistory')[0]).toEqual({ range: '1h', interval: 60 });
    expect(screen.getByTestId('quick-chart').textContent).toContain('Requests: 6');
  });

  it('opens the dashboard through the desktop host, or navigates in a browser', async () => {
    const desktop = makeFakeClient(handlers({ openDashboard: async () => undefined }), 'desktop');
    const view = renderWithClient(desktop, QuickView);
    await settle();
    await fireEvent.click(screen.getByTestId('open-dashboard'));
    expect(desktop.callsOf('openDashboard')).toEqual([{ route: 'overview' }]);
    view.unmount();

    location.hash = '#/quick';
    const browser = makeFakeClient(handlers(), 'browser');
    renderWithClient(browser, QuickView);
    await settle();
    await fireEvent.click(screen.getByTestId('open-dashboard'));
    expect(browser.callsOf('openDashboard')).toEqual([]);
    expect(location.hash).toBe('#/overview');
  });

  it('shows an error with a retry when today’s figures cannot be read', async () => {
    const fake = makeFakeClient(handlers({ getSummary: () => Promise.reject(new Error('disk I/O error')) }));
    renderWithClient(fake, QuickView);
    await settle();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Something went wrong: disk I/O error');
    fake.handle({ getSummary: async () => summary({ totals: totals({ requests: 9 }) }) });
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await settle();
    expect(screen.getByTestId('quick-requests').textContent).toBe('9');
  });
});
