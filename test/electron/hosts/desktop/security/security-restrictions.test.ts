import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RENDERER_CSP } from '../../../../../electron/hosts/http/renderer-files.js';
import { SecurityRestrictions } from '../../../../../electron/hosts/desktop/security/security-restrictions.js';
import { FakeWebContents } from '../fakes.js';

const rendererDir = path.resolve('/app/dist/renderer');
const index = pathToFileURL(path.join(rendererDir, 'index.html')).href;

function setup() {
  const opened: string[] = [];
  const logs: string[] = [];
  const security = new SecurityRestrictions({
    rendererDir,
    log: (message) => logs.push(message),
    shell: {
      openExternal: async (url) => {
        opened.push(url);
      },
    },
  });
  const contents = new FakeWebContents();
  security.protect(contents);
  return { contents, opened, logs };
}

describe('SecurityRestrictions', () => {
  it('lets the window move between routes of our page and stops every other navigation and redirect', () => {
    const { contents } = setup();
    expect(contents.navigate(`${index}#/channels`)).toBe(true);
    expect(contents.navigate('https://evil.example/')).toBe(false);
    expect(contents.navigate(pathToFileURL('/etc/passwd').href)).toBe(false);
    expect(contents.navigate('https://evil.example/', 'will-redirect')).toBe(false);
  });

  it('never opens a new window; web links go to the system browser, other schemes nowhere', () => {
    const { contents, opened } = setup();
    expect(contents.openHandler?.({ url: 'https://docs.example/pricing' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://docs.example/pricing']);
  });

  it('refuses webviews', () => {
    const { contents } = setup();
    expect(contents.navigate('x', 'will-attach-webview')).toBe(false);
  });

  it('denies every other permission request and check, even to our own page', () => {
    const { contents } = setup();
    const answers: boolean[] = [];
    const ours = { requestingUrl: `${index}#/settings`, isMainFrame: true };
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      contents.session.permissionRequest?.(contents, permission, (granted) => answers.push(granted), ours);
    }
    expect(answers).toEqual([false, false, false, false, false]);
    expect(contents.session.permissionCheck?.(contents, 'media', 'file://', ours)).toBe(false);
    expect(contents.session.permissionCheck?.(contents, 'clipboard-read', 'file://', ours)).toBe(false);
  });

  it('lets our own page write to the clipboard (the copy buttons), and nothing else', () => {
    const { contents } = setup();
    const ours = { requestingUrl: `${index}#/settings`, isMainFrame: true };
    const answers: boolean[] = [];
    contents.session.permissionRequest?.(contents, 'clipboard-sanitized-write', (granted) => answers.push(granted), ours);
    expect(answers).toEqual([true]);
    expect(contents.session.permissionCheck?.(contents, 'clipboard-sanitized-write', 'file://', ours)).toBe(true);
    // Another page, a subframe, or a check that names no URL: denied.
    for (const details of [{ requestingUrl: 'https://evil.example/', isMainFrame: true }, { requestingUrl: ours.requestingUrl, isMainFrame: false }, { isMainFrame: true }]) {
      contents.session.permissionRequest?.(contents, 'clipboard-sanitized-write', (granted) => answers.push(granted), details);
      expect(contents.session.permissionCheck?.(contents, 'clipboard-sanitized-write', 'file://', details)).toBe(false);
    }
    expect(answers).toEqual([true, false, false, false]);
  });

  it('adds the renderer\'s content security policy to file responses', () => {
    const { contents } = setup();
    let headers: Record<string, string[] | string> | undefined;
    contents.session.headersListener?.({ url: index, responseHeaders: { 'Content-Type': ['text/html'] } }, (response) => (headers = response.responseHeaders));
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [RENDERER_CSP] });
  });
});
