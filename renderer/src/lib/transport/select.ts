import { BRIDGE_GLOBAL, type DesktopBridge } from '../../../../shared/bridge.js';
import type { ModelMeterClient } from './client.js';
import { httpClient } from './http.js';
import { ipcClient } from './ipc.js';

const TOKEN_KEY = 'modelmeter.token';

interface TokenSources {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * The token from the `/#token=...` link printed at start, kept for this tab (so a reload works) and
 * removed from the address bar so it does not end up in bookmarks or screenshots.
 */
export function takeToken(sources: TokenSources): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(sources.location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]!);
    sources.storage.setItem(TOKEN_KEY, token);
    const rest = sources.location.hash.replace(/^#/, '').replace(/(?:^|&)token=[^&]+/, '').replace(/^&/, '');
    sources.history.replaceState(null, '', `${sources.location.pathname}${sources.location.search}${rest ? `#${rest}` : '#/'}`);
    return token;
  }
  return sources.storage.getItem(TOKEN_KEY);
}

export function rememberToken(storage: Pick<Storage, 'setItem'>, token: string): void {
  storage.setItem(TOKEN_KEY, token);
}

const REFUSED_KEY = 'modelmeter.tokenRefused';

/** Drops a refused token, so the next start asks for one, and notes why for the token form. */
export function forgetToken(storage: Pick<Storage, 'removeItem' | 'setItem'>): void {
  storage.removeItem(TOKEN_KEY);
  storage.setItem(REFUSED_KEY, '1');
}

/** Whether the last token was refused; asked once, by the token form. */
export function takeTokenRefused(storage: Pick<Storage, 'getItem' | 'removeItem'>): boolean {
  const refused = storage.getItem(REFUSED_KEY) === '1';
  storage.removeItem(REFUSED_KEY);
  return refused;
}

/** IPC when the desktop preload is there, HTTP with a token otherwise; null when a token is needed. */
export function chooseClient(): ModelMeterClient | null {
  const bridge = (globalThis as { [BRIDGE_GLOBAL]?: DesktopBridge })[BRIDGE_GLOBAL];
  if (bridge) return ipcClient(bridge);
  const token = takeToken({ location: globalThis.location, history: globalThis.history, storage: globalThis.sessionStorage });
  return token ? httpClient({ token }) : null;
}
