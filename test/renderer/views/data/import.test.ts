import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { ImportRequest } from '../../../../shared/schemas/integrations.js';
import type { ImportReport } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import type { ModelMeterClient } from '../../../../renderer/src/lib/transport/client.js';
import Import from '../../../../renderer/src/views/data/Import.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { appInfo } from '../pricing/support.js';

const FILE = '/home/me/LLM-Manager/data/monitoring.db';

function reportOf(request: ImportRequest, fresh: boolean): ImportReport {
  return {
    file: request.path,
    format: 'llm-manager-unified',
    formatLabel: 'LLM-Manager monitoring.db (shared tables)',
    startedAt: 1_000,
    finishedAt: 3_500,
    models: ['Qwen3-Coder-30B-A3B-Instruct-UD-64K', '通义千问-7B-对话'],
    requests: { read: 1_900, accepted: fresh ? 1_897 : 0, duplicates: fresh ? 0 : 1_897, skipped: 3 },
    runs: { read: 4, added: fresh ? 4 : 0, existing: fresh ? 0 : 4, skipped: 0 },
    programRuns: { read: 2, added: 0, existing: 0, skipped: 2 },
    prices: { added: fresh ? 1 : 0, existing: fresh ? 0 : 1, skipped: 1, currency: request.currency ?? 'CNY' },
    circuits: { read: 0, updated: 0, unchanged: 0, skipped: 0 },
    notes: ['3 requests had no time and were skipped.', 'GLM kept its placeholder price of 0: not imported.'],
  };
}

/** An import that runs until the test lets it finish, sending progress the way the core does meanwhile. */
function controlledImport() {
  let finish: (() => void) | undefined;
  const handler = (request: ImportRequest) => new Promise<ImportReport>((resolve) => (finish = () => resolve(reportOf(request, true))));
  return { handler, finish: () => finish?.() };
}

function setup(more: FakeHandlers = {}, host: ModelMeterClient['host'] = 'browser', appHost: 'desktop' | 'headless' = 'headless') {
  let imported = 0;
  const client = makeFakeClient(
    {
      getAppInfo: async () => appInfo({ host: appHost }),
      importDatabase: async (request) => reportOf(request, imported++ === 0),
      ...more,
    },
    host,
  );
  renderWithClient(client, Import);
  return { client, user: userEvent.setup() };
}

