/**
 * The slices of Electron the desktop shell uses, as plain interfaces. Classes take these instead of
 * importing 'electron', so tests hand them small fakes and only main.ts touches the real module; the
 * compiler checks there that the real objects fit. Methods (not function-valued properties) keep the
 * parameter checks loose enough for Electron's many event overloads.
 */
import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions } from 'electron';
import type { DockLike } from './windows/dock-presence.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface DisplayLike {
  bounds: Rect;
  workArea: Rect;
}

export interface PreventableEvent {
  preventDefault(): void;
}

export interface AppLike {
  readonly isPackaged: boolean;
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<unknown>;
  quit(): void;
  exit(code?: number): void;
  setName(name: string): void;
  /** Windows: the identity shortcuts, notifications and taskbar pinning group by. */
  setAppUserModelId(id: string): void;
  /** macOS only (undefined elsewhere). */
  readonly dock?: DockLike | undefined;
  getPath(name: 'appData' | 'userData' | 'downloads'): string;
  setPath(name: 'userData', path: string): void;
  getPreferredSystemLanguages(): string[];
  /** `args` must match what setLoginItemSettings wrote (Windows compares them). */
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean; wasOpenedAtLogin?: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'activate', listener: () => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  on(event: 'before-quit', listener: () => void): unknown;
  on(event: 'will-quit', listener: (event: PreventableEvent) => void): unknown;
}

/** An opaque built menu: only ever handed back to the tray. */
export type MenuHandle = object;

export interface MenuFactory {
  buildFromTemplate(template: MenuItemConstructorOptions[]): MenuHandle;
}

export interface TrayLike {
  setImage(image: string): void;
  setToolTip(toolTip: string): void;
  setContextMenu(menu: MenuHandle | null): void;
  popUpContextMenu(menu?: MenuHandle): void;
  getBounds(): Rect;
  destroy(): void;
  on(event: 'click', listener: () => void): unknown;
  on(event: 'right-click', listener: () => void): unknown;
}

export type TrayFactory = new (image: string) => TrayLike;

export interface WebRequestLike {
  onHeadersReceived(
    filter: { urls: string[] },
    listener: (details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[] | string> }) => void) => void,
  ): void;
}

/** What Electron tells a permission handler about the frame asking (PermissionRequest / PermissionCheckHandlerHandlerDetails). */
export interface PermissionDetails {
  /** The last URL the asking frame loaded (may be missing for checks). */
  requestingUrl?: string;
  isMainFrame: boolean;
}

export interface SessionLike {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: PermissionDetails) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string, requestingOrigin: string, details: PermissionDetails) => boolean): void;
  readonly webRequest: WebRequestLike;
}

export interface WebContentsLike {
  readonly id: number;
  readonly session: SessionLike;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  on(event: 'did-finish-load', listener: () => void): unknown;
}

export interface WindowLike {
  readonly webContents: WebContentsLike;
  loadFile(file: string, options?: { hash?: string }): Promise<void>;
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  isVisible(): boolean;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  setPosition(x: number, y: number): void;
  setVisibleOnAllWorkspaces(visible: boolean, options?: { visibleOnFullScreen?: boolean; skipTransformProcessType?: boolean }): void;
  setAlwaysOnTop(flag: boolean, level?: 'pop-up-menu' | 'floating' | 'status'): void;
  on(event: 'close', listener: (event: PreventableEvent) => void): unknown;
  /** Windows: log-off, shut-down or restart; the session ends whatever the app does. */
  on(event: 'session-end', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  on(event: 'blur', listener: () => void): unknown;
  on(event: 'show', listener: () => void): unknown;
  on(event: 'hide', listener: () => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
}

export type WindowFactory = new (options: BrowserWindowConstructorOptions) => WindowLike;

export interface ScreenLike {
  getDisplayMatching(rect: Rect): DisplayLike;
  getDisplayNearestPoint(point: Point): DisplayLike;
  getCursorScreenPoint(): Point;
}

export interface NotificationLike {
  show(): void;
  on(event: 'click', listener: () => void): unknown;
}

export interface NotificationFactory {
  new (options: { title: string; body: string; silent?: boolean }): NotificationLike;
  isSupported(): boolean;
}

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

export interface DialogLike {
  showSaveDialog(options: { title?: string; defaultPath?: string; filters?: { name: string; extensions: string[] }[] }): Promise<{ canceled: boolean; filePath?: string }>;
  showOpenDialog(options: {
    title?: string;
    properties?: 'openFile'[];
    filters?: { name: string; extensions: string[] }[];
  }): Promise<{ canceled: boolean; filePaths: string[] }>;
  showMessageBox(options: { type?: 'none' | 'info' | 'error' | 'question' | 'warning'; title?: string; message: string; detail?: string }): Promise<unknown>;
}

export interface NativeThemeLike {
  readonly shouldUseDarkColors: boolean;
  /** Windows and macOS: the taskbar's (system) theme rather than the apps'. */
  readonly shouldUseDarkColorsForSystemIntegratedUI?: boolean;
  on(event: 'updated', listener: () => void): unknown;
}

export interface FrameLike {
  readonly url: string;
  readonly parent: FrameLike | null;
}

export interface InvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: FrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, input: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Everything DesktopApp is handed: `new DesktopApp({ app, Tray, Menu, BrowserWindow, ... })`. */
export interface ElectronDeps {
  app: AppLike;
  Tray: TrayFactory;
  Menu: MenuFactory;
  BrowserWindow: WindowFactory;
  Notification: NotificationFactory;
  ipcMain: IpcMainLike;
  screen: ScreenLike;
  shell: ShellLike;
  dialog: DialogLike;
  nativeTheme: NativeThemeLike;
}
