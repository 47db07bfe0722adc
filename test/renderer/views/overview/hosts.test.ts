import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_HOST } from '../../../../shared/schemas/queries.js';
import type { HostInfo } from '../../../../shared/schemas/forwarding.js';
import type { Summary } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import { range } from '../../../../renderer/src/lib/state/range.svelte.js';
import Data from '../../../../renderer/src/views/Data.svelte';
import RequestLog from '../../../../renderer/src/views/models/RequestLog.svelte';
import Overview from '../../../../renderer/src/views/Overview.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { requestRow } from '../models/fixtures.js';
import { installDialog, SETTINGS, STORAGE, summaryWith } from '../pricing/support.js';
import { appInfo, bucket, history, modelRow, storage, summary, totals } from './fixtures.js';

const t0 = Date.UTC(2026, 0, 10, 1);
const LOCAL: HostInfo = { name: null, requests: 900, firstSeen: t0, lastSeen: t0 };
const GPU: HostInfo = { name: 'gpu-box', requests: 300, firstSeen: t0, lastSeen: t0 };
const LAB: HostInfo = { name: 'lab-2', requests: 34, firstSeen: t0, lastSeen: t0 };

const byHost: Summary = summary({
  totals: totals({ requests: 1234, cost: { USD: 12.5 } }),
  models: [modelRow('gpt-5-mini', { requests: 1234, cost: { USD: 12.5 }, pricingMethod: 'tokens' })],
  byHost: [
    { ...totals({ requests: 900, cost: { USD: 10 } }), host: null },
    { ...totals({ requests: 300, inputTokens: 5_000, cost: { USD: 2 } }), host: 'gpu-box' },
    { ...totals({ requests: 34, cost: { USD: 0.5 } }), host: 'lab-2' },
  ],
});

function handlers(overrides: FakeHandlers = {}): FakeHandlers {
  return {
    getSummary: async () => byHost,
    getHistory: async () => history([bucket(t0, 'gpt-5-mini', { requests: 3, cost: { USD: 1 } })]),
    getStorageInfo: async () => storage({ totalRequests: 1234, models: 1 }),
    getAppInfo: async () => appInfo(),
    listProjects: async () => [],
    listHosts: async () => [LOCAL, GPU, LAB],
    ...overrides,
  };
}

const options = (select: HTMLElement) => [...select.querySelectorAll('option')].map((option) => [option.value, option.textContent]);

describe('Overview by machine (issue 17)', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    localStorage.clear();
    range.set({ preset: 'today' });
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });
  afterEach(() => vi.restoreAllMocks());

  it('filters cards, charts and models by machine ("This machine" is @local), and the By machine table picks one', async () => {
    const fake = makeFakeClient(handlers());
    renderWithClient(fake, Overview);
    const select = (await screen.findByTestId('overview-host')) as HTMLSelectElement;
    expect(options(select)).toEqual([
      ['', 'All machines'],
      [LOCAL_HOST, 'This machine'],
      ['gpu-box', 'gpu-box'],
      ['lab-2', 'lab-2'],
    ]);

    await fireEvent.change(select, { target: { value: 'gpu-box' } });
    await vi.waitFor(() => expect(fake.callsOf('getSummary').at(-1)).toEqual({ range: 'today', host: 'gpu-box' }));
    await vi.waitFor(() => expect(fake.callsOf('getHistory').at(-1)).toEqual({ range: 'today', host: 'gpu-box', interval: 'auto', groupBy: 'model' }));

    const table = await screen.findByTestId('overview-hosts');
    const rows = within(table).getAllByTestId('overview-host-row');
    expect(rows.map((row) => row.querySelector('td')!.textContent!.trim())).toEqual(['This machine', 'gpu-box', 'lab-2']);
    expect(rows[1]!.textContent).toContain('300');
    await fireEvent.click(within(rows[0]!).getByRole('button', { name: 'This machine' }));
    await vi.waitFor(() => expect(fake.callsOf('getSummary').at(-1)).toEqual({ range: 'today', host: LOCAL_HOST }));
    expect(select.value).toBe(LOCAL_HOST);
  });

  it('shows no machine filter or table while only this machine has records, and both once a machine forwards here', async () => {
    let hosts: HostInfo[] = [LOCAL];
    const onlyLocal = { ...byHost, byHost: [{ ...totals({ requests: 900 }), host: null }] };
    let answer: Summary = onlyLocal;
    const fake = makeFakeClient(handlers({ listHosts: async () => hosts, getSummary: async () => answer }));
    renderWithClient(fake, Overview);
    await screen.findByTestId('card-requests');
    await waitFor(() => expect(fake.callsOf('listHosts')).toHaveLength(1));
    expect(screen.queryByTestId('overview-host')).toBeNull();
    expect(screen.queryByTestId('overview-hosts')).toBeNull();

    hosts = [LOCAL, GPU];
    answer = byHost;
    fake.emit({ type: 'hosts' });
    fake.emit({ type: 'requests', count: 3, models: ['gpt-5-mini'] });
    expect(await screen.findByTestId('overview-host', {}, { timeout: 3_000 })).toBeTruthy();
    expect(await screen.findByTestId('overview-hosts', {}, { timeout: 3_000 })).toBeTruthy();
  });

  it('keeps working against a server that cannot list machines', async () => {
    const fake = makeFakeClient(handlers({ listHosts: async () => Promise.reject(new Error('hosts are not built yet')), getSummary: async () => ({ ...byHost, byHost: undefined }) }));
    renderWithClient(fake, Overview);
    await screen.findByTestId('card-requests');
    expect(screen.queryByTestId('overview-host')).toBeNull();
    expect(screen.queryByText(/hosts are not built yet/)).toBeNull();
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    renderWithClient(makeFakeClient(handlers()), Overview);
    const select = await screen.findByTestId('overview-host');
    expect(options(select).slice(0, 2)).toEqual([
      ['', '全部机器'],
      [LOCAL_HOST, '本机'],
    ]);
    expect((await screen.findByTestId('overview-hosts')).textContent).toContain('本机');
  });
});

