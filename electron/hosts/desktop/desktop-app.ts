import os from 'node:os';
import path from 'node:path';
import type { Language } from '../../../shared/app.js';
import type { LedgerEvent } from '../../../shared/types.js';
import { EVENT_CHANNEL } from '../../../shared/bridge.js';
import { prepareDataDir, APP_FOLDER } from '../core/data-dir.js';
import { PortInUseError } from '../core/start-core.js';
import type { SchemaUpgrade } from '../../ledger/store/database.js';
import { loadToken } from '../core/token.js';
import { APP_USER_MODEL_ID } from './app-identity.js';
import { CircuitNotifier } from './circuit-notifier.js';
import { BudgetNotifier } from './budget-notifier.js';
import type { CoreStarter, DesktopCore } from './core.js';
import type { ElectronDeps, TrayLike } from './electron-api.js';
import { DesktopHost } from './host/desktop-host.js';
import { registerIpcHandlers } from './ipc/ipc-handlers.js';
import { effectiveLanguage, systemLanguage } from './language.js';
import { loginItemFor, startedAtLogin, type LoginItem } from './login-item.js';
import { SecurityRestrictions } from './security/security-restrictions.js';
import { UpgradeNotice } from './upgrade-notice.js';
import { choosePort, DesktopSettingsFile } from './settings.js';
import { EMPTY_TRAY_STATE, trayIconFile } from './tray/render-tray.js';
import { TrayController } from './tray/tray-controller.js';
import { TrayFeed } from './tray/tray-feed.js';
import { taskbarIsDark } from './tray/taskbar-theme.js';
import { isNativeWayland } from './windows/display-session.js';
import { DockPresence } from './windows/dock-presence.js';
import { WindowManager } from './windows/window-manager.js';

export interface DesktopPaths {
  /** dist/renderer: index.html and its assets. */
  rendererDir: string;
  /** The bundled CommonJS preload (dist/preload/preload.cjs). */
  preload: string;
  /** build/tray, or resources/tray in a package. */
  trayIconDir: string;
  /** The window icon (Linux, Windows). */
  windowIcon?: string;
}

export interface DesktopAppOptions {
  paths: DesktopPaths;
  startCore: CoreStarter;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  argv: readonly string[];
  /** The command that starts this app again (for the Linux autostart entry). */
  command: readonly string[];
  home?: string;
  log: (message: string) => void;
}

/**
 * The desktop app: one instance, the ledger core in-process (its HTTP API keeps serving launchers),
 * a tray with today's numbers, the quick view and dashboard windows, and the IPC bridge they use.
 * Every Electron object comes in through `electron`, so this runs against fakes in tests.
 */
