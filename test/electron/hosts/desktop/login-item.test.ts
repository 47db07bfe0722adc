import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevelopmentLoginItem, HIDDEN_FLAG, loginItemFor, MacLoginItem, quoteExecArgument, startedAtLogin, WindowsLoginItem, XdgAutostart } from '../../../../electron/hosts/desktop/login-item.js';
import { FakeApp } from './fakes.js';
import { useTempDir } from './support.js';

describe('launch at login on Linux (XDG autostart)', () => {
  const temp = useTempDir();

  it('writes and removes ~/.config/autostart/modelmeter.desktop, starting the app hidden', () => {
    const home = temp();
    const item = loginItemFor({ platform: 'linux', packaged: true, app: new FakeApp({ appData: home, downloads: home }), env: {}, home, command: ['/opt/My Apps/electron', '/repo/dist/electron/hosts/desktop/main.js'] });
    expect(item).toBeInstanceOf(XdgAutostart);
    expect(item.get()).toBe(false);
    item.set(true);
    const file = path.join(home, '.config', 'autostart', 'modelmeter.desktop');
    const entry = fs.readFileSync(file, 'utf8');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\nName=ModelMeter\n/);
    expect(entry).toContain(`Exec="/opt/My Apps/electron" /repo/dist/electron/hosts/desktop/main.js ${HIDDEN_FLAG}\n`);
    expect(item.get()).toBe(true);
    item.set(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(item.get()).toBe(false);
  });

  it('follows XDG_CONFIG_HOME and starts the AppImage file, not its temporary mount', () => {
    const home = temp();
    const config = path.join(home, 'cfg');
    const item = loginItemFor({ platform: 'linux', packaged: true, app: new FakeApp({ appData: home, downloads: home }), env: { XDG_CONFIG_HOME: config, APPIMAGE: '/home/me/ModelMeter.AppImage' }, home, command: ['/tmp/.mount_x/modelmeter'] });
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

describe('launch at login on Windows', () => {
  it('reads the setting back with the args it was written with, so the toggle turns on and off', () => {
    const app = new FakeApp({ appData: '/a', downloads: '/d' });
    const item = loginItemFor({ platform: 'win32', packaged: true, app, env: {}, home: '/h', command: [] });
    expect(item).toBeInstanceOf(WindowsLoginItem);
    item.set(true);
    expect(app.loginItem).toEqual({ openAtLogin: true, args: [HIDDEN_FLAG] });
    expect(item.get()).toBe(true);
    item.set(false);
    expect(item.get()).toBe(false);
  });
});

describe('launch at login on macOS', () => {
  it('registers without arguments and starts hidden when login opened it', () => {
    const app = new FakeApp({ appData: '/a', downloads: '/d' });
    const item = loginItemFor({ platform: 'darwin', packaged: true, app, env: {}, home: '/h', command: [] });
    expect(item).toBeInstanceOf(MacLoginItem);
    item.set(true);
    expect(app.loginItem).toEqual({ openAtLogin: true, args: [] });
    expect(item.get()).toBe(true);
    expect(startedAtLogin([], 'darwin', app)).toBe(false);
    app.wasOpenedAtLogin = true;
    expect(startedAtLogin([], 'darwin', app)).toBe(true);
  });

  it('starts hidden from the flag elsewhere', () => {
    const app = new FakeApp({ appData: '/a', downloads: '/d' });
    app.wasOpenedAtLogin = true;
    expect(startedAtLogin([], 'win32', app)).toBe(false);
    expect(startedAtLogin(['/app/modelmeter.exe', HIDDEN_FLAG], 'win32', app)).toBe(true);
  });
});

describe('launch at login in a development run', () => {
  it('is unavailable on every system, with the reason, and registers nothing', () => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      const app = new FakeApp({ appData: '/a', downloads: '/d' });
      const item = loginItemFor({ platform, packaged: false, app, env: {}, home: '/h', command: ['/repo/node_modules/electron/dist/electron'] });
      expect(item).toBeInstanceOf(DevelopmentLoginItem);
      expect(item.get()).toBeNull();
      expect(item.unavailable).toBe('development');
      expect(() => item.set(true)).toThrow(/installed app.*bare Electron/);
      expect(app.loginItem.openAtLogin).toBe(false);
    }
  });
});
