import { RENDERER_CSP } from '../../http/renderer-files.js';
import type { PermissionDetails, SessionLike, ShellLike, WebContentsLike } from '../electron-api.js';
import { isExternalWebUrl, isTrustedRendererUrl } from './trusted-url.js';

export interface SecurityOptions {
  rendererDir: string;
  shell: ShellLike;
  log: (message: string) => void;
  platform?: NodeJS.Platform;
}

/**
 * The one web permission the app's page needs: writing text to the clipboard (navigator.clipboard
 * .writeText, the copy buttons for the API token and route URLs). Reading the clipboard stays denied.
 */
export const GRANTED_PERMISSIONS: readonly string[] = ['clipboard-sanitized-write'];

/**
 * The app shows only its own bundled renderer: navigation elsewhere is stopped, new windows are
 * refused (web links go to the system browser), and no web permission is granted except clipboard
 * writes from the app's own page.
 */
export class SecurityRestrictions {
  private readonly sessions = new WeakSet<SessionLike>();

  constructor(private readonly options: SecurityOptions) {}

  protect(contents: WebContentsLike): void {
    this.protectSession(contents.session);
    contents.on('will-navigate', (event, url) => {
      if (this.trusted(url)) return;
      event.preventDefault();
      this.options.log(`blocked navigation to ${url}`);
    });
    contents.on('will-redirect', (event, url) => {
      if (this.trusted(url)) return;
      event.preventDefault();
      this.options.log(`blocked redirect to ${url}`);
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isExternalWebUrl(url)) {
        this.options.shell.openExternal(url).catch((error: unknown) => this.options.log(`cannot open ${url}: ${(error as Error).message}`));
      } else {
        this.options.log(`blocked a new window for ${url}`);
      }
      return { action: 'deny' };
    });
  }

  protectSession(session: SessionLike): void {
    if (this.sessions.has(session)) return;
    this.sessions.add(session);
    session.setPermissionRequestHandler((_contents, permission, callback, details) => {
      if (this.grants(permission, details)) {
        callback(true);
        return;
      }
      this.options.log(`denied the permission request "${permission}"`);
      callback(false);
    });
    // Chromium checks before it requests: both must agree, or the request is never made.
    session.setPermissionCheckHandler((_contents, permission, _origin, details) => this.grants(permission, details));
    // The meta tag in index.html already carries the policy; the header covers any file served
    // without it. Electron may not route every file: load through webRequest, so this is a second layer.
    session.webRequest.onHeadersReceived({ urls: ['file://*/*'] }, (details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } });
    });
  }

  /** Only for the main frame of the app's own page, by the URL it has loaded. */
  private grants(permission: string, details: PermissionDetails | undefined): boolean {
    if (!GRANTED_PERMISSIONS.includes(permission)) return false;
    return details?.isMainFrame === true && typeof details.requestingUrl === 'string' && this.trusted(details.requestingUrl);
  }

  private trusted(url: string): boolean {
    return isTrustedRendererUrl(url, this.options.rendererDir, this.options.platform);
  }
}
