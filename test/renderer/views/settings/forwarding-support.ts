import type { ForwardingStatus, ForwardingUpdate } from '../../../../shared/schemas/forwarding.js';

/** Forwarding as a fresh install answers it: off, nothing waiting, named after the OS host. */
export function forwardingStatus(overrides: Partial<ForwardingStatus> = {}): ForwardingStatus {
  return {
    enabled: false,
    targetUrl: null,
    hostName: 'gpu-box',
    tokenMask: null,
    fromCommandLine: false,
    state: 'off',
    waiting: { requests: 0, runs: 0, circuits: 0 },
    oldestWaitingAt: null,
    unreachableSince: null,
    lastError: null,
    lastSentAt: null,
    sent: { requests: 0, runs: 0, circuits: 0 },
    ...overrides,
  };
}

/** What the server would answer an update with: the token comes back only as a mask. */
export function applyUpdate(saved: ForwardingStatus, update: ForwardingUpdate): ForwardingStatus {
  const tokenMask = update.token === undefined ? saved.tokenMask : update.token === null ? null : `${update.token.slice(0, 2)}…${update.token.slice(-2)}`;
  return {
    ...saved,
    enabled: update.enabled,
    targetUrl: update.targetUrl === undefined ? saved.targetUrl : update.targetUrl,
    hostName: update.hostName ?? saved.hostName,
    tokenMask,
    state: update.enabled ? 'idle' : 'off',
  };
}
