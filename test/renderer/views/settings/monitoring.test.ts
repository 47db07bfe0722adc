import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { SettingsPatch } from '../../../../shared/schemas/settings.js';
import type { Settings } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import Monitoring from '../../../../renderer/src/views/settings/Monitoring.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { SETTINGS } from '../pricing/support.js';

const STORED: Settings = {
  ...SETTINGS,
  otlpEnabled: true,
  otlpUrl: 'http://127.0.0.1:4318/v1/metrics',
  otlpHeaders: { 'x-api-key': 'coll…2e51' },
  otlpStatus: { running: true, lastExportAt: Date.UTC(2026, 0, 1), lastError: null },
};

/** What the server would answer: header values never come back, only masks. */
function answer(saved: Settings, patch: SettingsPatch): Settings {
  const { otlpHeaders, ...rest } = patch;
  const headers = otlpHeaders ? Object.fromEntries(Object.entries(otlpHeaders).map(([name, value]) => [name, value === null ? saved.otlpHeaders[name]! : '****'])) : saved.otlpHeaders;
  return { ...saved, ...rest, otlpHeaders: headers } as Settings;
}

function setup(saved: Settings, handlers: FakeHandlers = {}) {
  const client = makeFakeClient({ updateSettings: async (patch) => answer(saved, patch), ...handlers });
  renderWithClient(client, Monitoring, { saved, apiUrl: 'http://127.0.0.1:7423/api/v1', onsaved: () => {} });
  return { client, user: userEvent.setup() };
}

describe('the Monitoring settings section', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });
  afterEach(() => {
    i18n.choice = 'en';
  });

  it('shows the /metrics address beside the API and a scrape config that needs the token until loopback is let in', async () => {
    const { user } = setup(SETTINGS);
    expect(screen.getByTestId('monitoring-metrics-url').textContent).toBe('http://127.0.0.1:7423/metrics');
    const snippet = screen.getByTestId('monitoring-snippet');
    expect(snippet.textContent).toContain("targets: ['127.0.0.1:7423']");
    expect(snippet.textContent).toContain('authorization');
    await user.click(screen.getByTestId('monitoring-anonymous'));
    expect(snippet.textContent).not.toContain('authorization');
  });

  it('re-saving other settings sends no header, and a kept header goes as null, never its value', async () => {
    const { client, user } = setup(STORED);
    const max = screen.getByTestId('monitoring-max-models');
    await user.clear(max);
    await user.type(max, '12');
    await user.click(screen.getByTestId('monitoring-save'));
    await screen.findByTestId('monitoring-saved');
    expect(client.callsOf('updateSettings')).toEqual([{ metricsMaxModels: 12 }]);

    await user.click(screen.getByTestId('monitoring-add-header'));
    const names = screen.getAllByTestId('monitoring-header-name');
    const values = screen.getAllByTestId('monitoring-header-value') as HTMLInputElement[];
    expect(values[0]!.value).toBe('');
    expect(values[0]!.type).toBe('password');
    expect(values[0]!.placeholder).toContain('coll…2e51');
    await user.type(names[1]!, 'x-tenant');
    await user.type(values[1]!, 'blue');
    await user.click(screen.getByTestId('monitoring-save'));
    await waitFor(() => expect(client.callsOf('updateSettings')).toHaveLength(2));
    // (The saved settings this test renders stay as they were, so the model limit goes again.)
    expect(client.callsOf('updateSettings')[1]!.otlpHeaders).toEqual({ 'x-api-key': null, 'x-tenant': 'blue' });
  });

  it('refuses to switch the push on without a collector URL, and a renamed header without its value, before sending', async () => {
    const { client, user } = setup({ ...SETTINGS, otlpHeaders: { 'x-api-key': '****' } });
    await user.click(screen.getByTestId('monitoring-otlp-enabled'));
    const name = screen.getByTestId('monitoring-header-name');
    await user.clear(name);
    await user.type(name, 'x-other-key');
    await user.click(screen.getByTestId('monitoring-save'));
    expect(screen.getByText('A collector URL is needed to switch the push on')).toBeTruthy();
    expect(screen.getByTestId('monitoring-otlp-url').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('monitoring-header-value').getAttribute('aria-invalid')).toBe('true');
    expect(client.callsOf('updateSettings')).toHaveLength(0);
  });

  it('shows the server’s problem with a header next to its row', async () => {
    const { user } = setup(STORED, {
      updateSettings: async () => {
        throw new ApiError('validation_failed', 'invalid settings', [{ field: 'otlpHeaders.x-api-key', reason: 'has no stored value to keep: give its value' }]);
      },
    });
    await user.click(screen.getByTestId('monitoring-add-header'));
    await user.type(screen.getAllByTestId('monitoring-header-name')[1]!, 'x-b');
    await user.type(screen.getAllByTestId('monitoring-header-value')[1]!, 'v');
    await user.click(screen.getByTestId('monitoring-save'));
    await screen.findAllByText('has no stored value to keep: give its value');
    expect(screen.getAllByTestId('monitoring-header-value')[0]!.getAttribute('aria-invalid')).toBe('true');
  });

  it('shows how the push runs: the last export, or why it failed', () => {
    setup({ ...STORED, otlpStatus: { running: true, lastExportAt: null, lastError: 'Bad Request' } });
    expect(screen.getByTestId('monitoring-otlp-status').textContent).toContain('The last export failed: Bad Request');
  });

  it('says when the push is off although switched on', () => {
    setup({ ...STORED, otlpStatus: { running: false, lastExportAt: null, lastError: null } });
    expect(screen.getByTestId('monitoring-otlp-status').textContent).toContain('not running');
  });

  it('speaks Simplified Chinese', () => {
    i18n.choice = 'zh-CN';
    setup(SETTINGS);
    expect(screen.getByText('监控')).toBeTruthy();
  });
});
