import path from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import { SHOWN_CHANNEL } from '../../../../shared/bridge.js';
import type { ScreenLike, TrayLike, WindowFactory, WindowLike } from '../electron-api.js';
import type { SecurityRestrictions } from '../security/security-restrictions.js';
import { RENDERER_ENTRY } from '../security/trusted-url.js';
import type { DockPresence } from './dock-presence.js';
import { popoverPosition } from './popover-position.js';

export const QUICK_VIEW_SIZE = { width: 380, height: 560 } as const;
/** Long enough for the tray click that caused the blur to arrive and see the window still shown. */
export const BLUR_HIDE_DELAY_MS = 150;

export interface WindowManagerOptions {
  BrowserWindow: WindowFactory;
  screen: ScreenLike;
  security: SecurityRestrictions;
  rendererDir: string;
  preload: string;
  platform: NodeJS.Platform;
  /** The window icon on Linux and Windows (macOS uses the bundle's). */
  icon?: string;
  /** A native Wayland client (display-session.ts): windows cannot be placed or raised. */
  nativeWayland?: boolean;
  /** macOS: the Dock icon follows the dashboard window. */
  dock?: DockPresence;
  /** Windows: the session is ending (log off, shut down, restart); will-quit will not come. */
  onSessionEnd?: () => void;
  log: (message: string) => void;
}

