import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { channelOf, EVENT_CHANNEL } from '../../../../shared/bridge.js';
import { startDesktopCore, type CoreStarter } from '../../../../electron/hosts/desktop/core.js';
import { DesktopApp } from '../../../../electron/hosts/desktop/desktop-app.js';
import { DESKTOP_SETTINGS_FILE } from '../../../../electron/hosts/desktop/settings.js';
import { DOCK_SETTLE_MS } from '../../../../electron/hosts/desktop/windows/dock-presence.js';
import { click, FakeDock, fakeElectron, FakeEvent, FakeNotification, FakeTray, FakeWindow, menuItem, type FakeElectron, type FakeMenu } from './fakes.js';
import { useTempDir } from './support.js';

const rendererDir = path.resolve('/app/dist/renderer');
const paths = { rendererDir, preload: '/app/dist/preload/preload.cjs', trayIconDir: '/app/build/tray' };

describe('DesktopApp', () => {
  const temp = useTempDir();
  const apps: DesktopApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.shutdown();
  });

  function create(
    options: { env?: NodeJS.ProcessEnv; argv?: string[]; platform?: NodeJS.Platform; packaged?: boolean; configure?: (electron: FakeElectron) => void; startCore?: CoreStarter } = {},
  ): {
    electron: FakeElectron;
    desktop: DesktopApp;
    dataDir: string;
  } {
    const root = temp();
    const dataDir = path.join(root, 'data');
    const electron = fakeElectron({ appData: path.join(root, 'appdata'), downloads: root });
    electron.app.isPackaged = options.packaged ?? true;
    options.configure?.(electron);
    const desktop = new DesktopApp(electron, {
      paths,
      startCore: options.startCore ?? startDesktopCore,
      env: { MODELMETER_DATA_DIR: dataDir, MODELMETER_PORT: '0', ...options.env },
      platform: options.platform ?? 'linux',
      argv: options.argv ?? [],
      command: ['/usr/bin/modelmeter'],
      home: root,
      log: () => {},
    });
    apps.push(desktop);
    return { electron, desktop, dataDir };
  }

  it('quits at once when another instance holds the lock, starting nothing', async () => {
    const { electron, desktop } = create();
    electron.app.lock = false;
    expect(await desktop.run()).toBe(false);
    expect(electron.app.quitCalls).toBe(1);
    expect(desktop.core).toBeNull();
    expect(FakeTray.created).toHaveLength(0);
  });

  it('shows its dashboard when a second instance is started', async () => {
    const { electron, desktop } = create({ argv: ['--hidden'] });
    expect(await desktop.run()).toBe(true);
    expect(FakeWindow.created).toHaveLength(0);
    electron.app.emit('second-instance');
    const dashboard = FakeWindow.created[0]!;
    dashboard.paint();
    expect(dashboard.visible).toBe(true);
    expect(dashboard.focused).toBe(true);
    dashboard.close();
    expect(dashboard.visible).toBe(false);
    electron.app.emit('second-instance');
    expect(dashboard.visible).toBe(true);
    expect(FakeWindow.created).toHaveLength(1);
  });

  it('runs the core in its data folder with a tray, and serves the bridge to its own window only', async () => {
    const { electron, desktop, dataDir } = create();
    await desktop.run();
    expect(electron.app.getPath('userData')).toBe(dataDir);
    expect(fs.existsSync(path.join(dataDir, 'modelmeter.db'))).toBe(true);
    const tray = FakeTray.created[0]!;
    // A Linux panel gets the light glyph (the icon for dark bars) by default.
    expect(tray.images.at(-1)).toBe(path.join(paths.trayIconDir, 'tray-normal-dark.png'));
    expect(menuItem((tray.contextMenu as FakeMenu).template, 'Open dashboard')).toBeDefined();

    const dashboard = FakeWindow.created[0]!;
    const frame = { url: `${pathToFileURL(path.join(rendererDir, 'index.html')).href}#/overview`, parent: null };
    const info = await electron.ipcMain.invoke(channelOf('getAppInfo'), undefined, { senderId: dashboard.webContents.id, frame });
    expect(info).toMatchObject({ ok: true, value: { host: 'desktop', dataDir, language: null, launchAtLogin: false } });
    const foreign = await electron.ipcMain.invoke(channelOf('getAppInfo'), undefined, { senderId: 12345, frame });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'unauthorized' } });

    // A ledger change reaches every live window.
    const run = await electron.ipcMain.invoke(channelOf('reportRun'), { model: 'qwen3', event: 'start' }, { senderId: dashboard.webContents.id, frame });
    expect(run).toMatchObject({ ok: true });
    expect(dashboard.webContents.sent.some((message) => message.channel === EVENT_CHANNEL && (message.args[0] as { type: string }).type === 'runs')).toBe(true);
  });

  it("saves an export through the bridge, its progress reaching the windows", async () => {
    const { electron, desktop, dataDir } = create();
    await desktop.run();
    const dashboard = FakeWindow.created[0]!;
    const frame = { url: `${pathToFileURL(path.join(rendererDir, 'index.html')).href}#/data`, parent: null };
    const sender = { senderId: dashboard.webContents.id, frame };
    const ts = Date.now() - 60_000;
    await electron.ipcMain.invoke(channelOf('ingestRequests'), [{ model: 'qwen3', ts, inputTokens: 5 }, { model: 'qwen3', ts: ts + 1, inputTokens: 6 }], sender);
    const file = path.join(dataDir, 'requests.csv');
    electron.dialog.saveAnswer = { canceled: false, filePath: file };
    expect(await electron.ipcMain.invoke(channelOf('saveExport'), { format: 'csv' }, sender)).toEqual({ ok: true, value: { file } });
    const progress = dashboard.webContents.sent.filter((message) => message.channel === EVENT_CHANNEL && (message.args[0] as { type: string }).type === 'export');
    expect(progress.at(-1)?.args[0]).toEqual({ type: 'export', progress: { requests: 2, total: 2, bytes: fs.statSync(file).size } });
    expect(await electron.ipcMain.invoke(channelOf('cancelExport'), undefined, sender)).toEqual({ ok: true, value: { cancelled: false } });
  });

  it('says so in a notification before a big ledger is upgraded, in the saved language, before any tray', async () => {
    FakeNotification.shown = [];
    const seen: { notices: number; trays: number }[] = [];
    const { desktop, dataDir } = create({
      startCore: async (options) => {
        await options.beforeUpgrade?.({ from: 16, to: 17, bytes: 714_000_000 });
        seen.push({ notices: FakeNotification.shown.length, trays: FakeTray.created.length });
        return startDesktopCore(options);
      },
    });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, DESKTOP_SETTINGS_FILE), JSON.stringify({ language: 'zh-CN' }));
    await desktop.run();
    expect(seen).toEqual([{ notices: 1, trays: 0 }]);
    expect(FakeNotification.shown[0]!.options.title).toBe('正在升级账本');
  });

  it('changes language from the tray menu, saves it and redraws the menu in it', async () => {
    const { desktop, dataDir } = create();
    await desktop.run();
    const tray = FakeTray.created[0]!;
    click(menuItem((tray.contextMenu as FakeMenu).template, '简体中文'));
    expect(menuItem((tray.contextMenu as FakeMenu).template, '打开仪表盘')).toBeDefined();
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, DESKTOP_SETTINGS_FILE), 'utf8'))).toMatchObject({ language: 'zh-CN' });
  });

  it('still runs when its port is taken, on another one, and says so', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const { electron, desktop } = create({ env: { MODELMETER_PORT: String(taken) } });
      await desktop.run();
      expect(desktop.core?.port).not.toBe(taken);
      expect(electron.dialog.messages[0]).toMatchObject({ type: 'warning', message: `Port ${taken} is already in use` });
      expect(desktop.core?.appInfo().nextPort).toBe(7423);
    } finally {
      blocker.close();
    }
  });

  it('closes the core before quitting', async () => {
    const { electron, desktop } = create();
    await desktop.run();
    const quit = new FakeEvent();
    electron.app.emit('will-quit', quit);
    expect(quit.defaultPrevented).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(electron.app.quitCalls).toBe(1);
    expect(FakeTray.created[0]!.destroyed).toBe(true);
    const again = new FakeEvent();
    electron.app.emit('will-quit', again);
    expect(again.defaultPrevented).toBe(false);
  });

  it('on Windows takes the installer\'s appId as its AppUserModelID before anything else', async () => {
    const { electron, desktop } = create({ platform: 'win32' });
    await desktop.run();
    const yml = fs.readFileSync('electron-builder.yml', 'utf8');
    const appId = /^appId:\s*(\S+)\s*$/m.exec(yml)?.[1];
    expect(appId).toBeDefined();
    expect(electron.app.appUserModelId).toBe(appId);
  });

  it('on Windows draws the tray glyph for the taskbar\'s theme (an .ico), not the apps\' theme', async () => {
    const { desktop } = create({
      platform: 'win32',
      configure: (electron) => {
        electron.nativeTheme = { shouldUseDarkColors: false, shouldUseDarkColorsForSystemIntegratedUI: true, on: () => undefined };
      },
    });
    await desktop.run();
    expect(FakeTray.created[0]!.images.at(-1)).toBe(path.join(paths.trayIconDir, 'tray-normal-dark.ico'));
  });

  it('on Windows closes the ledger when the session ends (log-off, shut-down), where will-quit never comes', async () => {
    const { electron, desktop } = create({ platform: 'win32', argv: ['--hidden'] });
    await desktop.run();
    const core = desktop.core!;
    let closed = 0;
    const close = core.close.bind(core);
    core.close = async () => {
      closed += 1;
      await close();
    };
    // Started hidden, yet there is a window to receive session-end.
    const quick = FakeWindow.created[0]!;
    expect(quick.visible).toBe(false);
    quick.emit('session-end', { reasons: ['logoff'] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(1);
    expect(electron.app.quitCalls).toBe(1);
  });

  it('on macOS stays in the tray with no Dock icon when login opened it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const dock = new FakeDock();
      const { desktop } = create({
        platform: 'darwin',
        configure: (electron) => {
          electron.app.wasOpenedAtLogin = true;
          electron.app.dock = dock;
        },
      });
      await desktop.run();
      expect(FakeWindow.created.filter((window) => window.options.width === 1200)).toHaveLength(0);
      vi.advanceTimersByTime(DOCK_SETTLE_MS);
      expect(dock.calls).toEqual(['hide']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('in a development run shows launch at login disabled with the reason, and refuses to register it', async () => {
    const { electron, desktop } = create({ packaged: false });
    await desktop.run();
    const tray = FakeTray.created[0]!;
    expect(menuItem((tray.contextMenu as FakeMenu).template, 'Launch at login (installed app only)')).toMatchObject({ enabled: false });
    const dashboard = FakeWindow.created[0]!;
    const frame = { url: `${pathToFileURL(path.join(rendererDir, 'index.html')).href}#/settings`, parent: null };
    const info = await electron.ipcMain.invoke(channelOf('getAppInfo'), undefined, { senderId: dashboard.webContents.id, frame });
    expect(info).toMatchObject({ ok: true, value: { launchAtLogin: null } });
    const answer = await electron.ipcMain.invoke(channelOf('setLaunchAtLogin'), { enabled: true }, { senderId: dashboard.webContents.id, frame });
    expect(answer).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/installed app/) } });
  });
});
