import { fireEvent, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { Circuit, History } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import Channels from '../../../../renderer/src/views/Channels.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { circuit, circuitEvent, installDialog } from '../models/fixtures.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const A = 'a1b2c3d4e5f60718';
const B = '0f1e2d3c4b5a6978';
const C = 'c0ffee0011223344';

const circuits: Circuit[] = [
  circuit(A, { label: 'OpenAI primary', keyMask: 'sk-a…9xQ2', lastSuccessAt: NOW - 5 * 60_000 }),
  circuit(B, { apiType: 'anthropic', baseUrl: 'https://api.anthropic.com', state: 'open', consecutiveFailures: 7, nextRetryAt: NOW + 30_000, lastFailureAt: NOW - 10_000 }),
  circuit(C, { apiType: 'gemini', state: 'half_open', consecutiveFailures: 5 }),
];

/**
 * The last 24 hours split by channel, as the server answers groupBy=channel: two day buckets per
 * channel (each holding half its figures), a row for requests through no channel, and B's key under
 * another API type: neither of those two is any listed channel's.
 */
function history(rates: Record<string, [requests: number, failures: number]>): History {
  const totals = { unpricedRequests: 0, runtimeSeconds: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: {} };
  const rows = [
    ...circuits.map((c) => ({ metricsKey: c.metricsKey, apiType: c.apiType, rate: rates[c.metricsKey] ?? [0, 0] })),
    { metricsKey: null, apiType: null, rate: [90, 90] },
    { metricsKey: B, apiType: 'openai', rate: [90, 90] },
  ];
  const buckets = [NOW - 86_400_000, NOW - 3_600_000].flatMap((ts) =>
    rows.map(({ metricsKey, apiType, rate }) => ({ ts, metricsKey, apiType, requests: rate[0]! / 2, failures: rate[1]! / 2, ...totals })),
  );
  return { from: NOW - 86_400_000, to: NOW, interval: 86_400, buckets };
}

function handlers(overrides: FakeHandlers = {}): FakeHandlers {
  return {
    listCircuits: async () => circuits,
    getHistory: async () => history({ [A]: [100, 0], [B]: [20, 8] }),
    ...overrides,
  };
}

function rowOf(metricsKey: string): HTMLElement {
  return screen.getAllByTestId('channel-row').find((row) => row.dataset['metricsKey'] === metricsKey)!;
}

describe('Channels', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows each channel with its state badge, failures and failure rate over 24 hours', async () => {
    const client = makeFakeClient(handlers());
    renderWithClient(client, Channels);
    await screen.findByTestId('channels-table');
    const states = screen.getAllByTestId('channel-state').map((badge) => [badge.textContent, badge.className.match(/\b(ok|warn|bad)\b/)?.[1]]);
    expect(states).toEqual([
      ['Open', 'bad'],
      ['Half-open', 'warn'],
      ['Closed', 'ok'],
    ]);
    expect(within(rowOf(A)).getByText('OpenAI primary')).toBeTruthy();
    expect(within(rowOf(A)).getByText('sk-a…9xQ2')).toBeTruthy();
    expect(within(rowOf(B)).getByText('https://api.anthropic.com')).toBeTruthy();
    expect(within(rowOf(B)).getByText('7')).toBeTruthy();
    await vi.waitFor(() => expect(within(rowOf(B)).getByTestId('channel-failure-rate').textContent?.trim()).toBe('40%'));
    expect(within(rowOf(A)).getByTestId('channel-failure-rate').textContent?.trim()).toBe('0%');
    // One call for every channel, not one each.
    expect(client.callsOf('getHistory')).toEqual([{ range: '24h', interval: 86_400, groupBy: 'channel' }]);
    expect(within(rowOf(C)).getByTestId('channel-failure-rate').textContent?.trim()).toBe('–');
    expect(within(rowOf(A)).getByTestId('channel-retry').textContent?.trim()).toBe('');
  });

  it('lists channels with problems first: open, then half-open, then closed', async () => {
    renderWithClient(makeFakeClient(handlers()), Channels);
    await screen.findByTestId('channels-table');
    expect(screen.getAllByTestId('channel-row').map((row) => row.dataset['metricsKey'])).toEqual([B, C, A]);
  });

  it('still lists every channel when their usage cannot be read, with "?" and the reason for the rate', async () => {
    renderWithClient(makeFakeClient(handlers({ getHistory: async () => Promise.reject(new ApiError('unavailable', 'the ledger is busy')) })), Channels);
    await screen.findByTestId('channels-table');
    await vi.waitFor(() => expect(within(rowOf(A)).getByTestId('channel-failure-rate').textContent?.trim()).toBe('?'));
    for (const key of [A, B, C]) expect(within(rowOf(key)).getByTestId('channel-failure-rate').querySelector('span')?.title).toBe('the ledger is busy');
  });

  it('colours the failure rate by threshold, not red for any failure', async () => {
    const rates: Record<string, [number, number]> = { [A]: [100, 2], [B]: [10, 4], [C]: [100, 8] };
    renderWithClient(makeFakeClient(handlers({ getHistory: async () => history(rates) })), Channels);
    await screen.findByTestId('channels-table');
    const tone = (key: string) => within(rowOf(key)).getByTestId('channel-failure-rate').querySelector('span')?.className ?? '';
    await vi.waitFor(() => expect(within(rowOf(A)).getByTestId('channel-failure-rate').textContent?.trim()).toBe('2%'));
    expect(tone(A)).toMatch(/\bok\b/);
    expect(tone(C)).toMatch(/\bwarn\b/);
    expect(tone(B)).toMatch(/\bbad\b/);
  });

  it('offers Reset only where it changes something, and Delete only from a menu', async () => {
    renderWithClient(makeFakeClient(handlers()), Channels);
    await screen.findByTestId('channels-table');
    expect(within(rowOf(A)).queryByTestId('channel-reset')).toBeNull();
    expect(within(rowOf(B)).getByTestId('channel-reset')).toBeTruthy();
    expect(within(rowOf(C)).getByTestId('channel-reset')).toBeTruthy();
    const menu = within(rowOf(A)).getByTestId('channel-menu').closest('details')!;
    expect(menu.open).toBe(false);
    expect(menu.contains(within(rowOf(A)).getByTestId('channel-delete'))).toBe(true);
  });

  it('zooms the state timeline to where the transitions are, so a short open days ago is visible', async () => {
    const DAY = 86_400_000;
    const events = [
      circuitEvent(1, NOW - 3 * DAY, null, 'closed'),
      circuitEvent(2, NOW - 2 * DAY, 'closed', 'open', '5 consecutive failures'),
      circuitEvent(3, NOW - 2 * DAY + 25 * 60_000, 'open', 'closed', 'probe succeeded'),
    ];
    renderWithClient(makeFakeClient(handlers({ listCircuitEvents: async () => events })), Channels);
    await screen.findByTestId('channels-table');
    await fireEvent.click(within(rowOf(A)).getByTestId('channel-timeline-toggle'));
    await vi.waitFor(() => expect(screen.getAllByTestId('timeline-segment').length).toBeGreaterThan(0));
    const open = screen.getAllByTestId('timeline-segment').find((segment) => segment.dataset['state'] === 'open')!;
    expect(parseFloat(open.style.width)).toBeGreaterThan(30);
  });

  it('counts down to the next retry of an open circuit', async () => {
    renderWithClient(makeFakeClient(handlers()), Channels);
    await screen.findByTestId('channels-table');
    const retry = () => within(rowOf(B)).getByTestId('channel-retry').textContent?.trim();
    expect(retry()).toBe('retry in 30s');
    vi.advanceTimersByTime(5000);
    await vi.waitFor(() => expect(retry()).toBe('retry in 25s'));
    vi.advanceTimersByTime(26_000);
    await vi.waitFor(() => expect(retry()).toBe('due now'));
  });

  it('resets a circuit by its metricsKey and apiType, shows the new state, and follows later circuit events', async () => {
    const closed = { ...circuits[1]!, state: 'closed' as const, consecutiveFailures: 0, nextRetryAt: null };
    const client = makeFakeClient(handlers({ resetCircuit: async () => closed }));
    renderWithClient(client, Channels);
    await screen.findByTestId('channels-table');

    await fireEvent.click(within(rowOf(B)).getByTestId('channel-reset'));
    await vi.waitFor(() => expect(within(rowOf(B)).getByTestId('channel-state').textContent).toBe('Closed'));
    expect(client.callsOf('resetCircuit')).toEqual([{ metricsKey: B, apiType: 'anthropic' }]);
    expect(screen.getByTestId('channels-notice').textContent).toContain('now Closed');
    // The Reset button is gone now that the circuit is closed: focus is on the notice, not lost.
    expect(within(rowOf(B)).queryByTestId('channel-reset')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('channels-notice'));

    client.handle({ listCircuits: async () => circuits.map((item) => (item.metricsKey === B ? { ...closed, state: 'half_open' as const } : item)) });
    client.emit({ type: 'circuits', metricsKey: B, apiType: 'anthropic', state: 'half_open' });
    await vi.waitFor(() => expect(within(rowOf(B)).getByTestId('channel-state').textContent).toBe('Half-open'), { timeout: 2000 });
  });

  it('deletes a channel’s data only after confirmation', async () => {
    const client = makeFakeClient(handlers({ deleteChannels: async () => ({ requests: 42, circuits: 1, circuitEvents: 3 }) }));
    renderWithClient(client, Channels);
    await screen.findByTestId('channels-table');
    await fireEvent.click(within(rowOf(B)).getByTestId('channel-delete'));
    const body = screen.getByTestId('channel-delete-body');
    expect(body.closest('dialog')?.open).toBe(true);
    expect(body.textContent).toContain(B);
    expect(client.callsOf('deleteChannels')).toEqual([]);

    await fireEvent.click(within(body.closest('dialog')!).getByRole('button', { name: 'Delete channel data' }));
    await vi.waitFor(() => expect(screen.getByTestId('channels-notice').textContent).toContain('42 requests'));
    expect(client.callsOf('deleteChannels')).toEqual([{ metricsKeys: [B], apiType: 'anthropic' }]);
    expect(screen.getAllByTestId('channel-row').map((row) => row.dataset['metricsKey'])).toEqual([C, A]);
  });

  it('shows how far deleting the channel has come in the question, not another channel’s, then goes', async () => {
    let answer!: (removed: { requests: number; circuits: number; circuitEvents: number }) => void;
    const client = makeFakeClient(handlers({ deleteChannels: () => new Promise((resolve) => (answer = resolve)) }));
    renderWithClient(client, Channels);
    await screen.findByTestId('channels-table');
    await fireEvent.click(within(rowOf(B)).getByTestId('channel-delete'));
    const dialog = screen.getByTestId('channel-delete-body').closest('dialog')!;
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Delete channel data' }));

    const text = () => within(dialog).getByTestId('channel-delete-progress-text').textContent?.trim();
    const bar = () => within(dialog).getByTestId('channel-delete-progress').querySelector('progress')!;
    expect(text()).toBe('Deleting the channel’s data…');
    expect(bar().hasAttribute('value')).toBe(false);

    client.emit({ type: 'progress', progress: { task: 'delete-channels', metricsKeys: [A, C], done: 3, total: 4 } });
    client.emit({ type: 'progress', progress: { task: 'delete-model', model: 'gpt-5-mini', done: 3, total: 4 } });
    await tick();
    expect(text()).toBe('Deleting the channel’s data…');

    client.emit({ type: 'progress', progress: { task: 'delete-channels', metricsKeys: [B], done: 2, total: 5 } });
    await vi.waitFor(() => expect(text()).toBe('Deleting the channel’s data… 40%'));
    expect([bar().value, bar().max]).toEqual([2, 5]);

    answer({ requests: 42, circuits: 1, circuitEvents: 3 });
    await vi.waitFor(() => expect(screen.getByTestId('channels-notice').textContent).toContain('42 requests'));
    expect(screen.queryByTestId('channel-delete-progress')).toBeNull();
  });

  it('expands a channel into its state timeline and list of transitions', async () => {
    const events = [
      circuitEvent(1, NOW - 4 * 3_600_000, null, 'closed'),
      circuitEvent(2, NOW - 3 * 3_600_000, 'closed', 'open', '5 consecutive failures'),
      circuitEvent(3, NOW - 2 * 3_600_000, 'open', 'half_open', 'retry time reached'),
      circuitEvent(4, NOW - 1 * 3_600_000, 'half_open', 'closed', 'probe succeeded'),
    ];
    const client = makeFakeClient(handlers({ listCircuitEvents: async () => events }));
    renderWithClient(client, Channels);
    await screen.findByTestId('channels-table');
    const toggle = within(rowOf(A)).getByTestId('channel-timeline-toggle');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');

    await vi.waitFor(() => expect(screen.getAllByTestId('transition-row')).toHaveLength(4));
    expect(client.callsOf('listCircuitEvents')).toEqual([{ metricsKey: A, apiType: 'openai' }]);
    const segments = screen.getAllByTestId('timeline-segment');
    expect(segments.map((segment) => segment.dataset['state'])).toEqual(['closed', 'open', 'half_open', 'closed']);
    // Zoomed to the trouble (3 h to 1 h ago) with 15 % of it either side: 18 + 60 + 60 + 18 minutes.
    expect(segments.map((segment) => Number(parseFloat(segment.style.width).toFixed(2)))).toEqual([11.54, 38.46, 38.46, 11.54]);
    const newest = screen.getAllByTestId('transition-row')[0]!;
    expect(newest.textContent).toContain('Half-open');
    expect(newest.textContent).toContain('probe succeeded');
  });

  it('explains where channels come from when there are none, in English and Chinese', async () => {
    renderWithClient(makeFakeClient(handlers({ listCircuits: async () => [] })), Channels);
    await screen.findByText('No channels yet');
    expect(screen.getByText(/PUT \/api\/v1\/circuits/).textContent).toContain('metering proxy');
    i18n.choice = 'zh-CN';
    await screen.findByText('还没有渠道');
    expect(screen.getByText(/PUT \/api\/v1\/circuits/).textContent).toContain('计量代理');
  });
});