describe('the request log’s machine column', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    range.set({ preset: '24h' });
  });

  const base: FakeHandlers = { listRoutes: async () => [], listCircuits: async () => [] };

  it('appears when any row was forwarded, naming this machine’s own rows "This machine"', async () => {
    const rows = [requestRow('2', t0, { host: 'gpu-box' }), requestRow('1', t0 - 1000)];
    renderWithClient(makeFakeClient({ ...base, listRequests: async () => ({ requests: rows, nextBefore: null }) }), RequestLog, { model: 'gpt-5-mini' });
    await screen.findByTestId('request-host-header');
    expect(screen.getAllByTestId('request-host').map((cell) => cell.textContent!.trim())).toEqual(['gpu-box', 'This machine']);
  });

  it('is left out while every row is this machine’s', async () => {
    renderWithClient(makeFakeClient({ ...base, listRequests: async () => ({ requests: [requestRow('1', t0)], nextBefore: null }) }), RequestLog, { model: 'gpt-5-mini' });
    await screen.findAllByTestId('request-row');
    expect(screen.queryByTestId('request-host-header')).toBeNull();
    expect(screen.queryAllByTestId('request-host')).toHaveLength(0);
  });
});

describe('the Data view’s export by machine', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  function setup(hosts: FakeHandlers['listHosts']) {
    const client = makeFakeClient({
      getStorageInfo: async () => STORAGE,
      getSettings: async () => SETTINGS,
      getSummary: async () => summaryWith(['gpt-5-mini']),
      listPricing: async () => [],
      getAppInfo: async () => appInfo(),
      saveExport: async ({ format }) => ({ file: `modelmeter-requests.${format}` }),
      ...(hosts ? { listHosts: hosts } : {}),
    });
    renderWithClient(client, Data);
    return { client, user: userEvent.setup() };
  }

  it('offers every machine, this one as @local, and sends the choice', async () => {
    const { client, user } = setup(async () => [LOCAL, LAB, GPU]);
    const select = await screen.findByTestId('data-export-host');
    expect(options(select).map(([, text]) => text)).toEqual(['All machines', 'This machine', 'gpu-box', 'lab-2']);
    await user.selectOptions(select, LOCAL_HOST);
    await user.click(screen.getByTestId('data-export-button'));
    await screen.findByTestId('data-export-result');
    expect(client.callsOf('saveExport')).toEqual([{ format: 'csv', host: LOCAL_HOST }]);
  });

  it('has no machine choice with only this machine', async () => {
    const { client } = setup(async () => [LOCAL]);
    await screen.findByTestId('data-export-button');
    await waitFor(() => expect(client.callsOf('listHosts')).toHaveLength(1));
    expect(screen.queryByTestId('data-export-host')).toBeNull();
  });
});
