import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import LauncherWatchers from '../../../../renderer/src/views/settings/LauncherWatchers.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { installDialog } from '../pricing/support.js';
import { integrationsService, OFF, watcher } from './integrations-support.js';

function setup(service = integrationsService({ watchers: [watcher()] }), more: FakeHandlers = {}) {
  const client = makeFakeClient({ ...service.handlers, ...more });
  renderWithClient(client, LauncherWatchers);
  return { client, service, user: userEvent.setup() };
}

const row = (id: string) => screen.getAllByTestId('watcher-row').find((element) => element.dataset['watcher'] === id)!;

describe('the launcher watchers in Settings', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  it('shows each watcher’s launcher, state and the models it has loaded', async () => {
    setup();
    const line = await screen.findByTestId('watcher-row');
    expect(line.textContent).toContain('llama-swap');
    expect(line.textContent).toContain('GPU box');
    expect(within(line).getByTestId('watcher-row-url').textContent).toBe('http://127.0.0.1:8080');
    const state = within(line).getByTestId('watcher-state');
    expect([state.dataset['state'], state.textContent?.trim(), state.className.includes('ok')]).toEqual(['up', 'Up', true]);
    expect(within(line).getByTestId('watcher-models').textContent).toContain('Qwen3-Coder-30B');
    expect(within(line).getByTestId('watcher-models').textContent).toContain('gpt-oss-20b');
    expect((within(line).getByTestId('watcher-toggle') as HTMLInputElement).checked).toBe(true);
  });

  it('follows status changes announced by the core: down with its error and a retry countdown', async () => {
    const { client, service } = setup();
    await screen.findByTestId('watcher-row');
    service.setStatus('w1', { state: 'down', lastError: 'connection refused at http://127.0.0.1:8080', lastOkAt: Date.now() - 120_000, nextRetryAt: Date.now() + 25_000, models: [] });
    client.emit({ type: 'watchers' });
    await waitFor(() => expect(within(row('w1')).getByTestId('watcher-state').dataset['state']).toBe('down'));
    const line = row('w1');
    expect(within(line).getByTestId('watcher-state').className).toContain('bad');
    expect(within(line).getByTestId('watcher-error').textContent).toBe('connection refused at http://127.0.0.1:8080');
    expect(within(line).getByTestId('watcher-retry').textContent).toMatch(/^Retrying in 2\d sec/);
    expect(within(line).getByTestId('watcher-models').textContent).toContain('None');

    service.setStatus('w1', { state: 'connecting', lastError: null, lastOkAt: null, nextRetryAt: null, models: [] });
    client.emit({ type: 'watchers' });
    await waitFor(() => expect(within(row('w1')).getByTestId('watcher-state').textContent?.trim()).toBe('Connecting'));
    expect(within(row('w1')).queryByTestId('watcher-retry')).toBeNull();
  });

  it('turns a watcher off with its whole configuration unchanged, and shows it off', async () => {
    const { client, user } = setup();
    const toggle = (await screen.findByTestId('watcher-toggle')) as HTMLInputElement;
    await user.click(toggle);
    await waitFor(() => expect(within(row('w1')).getByTestId('watcher-state').dataset['state']).toBe('off'));
    expect(client.callsOf('saveWatcher')).toEqual([{ id: 'w1', watcher: { kind: 'llama-swap', baseUrl: 'http://127.0.0.1:8080', enabled: false, pollSeconds: 5, label: 'GPU box' } }]);
    expect((within(row('w1')).getByTestId('watcher-toggle') as HTMLInputElement).checked).toBe(false);
  });

  it('keeps the box as saved when turning on fails, and says why', async () => {
    const { user } = setup(integrationsService({ watchers: [watcher({ enabled: false, status: OFF })] }), {
      saveWatcher: async () => Promise.reject(new ApiError('internal', 'disk full')),
    });
    const toggle = (await screen.findByTestId('watcher-toggle')) as HTMLInputElement;
    await user.click(toggle);
    await screen.findByText('Something went wrong: disk full');
    expect(toggle.checked).toBe(false);
  });

  it('adds a llama.cpp watcher with the usual address as placeholder and a model name', async () => {
    const { client, user } = setup(integrationsService());
    await screen.findByText('No watchers yet — add one to record model runtime from llama-swap, Ollama or a llama.cpp server');
    await user.click(screen.getByTestId('watcher-add'));
    const form = screen.getByTestId('watcher-form');
    const url = within(form).getByTestId('watcher-url') as HTMLInputElement;
    expect(url.placeholder).toBe('http://127.0.0.1:8080');
    await user.selectOptions(within(form).getByTestId('watcher-kind'), 'ollama');
    expect(url.placeholder).toBe('http://127.0.0.1:11434');
    expect(within(form).queryByTestId('watcher-model')).toBeNull();
    await user.selectOptions(within(form).getByTestId('watcher-kind'), 'llama-cpp');
    await user.type(url, 'http://192.168.1.20:8081');
    await user.type(within(form).getByTestId('watcher-model'), 'Qwen3-8B');
    const poll = within(form).getByTestId('watcher-poll');
    await user.clear(poll);
    await user.type(poll, '10');
    await user.click(within(form).getByTestId('watcher-save'));

    await screen.findByText('Watcher saved');
    expect(client.callsOf('saveWatcher')).toEqual([{ watcher: { kind: 'llama-cpp', baseUrl: 'http://192.168.1.20:8081', enabled: true, pollSeconds: 10, model: 'Qwen3-8B' } }]);
    const line = screen.getByTestId('watcher-row');
    expect(line.textContent).toContain('llama.cpp server');
    expect(within(line).getByTestId('watcher-state').dataset['state']).toBe('connecting');
  });

  it('shows a bad address next to the field and sends nothing', async () => {
    const { client, user } = setup(integrationsService());
    await user.click(await screen.findByTestId('watcher-add'));
    const form = screen.getByTestId('watcher-form');
    await user.type(within(form).getByTestId('watcher-url'), '127.0.0.1:8080');
    await user.click(within(form).getByTestId('watcher-save'));
    expect(within(form).getByText('An http(s) address such as http://127.0.0.1:8080')).toBeTruthy();
    expect(client.callsOf('saveWatcher')).toHaveLength(0);
  });

  it('edits a watcher by its id', async () => {
    const { client, user } = setup();
    await user.click(await screen.findByTestId('watcher-edit'));
    const label = within(screen.getByTestId('watcher-form')).getByTestId('watcher-label');
    await user.clear(label);
    await user.type(label, 'Workstation');
    await user.click(screen.getByTestId('watcher-save'));
    await screen.findByText('Watcher saved');
    expect(client.callsOf('saveWatcher')).toEqual([{ id: 'w1', watcher: { kind: 'llama-swap', baseUrl: 'http://127.0.0.1:8080', enabled: true, pollSeconds: 5, label: 'Workstation' } }]);
    expect(row('w1').textContent).toContain('Workstation');
  });

  it('deletes a watcher only after confirming', async () => {
    const { client, user } = setup();
    await user.click(await screen.findByTestId('watcher-delete'));
    expect(screen.getByTestId('watcher-delete-confirm').textContent).toContain('llama-swap GPU box');
    expect(client.callsOf('deleteWatcher')).toHaveLength(0);
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete watcher' }));
    await screen.findByText('Watcher deleted');
    expect(client.callsOf('deleteWatcher')).toEqual([{ id: 'w1' }]);
    expect(screen.queryByTestId('watcher-row')).toBeNull();
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    setup();
    const line = await screen.findByTestId('watcher-row');
    expect(within(line).getByTestId('watcher-state').textContent?.trim()).toBe('在线');
    expect(screen.getByRole('heading', { name: '启动器监视' })).toBeTruthy();
  });
});