/** Settings every window gets: the renderer is untrusted web content with one narrow bridge. */
export function secureWebPreferences(preload: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Route text ("models/gpt-5") to the hash loadFile wants ("/models/gpt-5"). */
export function routeHash(route: string | undefined): string {
  const clean = (route ?? 'overview').replace(/^[#/]+/, '');
  return `/${clean || 'overview'}`;
}

/**
 * The dashboard window and the quick-view popover. Both hide instead of closing (the app lives in
 * the tray) until the app quits.
 */
export class WindowManager {
  private dashboard: WindowLike | null = null;
  private quick: WindowLike | null = null;
  private blurTimer: NodeJS.Timeout | null = null;
  /** The quick view has painted once (ready-to-show), so showing it shows no blank frame. */
  private quickPainted = false;
  /** It was asked for before it painted: shown on ready-to-show. */
  private quickWanted = false;
  private quitting = false;

  constructor(private readonly options: WindowManagerOptions) {}

  get indexFile(): string {
    return path.join(this.options.rendererDir, RENDERER_ENTRY);
  }

  /** Windows whose webContents may call the bridge. */
  live(): WindowLike[] {
    return [this.dashboard, this.quick].filter((window): window is WindowLike => window !== null && !window.isDestroyed());
  }

  owns(webContentsId: number): boolean {
    return this.live().some((window) => window.webContents.id === webContentsId);
  }

  /** After this, closing a window really closes it. */
  prepareToQuit(): void {
    this.quitting = true;
  }

  openDashboard(route?: string): WindowLike {
    let window = this.dashboard;
    if (!window || window.isDestroyed()) {
      window = this.create({
        width: 1200,
        height: 800,
        minWidth: 720,
        minHeight: 480,
        title: 'ModelMeter',
        show: false,
        autoHideMenuBar: true,
      });
      this.dashboard = window;
      const created = window;
      // Shown once the page has painted, never as an empty frame first.
      created.once('ready-to-show', () => {
        if (created.isDestroyed()) return;
        created.show();
        created.focus();
      });
      created.on('closed', () => this.options.dock?.dashboardVisible(false));
      this.load(created, route);
    } else {
      if (route !== undefined) this.load(window, route);
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
    }
    this.options.dock?.dashboardVisible(true);
    this.hideQuickView();
    return window;
  }

  /** The tray click: show the popover by the icon, or hide it when it is already up. */
  toggleQuickView(tray: Pick<TrayLike, 'getBounds'>): void {
    if (this.quick && !this.quick.isDestroyed() && this.quick.isVisible()) {
      this.hideQuickView();
      return;
    }
    this.showQuickView(tray);
  }

  showQuickView(tray: Pick<TrayLike, 'getBounds'>): WindowLike {
    const window = this.quickWindow();
    if (this.blurTimer) clearTimeout(this.blurTimer);
    this.blurTimer = null;
    // A Wayland client cannot place itself: the compositor puts the (framed) window where it likes.
    if (!this.options.nativeWayland) {
      const { x, y } = popoverPosition({ platform: this.options.platform, trayBounds: tray.getBounds(), size: QUICK_VIEW_SIZE, screen: this.options.screen });
      window.setPosition(x, y);
    }
    if (this.quickPainted) {
      window.show();
      window.focus();
    } else {
      this.quickWanted = true;
    }
    return window;
  }

  /**
   * Creates the quick view without showing it. On Windows this gives the app a window from the
   * start: `session-end` is a window event, and a tray app may have none open at log-off.
   */
  prepareQuickView(): void {
    this.quickWindow();
  }

  hideQuickView(): void {
    if (this.blurTimer) clearTimeout(this.blurTimer);
    this.blurTimer = null;
    this.quickWanted = false;
    if (this.quick && !this.quick.isDestroyed()) this.quick.hide();
  }

  private quickWindow(): WindowLike {
    if (this.quick && !this.quick.isDestroyed()) return this.quick;
    const wayland = this.options.nativeWayland === true;
    const mac = this.options.platform === 'darwin';
    const window = this.create(
      wayland
        ? // A normal window the compositor centres and the user can move: a popover that cannot be
          // placed by the tray, kept on top or raised would open anywhere and get lost behind others.
          { ...QUICK_VIEW_SIZE, title: 'ModelMeter', center: true, resizable: false, minimizable: false, maximizable: false, fullscreenable: false, show: false }
        : {
            ...QUICK_VIEW_SIZE,
            frame: false,
            resizable: false,
            movable: false,
            minimizable: false,
            maximizable: false,
            fullscreenable: false,
            skipTaskbar: true,
            alwaysOnTop: true,
            show: false,
            ...(mac ? { hiddenInMissionControl: true } : {}),
          },
    );
    this.quick = window;
    this.quickPainted = false;
    this.quickWanted = false;
    if (mac && !wayland) {
      // On the Space the user is on, over full-screen apps too, like a menu bar extra. The Dock
      // icon is handled by DockPresence, so Electron must not switch the process type here.
      window.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true, skipTransformProcessType: true });
      window.setAlwaysOnTop(true, 'pop-up-menu');
    }
    window.once('ready-to-show', () => {
      this.quickPainted = true;
      if (!this.quickWanted || window.isDestroyed()) return;
      this.quickWanted = false;
      window.show();
      window.focus();
    });
    if (!wayland) {
      window.on('blur', () => {
        if (this.blurTimer) clearTimeout(this.blurTimer);
        this.blurTimer = setTimeout(() => {
          this.blurTimer = null;
          if (!window.isDestroyed()) window.hide();
        }, BLUR_HIDE_DELAY_MS);
      });
    }
    this.load(window, 'quick');
    return window;
  }

  private create(options: BrowserWindowConstructorOptions): WindowLike {
    const window = new this.options.BrowserWindow({
      ...options,
      ...(this.options.icon ? { icon: this.options.icon } : {}),
      webPreferences: secureWebPreferences(this.options.preload),
    });
    this.options.security.protect(window.webContents);
    // The page's views stop refreshing while their window is hidden (to the tray, or never shown yet).
    const tellShown = (shown: boolean) => {
      if (!window.isDestroyed() && !window.webContents.isDestroyed()) window.webContents.send(SHOWN_CHANNEL, shown);
    };
    window.on('show', () => tellShown(true));
    window.on('hide', () => tellShown(false));
    window.webContents.on('did-finish-load', () => tellShown(!window.isDestroyed() && window.isVisible()));
    window.on('close', (event) => {
      if (this.quitting) return;
      event.preventDefault();
      window.hide();
      if (window === this.dashboard) this.options.dock?.dashboardVisible(false);
    });
    if (this.options.platform === 'win32' && this.options.onSessionEnd) {
      const onSessionEnd = this.options.onSessionEnd;
      window.on('session-end', () => onSessionEnd());
    }
    window.on('closed', () => {
      if (this.dashboard === window) this.dashboard = null;
      if (this.quick === window) this.quick = null;
    });
    return window;
  }

  private load(window: WindowLike, route: string | undefined): void {
    window.loadFile(this.indexFile, { hash: routeHash(route) }).catch((error: unknown) => this.options.log(`cannot load the renderer: ${(error as Error).message}`));
  }
}
