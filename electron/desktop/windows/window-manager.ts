import path from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import type { ScreenLike, TrayLike, WindowFactory, WindowLike } from '../electron-api.js';
import type { SecurityRestrictions } from '../security/security-restrictions.js';
import { RENDERER_ENTRY } from '../security/trusted-url.js';
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
      created.once('ready-to-show', () => created.show());
      this.load(created, route);
    } else if (route !== undefined) {
      this.load(window, route);
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
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
    let window = this.quick;
    if (!window || window.isDestroyed()) {
      window = this.create({
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
      });
      this.quick = window;
      const created = window;
      created.on('blur', () => {
        if (this.blurTimer) clearTimeout(this.blurTimer);
        this.blurTimer = setTimeout(() => {
          this.blurTimer = null;
          if (!created.isDestroyed()) created.hide();
        }, BLUR_HIDE_DELAY_MS);
      });
      this.load(created, 'quick');
    }
    if (this.blurTimer) clearTimeout(this.blurTimer);
    this.blurTimer = null;
    const { x, y } = popoverPosition({ platform: this.options.platform, trayBounds: tray.getBounds(), size: QUICK_VIEW_SIZE, screen: this.options.screen });
    window.setPosition(x, y);
    window.show();
    window.focus();
    return window;
  }

  hideQuickView(): void {
    if (this.blurTimer) clearTimeout(this.blurTimer);
    this.blurTimer = null;
    if (this.quick && !this.quick.isDestroyed()) this.quick.hide();
  }

  private create(options: BrowserWindowConstructorOptions): WindowLike {
    const window = new this.options.BrowserWindow({
      ...options,
      ...(this.options.icon ? { icon: this.options.icon } : {}),
      webPreferences: secureWebPreferences(this.options.preload),
    });
    this.options.security.protect(window.webContents);
    window.on('close', (event) => {
      if (this.quitting) return;
      event.preventDefault();
      window.hide();
    });
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
