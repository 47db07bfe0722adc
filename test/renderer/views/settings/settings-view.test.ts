import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../../../shared/app.js';
import { ApiError } from '../../../../shared/errors.js';
import type { SettingsPatch } from '../../../../shared/schemas/settings.js';
import type { Settings as LedgerSettings } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import type { ModelMeterClient } from '../../../../renderer/src/lib/transport/client.js';
import Settings from '../../../../renderer/src/views/Settings.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { appInfo, SETTINGS } from '../pricing/support.js';
import { integrationsService, OPENAI_ROUTE, watcher } from './integrations-support.js';

function merge(settings: LedgerSettings, patch: SettingsPatch): LedgerSettings {
  return { ...settings, ...patch, breaker: { ...settings.breaker, ...patch.breaker } } as LedgerSettings;
}

function setup(more: FakeHandlers = {}, host: ModelMeterClient['host'] = 'browser', info: AppInfo = appInfo()) {
  const client = makeFakeClient(
    {
      getAppInfo: async () => info,
      getSettings: async () => SETTINGS,
      setLanguage: async ({ language }) => ({ ...info, language }),
      ...integrationsService({ routes: [OPENAI_ROUTE], watchers: [watcher()] }).handlers,
      listAgentSources: async () => [],
      ...more,
    },
    host,
  );
  renderWithClient(client, Settings);
  return { client, user: userEvent.setup() };
}

describe('the Settings view', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    sessionStorage.setItem('modelmeter.token', 'browser-token-1234567890');
  });
  afterEach(() => {
    i18n.choice = 'en';
    sessionStorage.clear();
  });

  it('saves only the changed thresholds as a patch', async () => {
    const { client, user } = setup({ updateSettings: async (patch) => merge(SETTINGS, patch) });
    const consecutive = (await screen.findByTestId('settings-breaker-consecutiveFailures')) as HTMLInputElement;
    const save = screen.getByTestId('settings-save') as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    await user.clear(consecutive);
    await user.type(consecutive, '8');
    const stale = screen.getByTestId('settings-run-stale');
    await user.clear(stale);
    await user.type(stale, '300');
    await user.click(save);

    await screen.findByTestId('settings-saved');
    expect(client.callsOf('updateSettings')).toEqual([{ runStaleSeconds: 300, breaker: { consecutiveFailures: 8 } }]);
    expect(save.disabled).toBe(true);
  });

  it('refuses values the shared schema refuses, before sending', async () => {
    const { client, user } = setup();
    const rate = (await screen.findByTestId('settings-breaker-failureRate')) as HTMLInputElement;
    await user.clear(rate);
    await user.type(rate, '1.5');
    await user.click(screen.getByTestId('settings-save'));
    expect(screen.getByText('At most 1')).toBeTruthy();
    expect(rate.getAttribute('aria-invalid')).toBe('true');
    expect(client.callsOf('updateSettings')).toHaveLength(0);
  });

  it('shows the server’s validation errors next to the field, and Reset goes back to the saved values', async () => {
    const { user } = setup({
      updateSettings: async () => {
        throw new ApiError('validation_failed', 'invalid settings', [{ field: 'breaker.minResults', reason: 'must not exceed the window size' }]);
      },
    });
    const min = (await screen.findByTestId('settings-breaker-minResults')) as HTMLInputElement;
    await user.clear(min);
    await user.type(min, '15');
    await user.click(screen.getByTestId('settings-save'));

    await screen.findByText('must not exceed the window size', { selector: '.error' });
    expect(min.getAttribute('aria-invalid')).toBe('true');

    await user.click(screen.getByTestId('settings-reset'));
    expect(min.value).toBe('10');
    expect(min.getAttribute('aria-invalid')).toBeNull();
  });

  it('switches the language and tells the host', async () => {
    const { client, user } = setup();
    await user.click(await screen.findByLabelText('简体中文'));
    expect(i18n.language).toBe('zh-CN');
    await waitFor(() => expect(client.callsOf('setLanguage')).toEqual([{ language: 'zh-CN' }]));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('设置');

    await user.click(screen.getByTestId('settings-language-system'));
    await waitFor(() => expect(client.callsOf('setLanguage').at(-1)).toEqual({ language: null }));
    expect(i18n.choice).toBeNull();
  });

  it('hides launch at login in the browser and shows the port as read-only', async () => {
    setup();
    await screen.findByTestId('settings-launch-unavailable');
    expect(screen.queryByTestId('settings-launch-at-login')).toBeNull();
    expect(screen.getByTestId('settings-port').tagName).toBe('SPAN');
    expect(screen.getByText('Set with --port or MODELMETER_PORT when starting the server.')).toBeTruthy();
  });

  it('masks the browser tab’s token until asked, and copies it', async () => {
    const { user } = setup();
    const token = await screen.findByTestId('settings-token');
    expect(token.textContent).not.toContain('browser-token');
    await user.click(screen.getByTestId('settings-token-show'));
    expect(token.textContent).toBe('browser-token-1234567890');
    await user.click(screen.getByTestId('settings-token-copy'));
    expect(await navigator.clipboard.readText()).toBe('browser-token-1234567890');
  });

  it('in the desktop app, offers launch at login and saves a port for the next start', async () => {
    let info = appInfo({ host: 'desktop', launchAtLogin: false, token: 'desktop-token' });
    const { client, user } = setup(
      {
        getAppInfo: async () => info,
        setLaunchAtLogin: async ({ enabled }) => (info = { ...info, launchAtLogin: enabled }),
        setPort: async ({ port }) => (info = { ...info, nextPort: port }),
      },
      'desktop',
      info,
    );
    const launch = (await screen.findByTestId('settings-launch-at-login')) as HTMLInputElement;
    await user.click(launch);
    await waitFor(() => expect(client.callsOf('setLaunchAtLogin')).toEqual([{ enabled: true }]));
    expect(launch.checked).toBe(true);

    const port = screen.getByTestId('settings-port');
    await user.clear(port);
    await user.type(port, '7500');
    await user.click(screen.getByTestId('settings-port-save'));
    await screen.findByText('Listening on 7423 now; 7500 from the next start.');
    expect(client.callsOf('setPort')).toEqual([{ port: 7500 }]);
  });

  it('places the metering proxy and the launcher watchers, with route addresses on the API’s own origin', async () => {
    setup({}, 'desktop', appInfo({ host: 'desktop', apiUrl: 'http://127.0.0.1:7500/api/v1', port: 7500, token: 'desktop-token' }));
    const url = await screen.findByTestId('route-url');
    await waitFor(() => expect(url.textContent).toBe('http://127.0.0.1:7500/r/openai'));
    expect((await screen.findByTestId('watcher-row')).textContent).toContain('GPU box');
  });
});