describe('the Import panel of the Data view', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('imports a typed path in yuan by default, leaving LLM-Manager’s uptime out, and reports what it did', async () => {
    const { client, user } = setup();
    expect((screen.getByTestId('import-currency') as HTMLInputElement).value).toBe('CNY');
    expect(screen.getByText(/LLM-Manager showed its prices in yuan/)).toBeTruthy();
    expect(screen.getByText(/Importing the same file twice adds nothing/)).toBeTruthy();
    await user.type(screen.getByTestId('import-path'), `  ${FILE} `);
    await user.click(screen.getByTestId('import-button'));

    const report = await screen.findByTestId('import-report');
    expect(client.callsOf('importDatabase')).toEqual([{ path: FILE, currency: 'CNY', programRuntime: 'skip' }]);
    expect(within(report).getByTestId('import-report-format').textContent).toBe('LLM-Manager monitoring.db (shared tables)');
    expect(within(report).getByTestId('import-report-models').textContent).toContain('通义千问-7B-对话');
    expect(within(report).getByTestId('import-report-requests').textContent?.trim()).toBe('1,897 added · 0 already there · 3 skipped');
    expect(within(report).getByTestId('import-report-runs').textContent?.trim()).toBe('4 added · 0 already there · 0 skipped');
    expect(within(report).getByText('Price versions (CNY)')).toBeTruthy();
    expect(within(report).getByTestId('import-report-prices').textContent?.trim()).toBe('1 added · 0 already there · 1 skipped');
    expect(within(report).queryByTestId('import-report-circuits')).toBeNull();
    expect(within(report).getAllByRole('listitem').map((item) => item.textContent)).toEqual(['3 requests had no time and were skipped.', 'GLM kept its placeholder price of 0: not imported.']);
    expect(within(report).queryByTestId('import-nothing-new')).toBeNull();
  });

  it('sends the chosen currency and uptime option, and says when a second import added nothing', async () => {
    const { client, user } = setup();
    await user.type(screen.getByTestId('import-path'), FILE);
    const currency = screen.getByTestId('import-currency');
    await user.clear(currency);
    await user.type(currency, 'usd');
    await user.click(screen.getByTestId('import-program-model'));
    await user.click(screen.getByTestId('import-button'));
    await screen.findByTestId('import-report');
    expect(client.callsOf('importDatabase')).toEqual([{ path: FILE, currency: 'USD', programRuntime: 'as-model' }]);

    await user.click(screen.getByTestId('import-button'));
    await screen.findByTestId('import-nothing-new');
    expect(screen.getByTestId('import-report-requests').textContent?.trim()).toBe('0 added · 1,897 already there · 3 skipped');
  });

  it('shows progress from the core’s import events with the button disabled, until the report arrives', async () => {
    const run = controlledImport();
    const { client, user } = setup({ importDatabase: run.handler });
    await user.type(screen.getByTestId('import-path'), FILE);
    await user.click(screen.getByTestId('import-button'));

    const button = screen.getByTestId('import-button') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.textContent?.trim()).toBe('Importing…');
    expect(screen.getByTestId('import-progress')).toBeTruthy();

    client.emit({ type: 'import', file: FILE, progress: { phase: 'requests', done: 1_000, total: 1_900 } });
    await waitFor(() => expect(screen.getByTestId('import-progress-text').textContent?.trim()).toBe('Requests: 1,000 of 1,900'));
    const bar = screen.getByTestId('import-progress').querySelector('progress')!;
    expect([bar.value, bar.max]).toEqual([1_000, 1_900]);

    client.emit({ type: 'import', file: FILE, progress: { phase: 'runs', done: 2, total: 4 } });
    await waitFor(() => expect(screen.getByTestId('import-progress-text').textContent?.trim()).toBe('Runs: 2 of 4'));

    run.finish();
    await screen.findByTestId('import-report');
    expect(screen.queryByTestId('import-progress')).toBeNull();
    expect(button.disabled).toBe(false);
  });

  it('asks for a path and a valid currency before importing', async () => {
    const { client, user } = setup();
    const currency = screen.getByTestId('import-currency');
    await user.clear(currency);
    await user.type(currency, 'yu');
    await user.click(screen.getByTestId('import-button'));
    expect(screen.getByText('Enter the path of the database file')).toBeTruthy();
    expect(screen.getByText('Three capital letters, such as CNY or USD')).toBeTruthy();
    expect(client.callsOf('importDatabase')).toHaveLength(0);
  });

  it.each([
    [new ApiError('not_found', `no file at ${FILE}: expected an LLM-Manager monitoring.db`), 'There is no file at that path.'],
    [new ApiError('bad_request', `${FILE} is not a SQLite database (it starts with "PK")`), 'This file cannot be imported: it is not an LLM-Manager or ccx database.'],
    [new ApiError('bad_request', `${FILE} has none of the known layouts: tables found: notes`), 'This file cannot be imported: it is not an LLM-Manager or ccx database.'],
    [new ApiError('conflict', 'an import of /x.db is running; wait for it to finish'), 'Another import is running; wait for it to finish.'],
  ])('explains a failed import (%s)', async (error, headline) => {
    const { user } = setup({ importDatabase: async () => Promise.reject(error) });
    await user.type(screen.getByTestId('import-path'), FILE);
    await user.click(screen.getByTestId('import-button'));
    const shown = await screen.findByTestId('import-error');
    expect(shown.dataset['code']).toBe(error.code);
    expect(shown.textContent).toContain(headline);
    expect(shown.textContent).toContain(error.message);
    expect(screen.queryByTestId('import-report')).toBeNull();
    expect((screen.getByTestId('import-button') as HTMLButtonElement).disabled).toBe(false);
  });

  it('has no file dialog in a browser', async () => {
    const { client } = setup();
    await waitFor(() => expect(client.callsOf('getAppInfo')).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.queryByTestId('import-choose')).toBeNull();
  });

  it('in the desktop app, fills the path from the open dialog, and keeps it when cancelled', async () => {
    const picks: (string | null)[] = [FILE, null];
    const { client, user } = setup({ pickImportFile: async () => ({ path: picks.shift() ?? null }) }, 'desktop', 'desktop');
    const choose = await screen.findByTestId('import-choose');
    await user.click(choose);
    await waitFor(() => expect((screen.getByTestId('import-path') as HTMLInputElement).value).toBe(FILE));
    await user.click(choose);
    await waitFor(() => expect(client.callsOf('pickImportFile')).toHaveLength(2));
    expect((screen.getByTestId('import-path') as HTMLInputElement).value).toBe(FILE);
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    const { user } = setup();
    await user.type(screen.getByTestId('import-path'), FILE);
    await user.click(screen.getByTestId('import-button'));
    const report = await screen.findByTestId('import-report');
    expect(within(report).getByTestId('import-report-requests').textContent?.trim()).toBe('新增 1,897 · 已存在 0 · 跳过 3');
    expect(screen.getByRole('heading', { name: '导入旧数据库' })).toBeTruthy();
  });
});
