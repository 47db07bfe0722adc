import { fireEvent, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestsQuery } from '../../../../shared/schemas/queries.js';
import type { RequestPage } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import { range } from '../../../../renderer/src/lib/state/range.svelte.js';
import Models from '../../../../renderer/src/views/Models.svelte';
import { flash } from '../../../../renderer/src/views/models/flash.svelte.js';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { circuit, installDialog, modelRow, requestRow, run, summaryOf } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const MODEL = 'Qwen3-Coder-30B';
const HOUR = 3_600_000;

/** A request log of `total` rows, newest first, paged like the service: the cursor is the last id. */
function pagedLog(total: number): (query: RequestsQuery) => Promise<RequestPage> {
  const all = Array.from({ length: total }, (_, i) => requestRow(String(total - i), NOW - i * 60_000, { model: MODEL }));
  return async (query) => {
    const start = query.before === undefined ? 0 : all.findIndex((row) => Number(row.id) < Number(query.before));
    const limit = Number(query.limit ?? 100);
    const requests = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return { requests, nextBefore: more ? requests.at(-1)!.id : null };
  };
}

function handlers(overrides: FakeHandlers = {}): FakeHandlers {
  return {
    getSummary: async () =>
      summaryOf([modelRow(MODEL, { requests: 120, failures: 6, runtimeSeconds: 5400, running: true, pricingMethod: 'hourly', cost: { CNY: 5.25 } })], NOW - 24 * HOUR, NOW),
    listRuns: async () => [run(1, MODEL, NOW - 6 * HOUR, NOW - 5 * HOUR), run(2, MODEL, NOW - 30 * 60_000, null)],
    listRequests: pagedLog(120),
    ...overrides,
  };
}

