import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ElectronLoginItem, HIDDEN_FLAG, loginItemFor, quoteExecArgument, XdgAutostart } from '../../../electron/desktop/login-item.js';
import { FakeApp } from './fakes.js';
import { useTempDir } from './support.js';

describe('launch at login on Linux (XDG autostart)', () => {
  const temp = useTempDir();

  it('writes and removes ~/.config/autostart/modelmeter.desktop, starting the app hidden', () => {
    const home = temp();
    const item = loginItemFor({ platform: 'linux', app: new FakeApp({ appData: home, downloads: home }), env: {}, home, command: ['/opt/My Apps/electron', '/repo/dist/electron/desktop/main.js'] });
    expect(item).toBeInstanceOf(XdgAutostart);
    expect(item.get()).toBe(false);
    item.set(true);
    const file = path.join(home, '.config', 'autostart', 'modelmeter.desktop');
    const entry = fs.readFileSync(file, 'utf8');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\nName=ModelMeter\n/);
    expect(entry).toContain(`Exec="/opt/My Apps/electron" /repo/dist/electron/desktop/main.js ${HIDDEN_FLAG}\n`);
    expect(item.get()).toBe(true);
    item.set(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(item.get()).toBe(false);
  });

  it('follows XDG_CONFIG_HOME and starts the AppImage file, not its temporary mount', () => {
    const home = temp();
    const config = path.join(home, 'cfg');
    const item = loginItemFor({ platform: 'linux', app: new FakeApp({ appData: home, downloads: home }), env: { XDG_CONFIG_HOME: config, APPIMAGE: '/home/me/ModelMeter.AppImage' }, home, command: ['/tmp/.mount_x/modelmeter'] });
    item.set(true);
    expect(fs.readFileSync(path.join(config, 'autostart', 'modelmeter.desktop'), 'utf8')).toContain('Exec=/home/me/ModelMeter.AppImage --hidden\n');
  });

  it('counts an entry the user disabled in the desktop\'s settings as off', () => {
    const home = temp();
    const item = new XdgAutostart(home, ['modelmeter']);
    item.set(true);
    fs.appendFileSync(item.file, 'Hidden=true\n');
    expect(item.get()).toBe(false);
  });

  it('quotes Exec arguments as the Desktop Entry spec says', () => {
    expect(quoteExecArgument('/usr/bin/modelmeter')).toBe('/usr/bin/modelmeter');
    expect(quoteExecArgument('/a b/$x"y\\')).toBe('"/a b/\\$x\\"y\\\\"');
    expect(quoteExecArgument('100%')).toBe('"100%%"');
  });
});

describe('launch at login on Windows and macOS', () => {
  it('uses Electron\'s login item settings', () => {
    const app = new FakeApp({ appData: '/a', downloads: '/d' });
    const item = loginItemFor({ platform: 'win32', app, env: {}, home: '/h', command: [] });
    expect(item).toBeInstanceOf(ElectronLoginItem);
    item.set(true);
    expect(app.loginItem).toEqual({ openAtLogin: true, args: [HIDDEN_FLAG] });
    expect(item.get()).toBe(true);
  });
});
