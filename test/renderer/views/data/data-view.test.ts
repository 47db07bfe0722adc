import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { tick } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import Data from '../../../../renderer/src/views/Data.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { appInfo, installDialog, SETTINGS, STORAGE, summaryWith } from '../pricing/support.js';
import { pending, progressBar, progressText } from '../../support/pending.js';

function setup(more: FakeHandlers = {}) {
  const client = makeFakeClient({
    getStorageInfo: async () => STORAGE,
    getSettings: async () => SETTINGS,
    getSummary: async () => summaryWith(['gpt-5-mini', 'llama-3-8b']),
    listPricing: async () => [{ model: 'claude-sonnet-4.5', versions: [] }],
    getAppInfo: async () => appInfo(),
    ...more,
  });
  renderWithClient(client, Data);
  return { client, user: userEvent.setup() };
}

describe('the Data view', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  it('shows the storage facts', async () => {
    setup();
    expect((await screen.findByTestId('data-size')).textContent).toContain('5 MB');
    expect(screen.getByTestId('data-total-requests').textContent).toContain('12,345');
  });

  it('cleans up only after a permanent-delete question that says how many rows will go, then says how many went', async () => {
    const { client, user } = setup({
      previewCleanup: async ({ before }) => ({ before: Number(before), requests: 1_234 }),
      cleanup: async ({ before }) => ({ before: Number(before), requests: 1_234 }),
    });
    const day = screen.getByTestId('data-cleanup-before');
    await user.type(day, '2026-01-15');
    await user.click(screen.getByTestId('data-cleanup-button'));

    const question = await screen.findByTestId('data-cleanup-confirm');
    expect(question.textContent).toContain('deleted permanently');
    expect(question.textContent).toContain('cannot be undone');
    expect(screen.getByTestId('data-cleanup-count').textContent).toBe('1,234 request rows will be removed.');
    expect(client.callsOf('previewCleanup')).toEqual([{ before: new Date(2026, 0, 15).getTime() }]);
    expect(client.callsOf('cleanup')).toHaveLength(0);

    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete permanently' }));
    const result = await screen.findByTestId('data-cleanup-result');
    // The day picked is a local day: the cut is at its local midnight.
    expect(client.callsOf('cleanup')).toEqual([{ before: new Date(2026, 0, 15).getTime() }]);
    expect(result.textContent).toContain('1,234 request rows');
  });

  it('asks for a day before cleaning up', async () => {
    const { client, user } = setup();
    await user.click(screen.getByTestId('data-cleanup-button'));
    expect(screen.getByText('Pick a day')).toBeTruthy();
    expect(screen.queryByTestId('data-cleanup-confirm')).toBeNull();
    expect(client.callsOf('cleanup')).toHaveLength(0);
  });

  it('deletes a model’s data after saying it is permanent, and shows what was removed', async () => {
    const { client, user } = setup({ deleteModel: async ({ model }) => ({ model, requests: 300, runs: 4, priceVersions: 1 }) });
    const select = (await screen.findByTestId('data-delete-select')) as HTMLSelectElement;
    // Models with requests and models with only a price are both offered.
    await waitFor(() => expect([...select.options].map((option) => option.value)).toEqual(['', 'claude-sonnet-4.5', 'gpt-5-mini', 'llama-3-8b']));
    await user.selectOptions(select, 'llama-3-8b');
    await user.click(screen.getByTestId('data-delete-button'));

    expect(screen.getByTestId('data-delete-confirm').textContent).toContain('llama-3-8b are deleted permanently. This cannot be undone');
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete permanently' }));
    const result = await screen.findByTestId('data-delete-result');
    expect(client.callsOf('deleteModel')).toEqual([{ model: 'llama-3-8b' }]);
    expect(result.textContent).toBe('Deleted llama-3-8b. Requests: 300, runs: 4, price versions: 1.');
  });

  it('saves the retention period and refuses one the schema refuses', async () => {
    const { client, user } = setup({
      updateSettings: async (patch) => ({ ...SETTINGS, ...patch }) as typeof SETTINGS,
      previewCleanup: async () => ({ before: Date.UTC(2026, 0, 1), requests: 0 }),
    });
    const days = (await screen.findByTestId('data-retention-days')) as HTMLInputElement;
    await waitFor(() => expect(days.value).toBe('90'));
    await user.clear(days);
    await user.type(days, '0');
    await user.click(screen.getByTestId('data-retention-save'));
    expect(screen.getByText('At least 1')).toBeTruthy();
    expect(client.callsOf('updateSettings')).toHaveLength(0);

    await user.clear(days);
    await user.type(days, '30');
    await user.click(screen.getByTestId('data-retention-save'));
    await screen.findByText('Saved');
    expect(client.callsOf('updateSettings')).toEqual([{ retentionDays: 30 }]);
  });

  it('asks before a shorter retention removes rows, with how many, and saves only when confirmed', async () => {
    const { client, user } = setup({
      updateSettings: async (patch) => ({ ...SETTINGS, ...patch }) as typeof SETTINGS,
      previewCleanup: async () => ({ before: new Date(2026, 0, 10).getTime(), requests: 4_321 }),
    });
    const days = (await screen.findByTestId('data-retention-days')) as HTMLInputElement;
    await waitFor(() => expect(days.value).toBe('90'));
    await user.clear(days);
    await user.type(days, '7');
    await user.click(screen.getByTestId('data-retention-save'));

    const question = await screen.findByTestId('data-retention-confirm');
    expect(client.callsOf('previewCleanup')).toEqual([{ retentionDays: 7 }]);
    expect(question.textContent).toContain('Keeping 7 days removes 4,321 request rows from before Jan 10, 2026');
    expect(client.callsOf('updateSettings')).toHaveLength(0);

    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Save and remove' }));
    await screen.findByText('Saved');
    expect(client.callsOf('updateSettings')).toEqual([{ retentionDays: 7 }]);
  });

  it('shows when the last cleanup ran and what it removed', async () => {
    const at = new Date(2026, 0, 31, 9, 5).getTime();
    setup({ getStorageInfo: async () => ({ ...STORAGE, lastCleanup: { at, trigger: 'retention', before: new Date(2026, 0, 1).getTime(), requests: 2_500 } }) });
    await waitFor(() => expect(screen.getByTestId('data-last-cleanup').textContent).toContain('2,500 request rows from before Jan 1, 2026 removed'));
    expect(screen.getByTestId('data-last-cleanup').textContent).toContain('(retention)');
    expect(screen.getByTestId('data-last-cleanup').textContent).toContain('Jan 31, 2026');
  });

  it('downloads an export and shows the file name', async () => {
    const { client, user } = setup({ saveExport: async ({ format }) => ({ file: `modelmeter-requests.${format}` }) });
    await user.selectOptions(screen.getByTestId('data-export-format'), 'json');
    await user.click(screen.getByTestId('data-export-button'));
    expect((await screen.findByTestId('data-export-result')).textContent).toBe('Saved as modelmeter-requests.json');
    expect(client.callsOf('saveExport')).toEqual([{ format: 'json' }]);
  });

  it('exports one project: the folder name is offered, the full path is sent', async () => {
    const summary = summaryWith(['gpt-5-mini']);
    const row = { requests: 1, failures: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: [] };
    const { client, user } = setup({
      getSummary: async () => ({ ...summary, byProject: [{ ...row, project: '/home/me/src/shop', name: 'shop' }, { ...row, project: null, name: '' }] }),
      saveExport: async ({ format }) => ({ file: `modelmeter-requests.${format}` }),
    });
    const select = await screen.findByTestId('data-export-project');
    expect([...select.querySelectorAll('option')].map((option) => option.textContent)).toEqual(['All projects', 'shop']);
    await user.selectOptions(select, '/home/me/src/shop');
    await user.click(screen.getByTestId('data-export-button'));
    await screen.findByTestId('data-export-result');
    expect(client.callsOf('saveExport')).toEqual([{ format: 'csv', project: '/home/me/src/shop' }]);
  });

  describe('export progress', () => {
    /** A save that runs until the test ends it, as a month's export does for a minute or more. */
    function pendingExport() {
      let finish: ((file: string | null) => void) | undefined;
      const saveExport = () => new Promise<{ file: string | null }>((resolve) => (finish = (file) => resolve({ file })));
      return { saveExport, finish: (file: string | null) => finish?.(file) };
    }

    it('shows the requests saved out of the total and the size while saving, then only the result', async () => {
      const save = pendingExport();
      const { client, user } = setup({ saveExport: save.saveExport });
      await user.click(screen.getByTestId('data-export-button'));

      expect(progressText('data-export-progress')).toBe('Preparing the export…');
      expect(progressBar('data-export-progress').hasAttribute('value')).toBe(false);
      client.emit({ type: 'export', progress: { requests: 12_345, total: 1_000_000, bytes: 47_395_635 } });
      await waitFor(() => expect(progressText('data-export-progress')).toBe('12,345 of 1,000,000 requests · 45.2 MB'));
      expect([progressBar('data-export-progress').value, progressBar('data-export-progress').max]).toEqual([12_345, 1_000_000]);
      client.emit({ type: 'export', progress: { requests: 1_000_000, total: 1_000_000, bytes: 3_900_000_000 } });
      await waitFor(() => expect(progressText('data-export-progress')).toBe('1,000,000 of 1,000,000 requests · 3.6 GB'));

      save.finish('modelmeter-requests.csv');
      expect((await screen.findByTestId('data-export-result')).textContent).toBe('Saved as modelmeter-requests.csv');
      expect(screen.queryByTestId('data-export-progress')).toBeNull();
      expect(screen.queryByTestId('data-export-cancel')).toBeNull();
    });

    it('counts without "of" and keeps the bar indeterminate when the total is unknown', async () => {
      const save = pendingExport();
      const { client, user } = setup({ saveExport: save.saveExport });
      await user.click(screen.getByTestId('data-export-button'));
      client.emit({ type: 'export', progress: { requests: 12_345, total: null, bytes: 1_536 } });
      await waitFor(() => expect(progressText('data-export-progress')).toBe('12,345 requests · 1.5 KB'));
      expect(progressBar('data-export-progress').hasAttribute('value')).toBe(false);
      save.finish('modelmeter-requests.csv');
      await screen.findByTestId('data-export-result');
    });

    it('says it in Chinese', async () => {
      i18n.choice = 'zh-CN';
      const save = pendingExport();
      const { client, user } = setup({ saveExport: save.saveExport });
      await user.click(screen.getByTestId('data-export-button'));
      expect(progressText('data-export-progress')).toBe('正在准备导出…');
      client.emit({ type: 'export', progress: { requests: 12_345, total: 1_000_000, bytes: 47_395_635 } });
      await waitFor(() => expect(progressText('data-export-progress')).toBe('已导出 12,345 / 1,000,000 个请求 · 45.2 MB'));
      expect(screen.getByTestId('data-export-cancel').textContent).toBe('取消');
      save.finish('modelmeter-requests.csv');
      await screen.findByTestId('data-export-result');
    });

    it('cancels: Cancel asks for cancelExport, and the save ending without a file says the export was cancelled', async () => {
      const save = pendingExport();
      const { client, user } = setup({
        saveExport: save.saveExport,
        cancelExport: async () => {
          save.finish(null);
          return { cancelled: true };
        },
      });
      await user.click(screen.getByTestId('data-export-button'));
      client.emit({ type: 'export', progress: { requests: 10, total: 1_000, bytes: 2_048 } });
      await waitFor(() => expect(progressText('data-export-progress')).toBe('10 of 1,000 requests · 2 KB'));

      await user.click(screen.getByTestId('data-export-cancel'));
      expect(await screen.findByText('Export cancelled.')).toBeTruthy();
      expect(client.callsOf('cancelExport')).toHaveLength(1);
      expect(screen.queryByTestId('data-export-progress')).toBeNull();
      expect(screen.queryByTestId('data-export-result')).toBeNull();
      expect((screen.getByTestId('data-export-button') as HTMLButtonElement).disabled).toBe(false);
    });

    it('shows no progress left over from an earlier export when the next one starts', async () => {
      const save = pendingExport();
      const { client, user } = setup({ saveExport: save.saveExport });
      await user.click(screen.getByTestId('data-export-button'));
      client.emit({ type: 'export', progress: { requests: 500, total: 500, bytes: 90_000 } });
      await waitFor(() => expect(progressText('data-export-progress')).toBe('500 of 500 requests · 87.9 KB'));
      save.finish('modelmeter-requests.csv');
      await screen.findByTestId('data-export-result');

      await user.click(screen.getByTestId('data-export-button'));
      expect(progressText('data-export-progress')).toBe('Preparing the export…');
      save.finish('modelmeter-requests.csv');
      await screen.findByTestId('data-export-result');
    });
  });

  describe('progress of a long deletion', () => {
    it('shows how far deleting the chosen model has come in the question, not another model’s, then goes', async () => {
      const deleting = pending<{ model: string; requests: number; runs: number; priceVersions: number }>();
      const { client, user } = setup({ deleteModel: deleting.call });
      const select = (await screen.findByTestId('data-delete-select')) as HTMLSelectElement;
      await waitFor(() => expect(select.options.length).toBe(4));
      await user.selectOptions(select, 'llama-3-8b');
      await user.click(screen.getByTestId('data-delete-button'));
      await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete permanently' }));

      expect(within(screen.getByRole('dialog')).getByTestId('data-delete-progress')).toBeTruthy();
      expect(progressText('data-delete-progress')).toBe('Deleting llama-3-8b…');
      expect(progressBar('data-delete-progress').hasAttribute('value')).toBe(false);

      client.emit({ type: 'progress', progress: { task: 'delete-model', model: 'gpt-5-mini', done: 7, total: 8 } });
      client.emit({ type: 'progress', progress: { task: 'reprice', model: 'llama-3-8b', done: 7, total: 8 } });
      await tick();
      expect(progressText('data-delete-progress')).toBe('Deleting llama-3-8b…');

      client.emit({ type: 'progress', progress: { task: 'delete-model', model: 'llama-3-8b', done: 1, total: 8 } });
      await waitFor(() => expect(progressText('data-delete-progress')).toBe('Deleting llama-3-8b… 12.5%'));
      expect([progressBar('data-delete-progress').value, progressBar('data-delete-progress').max]).toEqual([1, 8]);

      deleting.answer({ model: 'llama-3-8b', requests: 300, runs: 4, priceVersions: 1 });
      await screen.findByTestId('data-delete-result');
      expect(screen.queryByTestId('data-delete-progress')).toBeNull();
    });

    it('shows how far the cleanup has come in the question, in Chinese too, then goes', async () => {
      i18n.choice = 'zh-CN';
      const cleaning = pending<{ before: number; requests: number }>();
      const { client, user } = setup({ previewCleanup: async ({ before }) => ({ before: Number(before), requests: 1_234 }), cleanup: cleaning.call });
      await user.type(screen.getByTestId('data-cleanup-before'), '2026-01-15');
      await user.click(screen.getByTestId('data-cleanup-button'));
      await screen.findByTestId('data-cleanup-confirm');
      await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: '永久删除' }));

      expect(within(screen.getByRole('dialog')).getByTestId('data-cleanup-progress')).toBeTruthy();
      expect(progressText('data-cleanup-progress')).toBe('正在清理…');
      client.emit({ type: 'progress', progress: { task: 'delete-model', model: 'gpt-5-mini', done: 3, total: 4 } });
      await tick();
      expect(progressText('data-cleanup-progress')).toBe('正在清理…');

      client.emit({ type: 'progress', progress: { task: 'cleanup', done: 600, total: 1_234 } });
      await waitFor(() => expect(progressText('data-cleanup-progress')).toBe('正在清理… 48.6%'));
      expect([progressBar('data-cleanup-progress').value, progressBar('data-cleanup-progress').max]).toEqual([600, 1_234]);

      cleaning.answer({ before: new Date(2026, 0, 15).getTime(), requests: 1_234 });
      await screen.findByTestId('data-cleanup-result');
      expect(screen.queryByTestId('data-cleanup-progress')).toBeNull();
    });
  });

  it('offers the import and shows the new storage figures once an import has landed', async () => {
    let total = STORAGE.totalRequests;
    const { client, user } = setup({
      getStorageInfo: async () => ({ ...STORAGE, totalRequests: total }),
      importDatabase: async (request) => {
        total += 1_000;
        client.emit({ type: 'data', reason: 'import' });
        return {
          file: request.path,
          format: 'ccx',
          formatLabel: 'ccx metrics.db',
          startedAt: 0,
          finishedAt: 10,
          models: ['gpt-5-mini'],
          requests: { read: 1_000, accepted: 1_000, duplicates: 0, skipped: 0 },
          runs: { read: 0, added: 0, existing: 0, skipped: 0 },
          programRuns: { read: 0, added: 0, existing: 0, skipped: 0 },
          prices: { added: 0, existing: 0, skipped: 0, currency: null },
          circuits: { read: 3, updated: 2, unchanged: 0, skipped: 1 },
          notes: [],
        };
      },
    });
    expect((await screen.findByTestId('data-total-requests')).textContent).toContain('12,345');
    await user.type(screen.getByTestId('import-path'), '/srv/ccx/metrics.db');
    await user.click(screen.getByTestId('import-button'));
    expect((await screen.findByTestId('import-report-circuits')).textContent?.trim()).toBe('2 updated · 0 unchanged · 1 skipped');
    await waitFor(() => expect(screen.getByTestId('data-total-requests').textContent).toContain('13,345'));
  });
});
