import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { ForwardingStatus } from '../../../../shared/schemas/forwarding.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import Settings from '../../../../renderer/src/views/Settings.svelte';
import Forwarding from '../../../../renderer/src/views/settings/Forwarding.svelte';
import { makeFakeClient, renderWithClient, type FakeHandlers } from '../../support/fake-client.js';
import { appInfo, SETTINGS } from '../pricing/support.js';
import { applyUpdate, forwardingStatus } from './forwarding-support.js';

const TARGET = 'http://192.168.1.20:7423';

function todayAt(hours: number, minutes: number): number {
  const at = new Date();
  at.setHours(hours, minutes, 0, 0);
  return at.getTime();
}

function setup(saved: ForwardingStatus, handlers: FakeHandlers = {}) {
  const client = makeFakeClient({ getForwarding: async () => saved, setForwarding: async (update) => applyUpdate(saved, update), ...handlers });
  renderWithClient(client, Forwarding);
  return { client, user: userEvent.setup() };
}

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const statusText = () => screen.getByTestId('forwarding-status').textContent ?? '';

describe('Settings → Forwarding', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });
  afterEach(() => {
    i18n.choice = 'en';
  });

  it('switches forwarding on with a target, a token and a name, and shows the stored token only as its mask', async () => {
    const { client, user } = setup(forwardingStatus());
    await screen.findByTestId('forwarding-enabled');
    expect(statusText()).toContain('Forwarding is off');
    expect(input('forwarding-host-name').placeholder).toBe('gpu-box');
    expect(input('forwarding-token').type).toBe('password');

    await user.click(screen.getByTestId('forwarding-enabled'));
    await user.type(input('forwarding-target'), TARGET);
    await user.type(input('forwarding-token'), 'secret-token-42');
    await user.type(input('forwarding-host-name'), 'lab-1');
    await user.click(screen.getByTestId('forwarding-save'));
    await screen.findByTestId('forwarding-saved');

    expect(client.callsOf('setForwarding')).toEqual([{ enabled: true, targetUrl: TARGET, token: 'secret-token-42', hostName: 'lab-1' }]);
    // The form shows what the server answered: the token field is empty again, its mask as the hint.
    expect(input('forwarding-token').value).toBe('');
    expect(input('forwarding-token').placeholder).toBe('unchanged (se…42)');
    expect(input('forwarding-host-name').placeholder).toBe('lab-1');
  });

  it('keeps a stored token when its field stays empty, and removes it only with the clear button', async () => {
    const saved = forwardingStatus({ enabled: true, state: 'idle', targetUrl: TARGET, tokenMask: 'ab…yz' });
    const { client, user } = setup(saved);
    await screen.findByTestId('forwarding-enabled');
    await user.clear(input('forwarding-target'));
    await user.type(input('forwarding-target'), 'http://10.0.0.5:7423');
    await user.click(screen.getByTestId('forwarding-save'));
    await waitFor(() => expect(client.callsOf('setForwarding')).toHaveLength(1));
    expect(client.callsOf('setForwarding')[0]).toEqual({ enabled: true, targetUrl: 'http://10.0.0.5:7423' });

    await user.click(screen.getByTestId('forwarding-token-clear'));
    expect(screen.getByTestId('forwarding-token-cleared')).toBeTruthy();
    expect(input('forwarding-token').disabled).toBe(true);
    await user.click(screen.getByTestId('forwarding-save'));
    await waitFor(() => expect(client.callsOf('setForwarding')).toHaveLength(2));
    expect(client.callsOf('setForwarding')[1]).toEqual({ enabled: true, targetUrl: 'http://10.0.0.5:7423', token: null });
  });

  it('shows problems next to their field before sending anything', async () => {
    const { client, user } = setup(forwardingStatus());
    await screen.findByTestId('forwarding-enabled');
    await user.click(screen.getByTestId('forwarding-enabled'));
    await user.click(screen.getByTestId('forwarding-save'));
    expect(screen.getByText('A target URL is needed to switch forwarding on')).toBeTruthy();
    expect(input('forwarding-target').getAttribute('aria-invalid')).toBe('true');

    await user.type(input('forwarding-target'), 'ftp://laptop:7423');
    await user.type(input('forwarding-host-name'), 'x'.repeat(65));
    await user.click(screen.getByTestId('forwarding-save'));
    expect(screen.getByText('Must be an http(s) URL such as http://192.168.1.20:7423')).toBeTruthy();
    expect(screen.getByText('At most 64 characters')).toBeTruthy();
    expect(input('forwarding-host-name').getAttribute('aria-invalid')).toBe('true');
    expect(client.callsOf('setForwarding')).toHaveLength(0);
  });

  it('shows the server’s problem next to the field it names', async () => {
    const { user } = setup(forwardingStatus(), {
      setForwarding: async () => {
        throw new ApiError('validation_failed', 'invalid forwarding', [{ field: 'hostName', reason: 'host must not be blank' }]);
      },
    });
    await screen.findByTestId('forwarding-enabled');
    await user.type(input('forwarding-host-name'), 'lab-2');
    await user.click(screen.getByTestId('forwarding-save'));
    await screen.findAllByText('host must not be blank');
    expect(input('forwarding-host-name').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('forwarding-saved')).toBeNull();
  });

  it('is read-only with a note while --forward-to set it for this run', async () => {
    setup(forwardingStatus({ enabled: true, state: 'idle', targetUrl: TARGET, fromCommandLine: true }));
    await screen.findByTestId('forwarding-read-only');
    expect(screen.getByTestId('forwarding-read-only').textContent).toContain('--forward-to');
    // Disabled through their fieldset.
    for (const id of ['forwarding-enabled', 'forwarding-target', 'forwarding-token', 'forwarding-host-name']) expect(input(id).matches(':disabled')).toBe(true);
    expect(screen.queryByTestId('forwarding-save')).toBeNull();
  });

  it('follows forwarding events: waiting and unreachable, sending with progress, up to date, refused', async () => {
    const on = forwardingStatus({ enabled: true, state: 'idle', targetUrl: TARGET, lastSentAt: todayAt(9, 5) });
    const { client } = setup(on);
    await waitFor(() => expect(statusText()).toContain('Up to date · last sent 09:05'));

    client.emit({
      type: 'forwarding',
      status: { ...on, state: 'unreachable', waiting: { requests: 3_150, runs: 40, circuits: 10 }, oldestWaitingAt: todayAt(10, 40), unreachableSince: todayAt(10, 42), lastError: 'connect ECONNREFUSED 192.168.1.20:7423' },
    });
    await waitFor(() => expect(statusText()).toContain('3,200 records waiting · target unreachable since 10:42'));
    expect(statusText()).toContain('ECONNREFUSED');

    // The target is back: what this run has sent counts up against what is still waiting.
    client.emit({ type: 'forwarding', status: { ...on, state: 'sending', waiting: { requests: 3_200, runs: 0, circuits: 0 }, sent: { requests: 500, runs: 0, circuits: 0 } } });
    await waitFor(() => expect(statusText()).toContain('Sending… 0 of 3,200'));
    client.emit({ type: 'forwarding', status: { ...on, state: 'sending', waiting: { requests: 2_200, runs: 0, circuits: 0 }, sent: { requests: 1_500, runs: 0, circuits: 0 } } });
    await waitFor(() => expect(statusText()).toContain('Sending… 1,000 of 3,200'));

    client.emit({ type: 'forwarding', status: { ...on, state: 'idle', lastSentAt: todayAt(10, 58), sent: { requests: 3_700, runs: 0, circuits: 0 } } });
    await waitFor(() => expect(statusText()).toContain('Up to date · last sent 10:58'));

    client.emit({ type: 'forwarding', status: { ...on, state: 'rejected', lastError: '401 the token is wrong' } });
    await waitFor(() => expect(statusText()).toContain('Refused: 401 the token is wrong'));
  });

  it('says when the status cannot be read', async () => {
    setup(forwardingStatus(), {
      getForwarding: async () => {
        throw new ApiError('internal', 'forwarding is not built yet');
      },
    });
    await waitFor(() => expect(statusText()).toContain('cannot be read: forwarding is not built yet'));
  });

  it('speaks Simplified Chinese', async () => {
    i18n.choice = 'zh-CN';
    setup(forwardingStatus({ enabled: true, state: 'idle', targetUrl: TARGET, waiting: { requests: 12, runs: 0, circuits: 0 } }));
    await waitFor(() => expect(statusText()).toContain('12 条记录等待中'));
    expect(screen.getByText('转发')).toBeTruthy();
  });
});

describe('the Settings view with Forwarding', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('brings the Forwarding section into view when opened from the lag badge (#/settings/forwarding)', async () => {
    const scrolled: string[] = [];
    const original = Element.prototype.scrollIntoView;
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this.id);
    };
    try {
      const client = makeFakeClient({
        getAppInfo: async () => appInfo(),
        getSettings: async () => SETTINGS,
        getForwarding: async () => forwardingStatus(),
        listRoutes: async () => [],
        listWatchers: async () => [],
        listAgentSources: async () => [],
      });
      renderWithClient(client, Settings, { section: 'forwarding' });
      await screen.findByTestId('settings-forwarding');
      await waitFor(() => expect(scrolled).toEqual(['forwarding']));
    } finally {
      Element.prototype.scrollIntoView = original;
    }
  });
});
