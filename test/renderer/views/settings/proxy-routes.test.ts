import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import ProxyRoutes from '../../../../renderer/src/views/settings/ProxyRoutes.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { installDialog } from '../pricing/support.js';
import { integrationsService, OPENAI_ROUTE } from './integrations-support.js';

const API_URL = 'http://127.0.0.1:7423/api/v1';

function setup(service = integrationsService({ routes: [OPENAI_ROUTE] }), more: FakeHandlers = {}) {
  const client = makeFakeClient({ ...service.handlers, ...more });
  renderWithClient(client, ProxyRoutes, { apiUrl: API_URL });
  return { client, service, user: userEvent.setup() };
}

const card = (name: string) => screen.getAllByTestId('route-card').find((element) => element.dataset['route'] === name)!;

describe('the metering-proxy routes in Settings', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  it('lists each route with the full address to give clients and its channels by priority, never a key', async () => {
    const { user } = setup();
    const route = await screen.findByTestId('route-card');
    expect(within(route).getByTestId('route-url').textContent).toBe('http://127.0.0.1:7423/r/openai');
    const channels = within(route).getAllByTestId('route-card-channel');
    expect(channels.map((channel) => channel.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      '1. https://api.openai.com/v1 OpenAI Key held sk-a…9xQ2',
      '2. http://127.0.0.1:8080/v1 Local llama.cpp Client’s key',
    ]);
    expect(route.textContent).toContain('Timeout 300 s');
    expect(route.textContent).toContain('Asks for usage in streams');
    // How to point an SDK at it: OpenAI clients add /v1, as they would upstream.
    expect(within(route).getByTestId('route-sdk-hint').textContent).toContain('base URL http://127.0.0.1:7423/r/openai/v1');

    await user.click(within(route).getByTestId('route-copy'));
    expect(await navigator.clipboard.readText()).toBe('http://127.0.0.1:7423/r/openai');
    expect(within(route).getByTestId('route-copy').textContent?.trim()).toBe('Copied');
  });

  it('says what a route is for when there is none', async () => {
    setup(integrationsService());
    expect((await screen.findByText('No routes yet — add one to meter requests through ModelMeter')).closest('[role="status"]')).toBeTruthy();
  });

  it('shows a load failure with a retry', async () => {
    const service = integrationsService({ routes: [OPENAI_ROUTE] });
    const { client, user } = setup(service, { listRoutes: async () => Promise.reject(new ApiError('unavailable', 'down')) });
    await screen.findByText('ModelMeter cannot be reached. Is it still running?');
    client.handle({ listRoutes: service.handlers.listRoutes! });
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByTestId('route-card');
  });

  it('adds a route with two channels in the chosen order, holding a key for one', async () => {
    const { client, user } = setup(integrationsService());
    await user.click(await screen.findByTestId('route-add'));
    const form = screen.getByTestId('route-form');
    await user.type(within(form).getByTestId('route-name'), 'claude');
    await user.selectOptions(within(form).getByTestId('route-protocol'), 'anthropic');
    await user.type(within(form).getByTestId('route-channel-url'), 'https://api.anthropic.com');
    await user.type(within(form).getByTestId('route-channel-key'), 'sk-ant-secret-5678');
    await user.click(within(form).getByTestId('route-add-channel'));
    await user.type(within(form).getAllByTestId('route-channel-url')[1]!, 'https://backup.example.com');
    await user.type(within(form).getAllByTestId('route-channel-label')[1]!, 'Backup');
    // The backup goes first.
    await user.click(within(form).getAllByTestId('route-channel-up')[1]!);
    expect(within(form).queryByTestId('route-include-usage')).toBeNull();
    await user.click(within(form).getByTestId('route-save'));

    await screen.findByText('Route claude saved');
    expect(client.callsOf('saveRoute')).toEqual([
      {
        name: 'claude',
        route: {
          protocol: 'anthropic',
          channels: [{ baseUrl: 'https://backup.example.com', label: 'Backup' }, { baseUrl: 'https://api.anthropic.com', apiKey: 'sk-ant-secret-5678' }],
          includeUsage: false,
          timeoutSeconds: 300,
          enabled: true,
        },
      },
    ]);
    expect(screen.queryByTestId('route-form')).toBeNull();
    const keys = within(card('claude')).getAllByTestId('route-card-key').map((key) => key.textContent?.trim());
    expect(keys).toEqual(['Client’s key', 'Key held sk-a…5678']);
    expect(document.body.textContent).not.toContain('sk-ant-secret-5678');
  });

  it('edits a route: the name is fixed, an empty key field keeps the held key, "Forget key" sends null', async () => {
    const { client, service, user } = setup();
    await user.click(await screen.findByTestId('route-edit'));
    const form = screen.getByTestId('route-form');
    expect((within(form).getByTestId('route-name') as HTMLInputElement).readOnly).toBe(true);
    const keyFields = within(form).getAllByTestId('route-channel-key') as HTMLInputElement[];
    expect(keyFields.map((field) => [field.type, field.value])).toEqual([
      ['password', ''],
      ['password', ''],
    ]);
    expect(within(form).getAllByTestId('route-channel-key-hint')[0]!.textContent).toContain('leave empty to keep it');

    const timeout = within(form).getByTestId('route-timeout');
    await user.clear(timeout);
    await user.type(timeout, '120');
    await user.click(within(form).getByTestId('route-save'));
    await screen.findByText('Route openai saved');
    expect(client.callsOf('saveRoute').at(-1)).toEqual({
      name: 'openai',
      route: {
        protocol: 'openai',
        channels: [
          { id: 'a1', baseUrl: 'https://api.openai.com/v1', label: 'OpenAI' },
          { id: 'b2', baseUrl: 'http://127.0.0.1:8080/v1', label: 'Local llama.cpp' },
        ],
        includeUsage: true,
        timeoutSeconds: 120,
        enabled: true,
      },
    });
    expect(service.routes[0]!.channels[0]!.keyMask).toBe('sk-a…9xQ2');

    await user.click(screen.getByTestId('route-edit'));
    const again = screen.getByTestId('route-form');
    expect(within(again).getAllByTestId('route-channel-forget')).toHaveLength(1);
    await user.click(within(again).getByTestId('route-channel-forget'));
    expect(within(again).getAllByTestId('route-channel-key-hint')[0]!.dataset['plan']).toBe('forget');
    await user.click(within(again).getByTestId('route-save'));
    await screen.findByText('Route openai saved');
    expect(client.callsOf('saveRoute').at(-1)!.route.channels[0]).toEqual({ id: 'a1', baseUrl: 'https://api.openai.com/v1', label: 'OpenAI', apiKey: null });
    expect(within(card('openai')).getAllByTestId('route-card-key').map((key) => key.textContent?.trim())).toEqual(['Client’s key', 'Client’s key']);
  });

  it('warns that a held key is forgotten when its channel moves to another host, and asks for it again (11.2)', async () => {
    const { client, user } = setup();
    await user.click(await screen.findByTestId('route-edit'));
    const form = screen.getByTestId('route-form');
    const url = within(form).getAllByTestId('route-channel-url')[0]!;
    await user.clear(url);
    await user.type(url, 'https://collector.example/v1');
    const hint = within(form).getAllByTestId('route-channel-key-hint')[0]!;
    expect(hint.dataset['plan']).toBe('moved');
    expect(hint.textContent).toContain('points at another host');
    expect(hint.textContent).toContain('sk-a…9xQ2');
    expect((within(form).getAllByTestId('route-channel-key')[0] as HTMLInputElement).placeholder).toBe('');
    await user.click(within(form).getByTestId('route-save'));
    await screen.findByText('Route openai saved');
    expect(client.callsOf('saveRoute').at(-1)!.route.channels[0]).toEqual({ id: 'a1', baseUrl: 'https://collector.example/v1', label: 'OpenAI', apiKey: null });
  });

  it('offers a typed name as a slug (12.12)', async () => {
    const { user } = setup(integrationsService());
    await user.click(await screen.findByTestId('route-add'));
    const form = screen.getByTestId('route-form');
    expect(within(form).queryByTestId('route-name-suggest')).toBeNull();
    await user.type(within(form).getByTestId('route-name'), 'My Claude');
    await user.click(within(form).getByTestId('route-name-suggest'));
    expect((within(form).getByTestId('route-name') as HTMLInputElement).value).toBe('my-claude');
    expect(within(form).queryByTestId('route-name-suggest')).toBeNull();
  });

  it('reorders channels to change their priority and removes one', async () => {
    const { client, user } = setup();
    await user.click(await screen.findByTestId('route-edit'));
    const form = screen.getByTestId('route-form');
    const [up, down] = [within(form).getAllByTestId('route-channel-up'), within(form).getAllByTestId('route-channel-down')];
    expect((up[0] as HTMLButtonElement).disabled).toBe(true);
    expect((down[1] as HTMLButtonElement).disabled).toBe(true);
    await user.click(down[0]!);
    expect((within(form).getAllByTestId('route-channel-url') as HTMLInputElement[]).map((input) => input.value)).toEqual(['http://127.0.0.1:8080/v1', 'https://api.openai.com/v1']);
    await user.click(within(form).getByTestId('route-save'));
    await screen.findByText('Route openai saved');
    expect(client.callsOf('saveRoute').at(-1)!.route.channels.map((channel) => channel.id)).toEqual(['b2', 'a1']);

    await user.click(screen.getByTestId('route-edit'));
    await user.click(within(screen.getByTestId('route-form')).getAllByTestId('route-channel-remove')[0]!);
    expect((within(screen.getByTestId('route-form')).getByTestId('route-channel-remove') as HTMLButtonElement).disabled).toBe(true);
    await user.click(screen.getByTestId('route-save'));
    await screen.findByText('Route openai saved');
    expect(client.callsOf('saveRoute').at(-1)!.route.channels.map((channel) => channel.id)).toEqual(['a1']);
  });

  it('shows its own validation per field before sending, and the server’s by field path', async () => {
    const service = integrationsService();
    const { client, user } = setup(service, {
      saveRoute: async () => {
        throw new ApiError('validation_failed', 'invalid route', [{ field: 'channels.0.baseUrl', reason: 'upstream refuses this address' }]);
      },
    });
    await user.click(await screen.findByTestId('route-add'));
    const form = screen.getByTestId('route-form');
    await user.type(within(form).getByTestId('route-name'), 'Bad Name');
    await user.type(within(form).getByTestId('route-channel-url'), 'not a url');
    await user.click(within(form).getByTestId('route-save'));
    expect(within(form).getByText('Use 1–64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit')).toBeTruthy();
    expect(within(form).getByText('An http(s) address such as http://127.0.0.1:8080')).toBeTruthy();
    expect(within(form).getByTestId('route-channel-url').getAttribute('aria-invalid')).toBe('true');
    expect(client.callsOf('saveRoute')).toHaveLength(0);

    const name = within(form).getByTestId('route-name');
    await user.clear(name);
    await user.type(name, 'good');
    const url = within(form).getByTestId('route-channel-url');
    await user.clear(url);
    await user.type(url, 'http://10.0.0.1:9');
    await user.click(within(form).getByTestId('route-save'));
    await within(form).findByText('upstream refuses this address', { selector: '.error' });
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(within(form).getByTestId('route-name').getAttribute('aria-invalid')).toBeNull();
  });

  it('deletes a route only after confirming', async () => {
    const { client, user } = setup();
    await user.click(await screen.findByTestId('route-delete'));
    expect(screen.getByTestId('route-delete-confirm').textContent).toContain('http://127.0.0.1:7423/r/openai');
    expect(client.callsOf('deleteRoute')).toHaveLength(0);
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete route' }));
    await screen.findByText('Route openai deleted');
    expect(client.callsOf('deleteRoute')).toEqual([{ name: 'openai' }]);
    expect(screen.queryByTestId('route-card')).toBeNull();
    expect(screen.getByText('No routes yet — add one to meter requests through ModelMeter')).toBeTruthy();
  });

  it('follows routes changed elsewhere', async () => {
    const service = integrationsService();
    const { client } = setup(service);
    await screen.findByText('No routes yet — add one to meter requests through ModelMeter');
    await service.handlers.saveRoute!({ name: 'ollama', route: { protocol: 'ollama', channels: [{ baseUrl: 'http://127.0.0.1:11434' }] } });
    client.emit({ type: 'routes' });
    await waitFor(() => expect(card('ollama')).toBeTruthy());
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    setup();
    const route = await screen.findByTestId('route-card');
    expect(within(route).getAllByTestId('route-card-key').map((key) => key.textContent?.trim())).toEqual(['持有密钥 sk-a…9xQ2', '使用客户端密钥']);
    expect(screen.getByRole('heading', { name: '计量代理' })).toBeTruthy();
  });
});
