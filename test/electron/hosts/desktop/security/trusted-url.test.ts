import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isExternalWebUrl, isTrustedRendererUrl } from '../../../../../electron/hosts/desktop/security/trusted-url.js';

const rendererDir = path.resolve('/opt/ModelMeter/resources/app.asar/dist/renderer');
const index = pathToFileURL(path.join(rendererDir, 'index.html')).href;

describe('isTrustedRendererUrl', () => {
  it('trusts our index.html with any route', () => {
    expect(isTrustedRendererUrl(index, rendererDir)).toBe(true);
    expect(isTrustedRendererUrl(`${index}#/models/gpt-5`, rendererDir)).toBe(true);
    expect(isTrustedRendererUrl(`${index}?x=1#/quick`, rendererDir)).toBe(true);
  });

  it('refuses other files, other folders and ways around the path', () => {
    expect(isTrustedRendererUrl(pathToFileURL(path.join(rendererDir, 'assets', 'index.js')).href, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(pathToFileURL('/tmp/index.html').href, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(`${pathToFileURL(rendererDir).href}/../renderer-evil/index.html`, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(index.replace('file:///', 'file://attacker.example/'), rendererDir)).toBe(false);
  });

  it('refuses web, devtools and script URLs and garbage', () => {
    for (const url of ['https://example.com/index.html', 'http://127.0.0.1:7423/', 'devtools://devtools/bundled/inspector.html', 'data:text/html,hi', 'javascript:alert(1)', 'not a url', '']) {
      expect(isTrustedRendererUrl(url, rendererDir), url).toBe(false);
    }
  });

  it('ignores letter case where the file system does', () => {
    const upper = index.replace('ModelMeter', 'MODELMETER');
    expect(isTrustedRendererUrl(upper, rendererDir, 'linux')).toBe(false);
    expect(isTrustedRendererUrl(upper, rendererDir, 'darwin')).toBe(true);
  });
});

describe('isExternalWebUrl', () => {
  it('lets only http(s) links out to the browser', () => {
    expect(isExternalWebUrl('https://github.com/x')).toBe(true);
    expect(isExternalWebUrl('http://example.com')).toBe(true);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-settings:', 'nonsense']) expect(isExternalWebUrl(url), url).toBe(false);
  });
});