export class DesktopApp {
  core: DesktopCore | null = null;
  windows: WindowManager | null = null;
  trayController: TrayController | null = null;
  private tray: TrayLike | null = null;
  private readonly cleanups: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly electron: ElectronDeps,
    private readonly options: DesktopAppOptions,
  ) {}

  /** Resolves false when another instance already runs (it is asked to show itself and this one quits). */
  async run(): Promise<boolean> {
    const { app } = this.electron;
    const { env, log } = this.options;
    app.setName(APP_FOLDER);
    if (this.options.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
    // The same folder the headless server uses by default, whatever Electron derives from package.json.
    app.setPath('userData', env['MODELMETER_DATA_DIR'] || path.join(app.getPath('appData'), APP_FOLDER));
    if (!app.requestSingleInstanceLock()) {
      log('ModelMeter is already running; showing its window instead');
      app.quit();
      return false;
    }
    app.on('second-instance', () => this.windows?.openDashboard());
    app.on('activate', () => this.windows?.openDashboard());
    // A tray app keeps running with no window open.
    app.on('window-all-closed', () => {});
    app.on('before-quit', () => this.windows?.prepareToQuit());
    app.on('will-quit', (event) => {
      if (this.closed) return;
      event.preventDefault();
      void this.shutdown().finally(() => app.quit());
    });
    await app.whenReady();
    await this.ready();
    return true;
  }

  private async ready(): Promise<void> {
    const { app, dialog, nativeTheme, screen, shell, BrowserWindow, Menu, Tray, Notification, ipcMain } = this.electron;
    const { env, platform, paths, log } = this.options;

    const dataDir = prepareDataDir(app.getPath('userData'));
    const settings = new DesktopSettingsFile(dataDir, log);
    const saved = settings.read();
    const token = loadToken(dataDir, env['MODELMETER_TOKEN']);
    const loginItem: LoginItem = loginItemFor({ platform, packaged: app.isPackaged, app, env, home: this.options.home ?? os.homedir(), command: this.options.command });
    const preferred = () => app.getPreferredSystemLanguages();
    const wantedPort = choosePort(saved, env);

    const upgradeNotice = new UpgradeNotice({ Notification, language: () => effectiveLanguage(saved.language, preferred()) });
    const coreOptions = {
      dataDir,
      token,
      appHost: 'desktop' as const,
      beforeUpgrade: (upgrade: SchemaUpgrade) => upgradeNotice.before(upgrade),
      hostInfo: () => {
        const current = settings.read();
        return {
          token,
          launchAtLogin: loginItem.get(),
          language: current.language,
          nextPort: this.core && current.port !== this.core.port ? current.port : null,
        };
      },
      log,
      ...(env['MODELMETER_NATIVE_BINDING'] ? { nativeBinding: env['MODELMETER_NATIVE_BINDING'] } : {}),
    };
    let core: DesktopCore;
    try {
      core = await this.options.startCore({ ...coreOptions, port: wantedPort });
    } catch (error) {
      if (!(error instanceof PortInUseError)) throw error;
      // The app still works on a free port; only launchers pointed at the usual one miss it.
      core = await this.options.startCore({ ...coreOptions, port: 0 });
      const language = effectiveLanguage(saved.language, preferred());
      void dialog.showMessageBox({
        type: 'warning',
        title: 'ModelMeter',
        message: language === 'zh-CN' ? `端口 ${wantedPort} 已被占用` : `Port ${wantedPort} is already in use`,
        detail:
          language === 'zh-CN'
            ? `ModelMeter 暂时在端口 ${core.port} 上运行，指向 ${wantedPort} 的启动器本次无法上报。请在设置中换一个端口，或关闭占用它的程序。`
            : `ModelMeter is running on port ${core.port} for now, so launchers pointed at ${wantedPort} cannot report this time. Choose another port in Settings, or stop the program that holds it.`,
      });
      log(`port ${wantedPort} is in use; listening on ${core.port} instead`);
    }
    this.core = core;

    const security = new SecurityRestrictions({ rendererDir: paths.rendererDir, shell, log, platform });
    const dock = platform === 'darwin' && app.dock ? new DockPresence(app.dock, log) : undefined;
    if (dock) this.cleanups.push(() => dock.cancel());
    const windows = new WindowManager({
      BrowserWindow,
      screen,
      security,
      rendererDir: paths.rendererDir,
      preload: paths.preload,
      platform,
      log,
      nativeWayland: isNativeWayland(platform, env, this.options.argv),
      ...(dock ? { dock } : {}),
      // Windows ends the session without will-quit: close the ledger (flush, checkpoint) now.
      onSessionEnd: () => {
        log('the Windows session is ending; closing the ledger');
        void this.shutdown().finally(() => app.quit());
      },
      ...(paths.windowIcon ? { icon: paths.windowIcon } : {}),
    });
    this.windows = windows;
    if (platform === 'win32') windows.prepareQuickView();

    const darkTaskbar = () => taskbarIsDark(platform, nativeTheme, env);
    const tray = new Tray(path.join(paths.trayIconDir, trayIconFile({ kind: 'normal', theme: darkTaskbar() ? 'dark' : 'light' }, platform)));
    this.tray = tray;
    const controller = new TrayController(
      {
        tray,
        Menu,
        iconDir: paths.trayIconDir,
        platform,
        systemLanguage: () => systemLanguage(preferred()),
        darkTheme: darkTaskbar,
        actions: {
          openQuickView: () => windows.showQuickView(tray),
          openDashboard: (route) => windows.openDashboard(route),
          setLanguage: (language) => this.setLanguage(settings, language),
          setLaunchAtLogin: (enabled) => {
            try {
              loginItem.set(enabled);
            } catch (error) {
              log(`cannot change launch at login: ${(error as Error).message}`);
            }
            controller.setLaunchAtLogin(loginItem.get());
          },
          quit: () => {
            windows.prepareToQuit();
            app.quit();
          },
        },
      },
      {
        ...EMPTY_TRAY_STATE,
        language: saved.language,
        launchAtLogin: loginItem.get(),
        ...(loginItem.unavailable ? { loginItemUnavailable: loginItem.unavailable } : {}),
      },
    );
    this.trayController = controller;
    controller.render();
    tray.on('click', () => windows.toggleQuickView(tray));
    nativeTheme.on('updated', () => controller.themeChanged());

    const feed = new TrayFeed({ service: core.service, target: controller, log });
    void feed.start();
    this.cleanups.push(() => feed.stop());

    const notifier = new CircuitNotifier({
      Notification,
      events: core.service.events,
      language: () => controller.displayLanguage,
      openChannels: () => windows.openDashboard('channels'),
    });
    notifier.start();
    this.cleanups.push(() => notifier.stop());
    const budgetNotifier = new BudgetNotifier({
      Notification,
      events: core.service.events,
      language: () => controller.displayLanguage,
      openBudgets: () => windows.openDashboard('budgets'),
    });
    budgetNotifier.start();
    this.cleanups.push(() => budgetNotifier.stop());

    const toWindows = (event: LedgerEvent): void => {
      for (const window of windows.live()) {
        if (!window.webContents.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event);
      }
    };
    const host = new DesktopHost({
      appInfo: () => core.appInfo(),
      settings,
      loginItem,
      dialog,
      downloadsDir: () => app.getPath('downloads'),
      exportPages: (filter) => core.exportPages(filter),
      exportProgress: (progress) => toWindows({ type: 'export', progress }),
      openDashboard: (route) => windows.openDashboard(route),
      languageChanged: (language) => controller.setLanguage(language),
      launchAtLoginChanged: (enabled) => controller.setLaunchAtLogin(enabled),
    });
    this.cleanups.push(
      registerIpcHandlers({
        ipcMain,
        ledger: core.service,
        host,
        policy: { rendererDir: paths.rendererDir, ownsWebContents: (id) => windows.owns(id), platform },
        log,
      }),
    );
    this.cleanups.push(core.service.events.subscribe(toWindows));

    if (!startedAtLogin(this.options.argv, platform, app)) windows.openDashboard();
    else dock?.dashboardVisible(false);
  }

  private setLanguage(settings: DesktopSettingsFile, language: Language | null): void {
    settings.update({ language });
    this.trayController?.setLanguage(language);
  }

  /** Stops the feeds and closes the core (flush, checkpoint) before the process goes. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.windows?.prepareToQuit();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.tray?.destroy();
    this.tray = null;
    await this.core?.close();
  }
}

