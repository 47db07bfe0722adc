import { render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../../../renderer/src/App.svelte';
import ForwardingBadge from '../../../../renderer/src/lib/components/ForwardingBadge.svelte';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';
import { appInfo } from '../../views/overview/fixtures.js';
import { forwardingStatus } from '../../views/settings/forwarding-support.js';

const TARGET = 'http://192.168.1.20:7423';
const on = forwardingStatus({ enabled: true, state: 'idle', targetUrl: TARGET });
const badge = () => screen.queryByTestId('forwarding-badge');

describe('the forwarding lag badge', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('shows only while forwarding is on and the target is away, refuses, or is behind; it links to Settings → Forwarding', async () => {
    const client = makeFakeClient({ getForwarding: async () => on });
    renderWithClient(client, ForwardingBadge);
    await waitFor(() => expect(client.callsOf('getForwarding')).toHaveLength(1));
    expect(badge()).toBeNull();

    client.emit({ type: 'forwarding', status: { ...on, state: 'unreachable', unreachableSince: Date.now() - 5_000, waiting: { requests: 3_200, runs: 0, circuits: 0 }, oldestWaitingAt: Date.now() } });
    await waitFor(() => expect(badge()?.textContent).toContain('Forwarding: target unreachable'));
    expect(badge()!.getAttribute('href')).toBe('#/settings/forwarding');

    // Waiting for a moment is a batch in the making, not lag.
    client.emit({ type: 'forwarding', status: { ...on, waiting: { requests: 3_200, runs: 0, circuits: 0 }, oldestWaitingAt: Date.now() - 5_000 } });
    await waitFor(() => expect(badge()).toBeNull());
    client.emit({ type: 'forwarding', status: { ...on, waiting: { requests: 3_200, runs: 0, circuits: 0 }, oldestWaitingAt: Date.now() - 120_000 } });
    await waitFor(() => expect(badge()?.textContent).toContain('Forwarding: 3,200 waiting'));

    client.emit({ type: 'forwarding', status: { ...on, state: 'rejected', lastError: '401' } });
    await waitFor(() => expect(badge()?.textContent).toContain('Forwarding refused'));

    // Switched off: whatever still waits, no badge.
    client.emit({ type: 'forwarding', status: { ...on, enabled: false, state: 'off', waiting: { requests: 3_200, runs: 0, circuits: 0 }, oldestWaitingAt: 0 } });
    await waitFor(() => expect(badge()).toBeNull());
  });

  it('sits in the dashboard’s status area, and shows nothing where the status cannot be read', async () => {
    location.hash = '#/data';
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    const client = makeFakeClient({
      getAppInfo: async () => appInfo(),
      getForwarding: async () => ({ ...on, state: 'unreachable', unreachableSince: Date.now() }),
    });
    render(App, { client });
    const shown = await screen.findByTestId('forwarding-badge');
    expect(shown.closest('nav')).toBeTruthy();

    client.handle({ getForwarding: async () => Promise.reject(new Error('forwarding is not built yet')) });
    const none = makeFakeClient({ getForwarding: async () => Promise.reject(new Error('forwarding is not built yet')) });
    renderWithClient(none, ForwardingBadge);
    await waitFor(() => expect(none.callsOf('getForwarding')).toHaveLength(1));
    expect(screen.getAllByTestId('forwarding-badge')).toHaveLength(1);
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    renderWithClient(makeFakeClient({ getForwarding: async () => ({ ...on, state: 'rejected', lastError: '401' }) }), ForwardingBadge);
    await waitFor(() => expect(badge()?.textContent).toContain('转发被拒绝'));
  });
});