describe('Model detail', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    localStorage.clear();
    range.set({ preset: '24h' });
    flash.deleted = null;
    installDialog();
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows the figures of the range, the live runtime of the running run, and the runs', async () => {
    const client = makeFakeClient(handlers());
    renderWithClient(client, Models, { model: MODEL });
    const figures = await screen.findByTestId('model-figures');
    expect(within(figures).getByText('120')).toBeTruthy();
    expect(within(figures).getByText('95%')).toBeTruthy();
    expect(within(figures).getByText('CN¥5.25')).toBeTruthy();
    expect((await screen.findByTestId('model-running')).textContent).toContain('Running for 0:30:00');
    vi.advanceTimersByTime(5000);
    await vi.waitFor(() => expect(screen.getByTestId('model-running').textContent).toContain('Running for 0:30:05'));

    expect(client.callsOf('listRuns')).toEqual([{ model: MODEL, from: NOW - 24 * HOUR, to: NOW, limit: 200 }]);
    expect(screen.getAllByTestId('runs-bar')).toHaveLength(2);
    const runRows = screen.getAllByTestId('run-row');
    expect(within(runRows[0]!).getByText('Running')).toBeTruthy();
    expect(within(runRows[1]!).getByText('1h')).toBeTruthy();
    expect(screen.getByTestId('model-pricing-link').getAttribute('href')).toBe(`#/pricing/${MODEL}`);
  });

  it('pages the request log with the nextBefore cursor, newest first', async () => {
    const client = makeFakeClient(handlers());
    renderWithClient(client, Models, { model: MODEL });
    await vi.waitFor(() => expect(screen.getAllByTestId('request-row')).toHaveLength(50));
    expect(client.callsOf('listRequests')[0]).toEqual({ model: MODEL, from: NOW - 24 * HOUR, to: NOW, limit: 50 });

    await fireEvent.click(screen.getByTestId('request-log-more'));
    await vi.waitFor(() => expect(screen.getAllByTestId('request-row')).toHaveLength(100));
    expect(client.callsOf('listRequests')[1]).toEqual({ model: MODEL, from: NOW - 24 * HOUR, to: NOW, limit: 50, before: '71' });

    await fireEvent.click(screen.getByTestId('request-log-more'));
    await vi.waitFor(() => expect(screen.getAllByTestId('request-row')).toHaveLength(120));
    expect(client.callsOf('listRequests')[2]?.before).toBe('21');
    expect(screen.queryByTestId('request-log-more')).toBeNull();
    expect(screen.getByText('No older requests in this range.')).toBeTruthy();
  });

  it('shows a failed request with its class and status code, and an unpriced one as Unpriced', async () => {
    const rows = [
      requestRow('2', NOW, { model: MODEL, success: false, failureClass: 'overloaded', statusCode: 529, cost: null, currency: null }),
      requestRow('1', NOW - 1000, { model: MODEL, project: '/home/me/src/shop', branch: 'main' }),
    ];
    renderWithClient(makeFakeClient(handlers({ listRequests: async () => ({ requests: rows, nextBefore: null }) })), Models, { model: MODEL });
    await vi.waitFor(() => expect(screen.getAllByTestId('request-row')).toHaveLength(2));
    const [failed, ok] = screen.getAllByTestId('request-row');
    expect(within(failed!).getByText('Overloaded')).toBeTruthy();
    expect(within(failed!).getByText('529')).toBeTruthy();
    expect(within(failed!).getByText('Unpriced')).toBeTruthy();
    expect(within(ok!).getByText('OK')).toBeTruthy();
    expect(within(ok!).getByText('a1b2c3d4')).toBeTruthy();
    // The project column: the folder's name, its full path (and branch) on hover.
    expect(within(ok!).getByTestId('request-project').textContent).toBe('shop');
    expect(within(ok!).getByTestId('request-project').title).toBe('/home/me/src/shop (main)');
    expect(within(failed!).queryByTestId('request-project')).toBeNull();
  });

  it('deletes the model only after confirmation, then reports the counts on the list', async () => {
    const client = makeFakeClient(handlers({ deleteModel: async ({ model }) => ({ model, requests: 120, runs: 2, priceVersions: 1 }) }));
    renderWithClient(client, Models, { model: MODEL });
    await screen.findByTestId('model-figures');

    await fireEvent.click(screen.getByTestId('model-delete'));
    const body = screen.getByTestId('model-delete-body');
    expect(body.closest('dialog')?.open).toBe(true);
    expect(body.textContent).toContain('every request record');
    expect(body.textContent).toContain('every run');
    expect(body.textContent).toContain('every price version');
    expect(client.callsOf('deleteModel')).toEqual([]);

    await fireEvent.click(within(body.closest('dialog')!).getByRole('button', { name: 'Cancel' }));
    expect(body.closest('dialog')?.open).toBe(false);
    expect(client.callsOf('deleteModel')).toEqual([]);

    await fireEvent.click(screen.getByTestId('model-delete'));
    await fireEvent.click(within(body.closest('dialog')!).getByRole('button', { name: 'Delete all of it' }));
    await vi.waitFor(() => expect(location.hash).toBe('#/models'));
    expect(client.callsOf('deleteModel')).toEqual([{ model: MODEL }]);
    expect(flash.deleted).toEqual({ model: MODEL, requests: 120, runs: 2, priceVersions: 1 });
  });

  it('shows how far deleting this model has come in the question, not another model’s, then goes', async () => {
    let answer!: (removed: { model: string; requests: number; runs: number; priceVersions: number }) => void;
    const client = makeFakeClient(handlers({ deleteModel: () => new Promise((resolve) => (answer = resolve)) }));
    renderWithClient(client, Models, { model: MODEL });
    await screen.findByTestId('model-figures');
    await fireEvent.click(screen.getByTestId('model-delete'));
    const dialog = screen.getByTestId('model-delete-body').closest('dialog')!;
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Delete all of it' }));

    const text = () => within(dialog).getByTestId('model-delete-progress-text').textContent?.trim();
    expect(text()).toBe(`Deleting ${MODEL}…`);
    client.emit({ type: 'progress', progress: { task: 'delete-model', model: 'gpt-5-mini', done: 9, total: 10 } });
    await tick();
    expect(text()).toBe(`Deleting ${MODEL}…`);
    client.emit({ type: 'progress', progress: { task: 'delete-model', model: MODEL, done: 1, total: 4 } });
    await vi.waitFor(() => expect(text()).toBe(`Deleting ${MODEL}… 25%`));

    answer({ model: MODEL, requests: 120, runs: 2, priceVersions: 1 });
    await vi.waitFor(() => expect(screen.queryByTestId('model-delete-progress')).toBeNull());
    expect(location.hash).toBe('#/models');
  });

  it('has clear empty states for a model without runs or requests in the range', async () => {
    const client = makeFakeClient(
      handlers({ getSummary: async () => summaryOf([]), listRuns: async () => [], listRequests: async () => ({ requests: [], nextBefore: null }) }),
    );
    renderWithClient(client, Models, { model: MODEL });
    await screen.findByTestId('model-no-activity');
    await screen.findByText('No runs of this model in this range.');
    await screen.findByText('No requests of this model in this range.');
    expect(screen.getByTestId('model-running').textContent).toBe('Not running');
  });

  it('says "Billed by the hour" for a request of an hourly model, not a cost of 0, and shows the hourly rate', async () => {
    const rows = [requestRow('1', NOW, { model: MODEL, cost: 0, currency: 'CNY' })];
    const client = makeFakeClient(
      handlers({
        listRequests: async () => ({ requests: rows, nextBefore: null }),
        getPricing: async () => ({
          model: MODEL,
          versions: [{ id: 1, model: MODEL, effectiveFrom: 0, effectiveTo: null, method: 'hourly', currency: 'CNY', hourly: 2.8, tiers: null, createdAt: 0 }],
        }),
      }),
    );
    renderWithClient(client, Models, { model: MODEL });
    const [row] = await screen.findAllByTestId('request-row');
    expect(within(row!).getByTestId('request-hourly').textContent).toBe('Billed by the hour');
    expect(row!.textContent).not.toContain('CN¥0.00');
    await vi.waitFor(() => expect(screen.getByTestId('model-hourly-rate').textContent).toContain('CN¥2.80 per hour'));
  });

  it('names a request’s channel by its label and route, with the hash in the tooltip, and a 429 as Rate limited', async () => {
    const KEY = 'a1b2c3d4e5f60718';
    const rows = [requestRow('2', NOW, { model: MODEL, success: false, failureClass: 'retryable', statusCode: 429, channel: KEY }), requestRow('1', NOW - 1000, { model: MODEL, channel: 'ffffeeeeddddcccc' })];
    const client = makeFakeClient(
      handlers({
        listRequests: async () => ({ requests: rows, nextBefore: null }),
        listCircuits: async () => [circuit(KEY, { label: 'OpenAI relay' })],
        listRoutes: async () => [
          {
            name: 'coding',
            protocol: 'openai',
            includeUsage: true,
            timeoutSeconds: 60,
            enabled: true,
            path: '/r/coding',
            channels: [{ id: 'c1', baseUrl: 'https://relay.example.net/v1', label: null, hasKey: true, keyMask: 'sk-…aa', metricsKey: KEY }],
          },
        ],
      }),
    );
    renderWithClient(client, Models, { model: MODEL });
    const [limited, plain] = await screen.findAllByTestId('request-row');
    expect(within(limited!).getByText('Rate limited')).toBeTruthy();
    expect(within(limited!).queryByText('Retryable')).toBeNull();
    await vi.waitFor(() => expect(within(limited!).getByTestId('request-channel').textContent).toBe('OpenAI relay'));
    expect(within(limited!).getByTestId('request-channel').getAttribute('title')).toBe(`${KEY} · openai`);
    expect(within(limited!).getByText('route coding')).toBeTruthy();
    // A channel nobody named keeps its short hash.
    expect(within(plain!).getByTestId('request-channel').textContent).toBe('ffffeeee');
  });

  it('says a model that does not exist does not, with nothing to delete', async () => {
    const client = makeFakeClient(
      handlers({
        getSummary: async () => summaryOf([modelRow('gpt-5-mini', { requests: 3 })]),
        listPricing: async () => [],
        listRuns: async () => [],
        listRequests: async () => ({ requests: [], nextBefore: null }),
      }),
    );
    renderWithClient(client, Models, { model: 'no-such-model' });
    await screen.findByText('No model named no-such-model');
    expect(screen.queryByTestId('model-delete')).toBeNull();
    expect(screen.getByTestId('model-back')).toBeTruthy();
  });

  it('keeps the page of a model that exists but had nothing in this range', async () => {
    const client = makeFakeClient(
      handlers({
        getSummary: async (query) => summaryOf(query.from === 0 ? [modelRow(MODEL, { requests: 9 })] : []),
        listPricing: async () => [],
        listRuns: async () => [],
        listRequests: async () => ({ requests: [], nextBefore: null }),
      }),
    );
    renderWithClient(client, Models, { model: MODEL });
    await screen.findByTestId('model-no-activity');
    await vi.waitFor(() => expect(client.callsOf('listPricing')).toHaveLength(1));
    expect(screen.queryByText(`No model named ${MODEL}`)).toBeNull();
    expect(screen.getByTestId('model-delete')).toBeTruthy();
  });
});
