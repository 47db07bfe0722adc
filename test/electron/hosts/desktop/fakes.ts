/**
 * Plain stand-ins for the Electron objects the desktop shell is handed: they record what was done
 * to them and let a test fire the events Electron would.
 */
import { EventEmitter } from 'node:events';
import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions } from 'electron';
import type {
  AppLike,
  DialogLike,
  DisplayLike,
  ElectronDeps,
  FrameLike,
  IpcMainLike,
  InvokeEventLike,
  MenuHandle,
  NotificationLike,
  PermissionDetails,
  Point,
  PreventableEvent,
  Rect,
  ScreenLike,
  SessionLike,
  WebContentsLike,
  WindowLike,
} from '../../../../electron/hosts/desktop/electron-api.js';

export class FakeEvent implements PreventableEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

type Listener = (...args: never[]) => unknown;

/** on/once/emit over a Node EventEmitter, typed loosely enough to stand for Electron's overloads. */
class Emitting {
  readonly emitter = new EventEmitter();
  on(event: string, listener: Listener): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  once(event: string, listener: Listener): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }
  emit(event: string, ...args: unknown[]): boolean {
    return this.emitter.emit(event, ...args);
  }
}

export class FakeSession implements SessionLike {
  permissionRequest: ((webContents: unknown, permission: string, callback: (granted: boolean) => void, details: PermissionDetails) => void) | null = null;
  permissionCheck: ((webContents: unknown, permission: string, requestingOrigin: string, details: PermissionDetails) => boolean) | null = null;
  headersListener: ((details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[] | string> }) => void) => void) | null = null;
  readonly webRequest = {
    onHeadersReceived: (_filter: { urls: string[] }, listener: NonNullable<FakeSession['headersListener']>) => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: NonNullable<FakeSession['permissionRequest']>): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: NonNullable<FakeSession['permissionCheck']>): void {
    this.permissionCheck = handler;
  }
}

let nextContentsId = 1;

export class FakeWebContents extends Emitting implements WebContentsLike {
  readonly id = nextContentsId++;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  openHandler: ((details: { url: string }) => { action: 'deny' }) | null = null;
  constructor(readonly session: FakeSession = new FakeSession()) {
    super();
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.openHandler = handler;
  }
  /** What Electron does before a navigation: the listeners may prevent it. */
  navigate(url: string, event = 'will-navigate'): boolean {
    const navigation = new FakeEvent();
    this.emit(event, navigation, url);
    return !navigation.defaultPrevented;
  }
}

export class FakeWindow extends Emitting implements WindowLike {
  static created: FakeWindow[] = [];
  readonly webContents = new FakeWebContents();
  visible = false;
  minimized = false;
  destroyed = false;
  focused = false;
  position: Point | null = null;
  loads: { file: string; hash: string | undefined }[] = [];
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeWindow.created.push(this);
  }
  loadFile(file: string, options?: { hash?: string }): Promise<void> {
    this.loads.push({ file, hash: options?.hash });
    return Promise.resolve();
  }
  /** As Electron does, 'show' and 'hide' are emitted when the window's visibility changes. */
  show(): void {
    if (this.visible) return;
    this.visible = true;
    this.emit('show');
  }
  hide(): void {
    if (!this.visible) return;
    this.visible = false;
    this.emit('hide');
  }
  focus(): void {
    this.focused = true;
  }
  restore(): void {
    this.minimized = false;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setPosition(x: number, y: number): void {
    this.position = { x, y };
  }
  allWorkspaces: { visible: boolean; options?: { visibleOnFullScreen?: boolean; skipTransformProcessType?: boolean } } | null = null;
  setVisibleOnAllWorkspaces(visible: boolean, options?: { visibleOnFullScreen?: boolean; skipTransformProcessType?: boolean }): void {
    this.allWorkspaces = { visible, ...(options ? { options } : {}) };
  }
  onTop: { flag: boolean; level: string | undefined } | null = null;
  setAlwaysOnTop(flag: boolean, level?: 'pop-up-menu' | 'floating' | 'status'): void {
    this.onTop = { flag, level };
  }
  /** What Electron does once the page has painted for the first time (the window not yet shown). */
  paint(): void {
    this.emit('ready-to-show');
  }
  /** The user closes the window: true when it really closed (not hidden instead). */
  close(): boolean {
    const event = new FakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return false;
    this.destroyed = true;
    this.visible = false;
    this.emit('closed');
    return true;
  }
}

export class FakeMenu {
  constructor(readonly template: MenuItemConstructorOptions[]) {}
}

export class FakeTray extends Emitting {
  static created: FakeTray[] = [];
  images: string[] = [];
  tooltip = '';
  contextMenu: MenuHandle | null = null;
  poppedUp = 0;
  destroyed = false;
  bounds: Rect = { x: 0, y: 0, width: 0, height: 0 };
  constructor(image: string) {
    super();
    this.images.push(image);
    FakeTray.created.push(this);
  }
  setImage(image: string): void {
    this.images.push(image);
  }
  setToolTip(toolTip: string): void {
    this.tooltip = toolTip;
  }
  setContextMenu(menu: MenuHandle | null): void {
    this.contextMenu = menu;
  }
  popUpContextMenu(): void {
    this.poppedUp += 1;
  }
  getBounds(): Rect {
    return this.bounds;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export const fakeMenuFactory = { buildFromTemplate: (template: MenuItemConstructorOptions[]) => new FakeMenu(template) };

export class FakeApp extends Emitting implements AppLike {
  isPackaged = false;
  lock = true;
  name = '';
  quitCalls = 0;
  exitCode: number | null = null;
  loginItem = { openAtLogin: false, args: [] as string[] };
  readonly paths: Record<string, string>;
  languages = ['en-US'];
  constructor(paths: { appData: string; downloads: string }) {
    super();
    this.paths = { ...paths, userData: `${paths.appData}/modelmeter` };
  }
  requestSingleInstanceLock(): boolean {
    return this.lock;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    this.quitCalls += 1;
  }
  exit(code?: number): void {
    this.exitCode = code ?? 0;
  }
  setName(name: string): void {
    this.name = name;
  }
  appUserModelId: string | null = null;
  setAppUserModelId(id: string): void {
    this.appUserModelId = id;
  }
  dock: FakeDock | undefined = undefined;
  getPath(name: 'appData' | 'userData' | 'downloads'): string {
    return this.paths[name]!;
  }
  setPath(name: 'userData', value: string): void {
    this.paths[name] = value;
  }
  getPreferredSystemLanguages(): string[] {
    return this.languages;
  }
  wasOpenedAtLogin = false;
  /** As Electron on Windows: openAtLogin is true only when asked with the args the entry was written with. */
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean; wasOpenedAtLogin: boolean } {
    const asked = options?.args ?? [];
    const same = asked.length === this.loginItem.args.length && asked.every((arg, index) => arg === this.loginItem.args[index]);
    return { openAtLogin: this.loginItem.openAtLogin && same, wasOpenedAtLogin: this.wasOpenedAtLogin };
  }
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void {
    this.loginItem = { openAtLogin: settings.openAtLogin, args: settings.args ?? [] };
  }
}

export class FakeDock {
  readonly calls: ('hide' | 'show')[] = [];
  hide(): void {
    this.calls.push('hide');
  }
  show(): Promise<void> {
    this.calls.push('show');
    return Promise.resolve();
  }
}

export class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEventLike, input: unknown) => Promise<unknown>>();
  handle(channel: string, listener: (event: InvokeEventLike, input: unknown) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** A call as the renderer would make it, from the given frame of the given webContents. */
  invoke(channel: string, input: unknown, from: { senderId: number; frame: FrameLike | null }): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return handler({ sender: { id: from.senderId }, senderFrame: from.frame }, input);
  }
}

export function fakeScreen(display: DisplayLike, cursor: Point = { x: 0, y: 0 }): ScreenLike & { asked: Rect[] } {
  const asked: Rect[] = [];
  return {
    asked,
    getDisplayMatching(rect) {
      asked.push(rect);
      return display;
    },
    getDisplayNearestPoint() {
      return display;
    },
    getCursorScreenPoint() {
      return cursor;
    },
  };
}

export class FakeNotification extends Emitting implements NotificationLike {
  static shown: FakeNotification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    FakeNotification.shown.push(this);
  }
}

export class FakeDialog implements DialogLike {
  saveAnswer: { canceled: boolean; filePath?: string } = { canceled: true };
  readonly saveRequests: Parameters<DialogLike['showSaveDialog']>[0][] = [];
  readonly messages: Parameters<DialogLike['showMessageBox']>[0][] = [];
  showSaveDialog(options: Parameters<DialogLike['showSaveDialog']>[0]): Promise<{ canceled: boolean; filePath?: string }> {
    this.saveRequests.push(options);
    return Promise.resolve(this.saveAnswer);
  }
  openAnswer: { canceled: boolean; filePaths: string[] } = { canceled: true, filePaths: [] };
  readonly openRequests: Parameters<DialogLike['showOpenDialog']>[0][] = [];
  showOpenDialog(options: Parameters<DialogLike['showOpenDialog']>[0]): Promise<{ canceled: boolean; filePaths: string[] }> {
    this.openRequests.push(options);
    return Promise.resolve(this.openAnswer);
  }
  showMessageBox(options: Parameters<DialogLike['showMessageBox']>[0]): Promise<unknown> {
    this.messages.push(options);
    return Promise.resolve({ response: 0 });
  }
}

export interface FakeElectron extends ElectronDeps {
  app: FakeApp;
  ipcMain: FakeIpcMain;
  dialog: FakeDialog;
  opened: string[];
  nativeTheme: { shouldUseDarkColors: boolean; shouldUseDarkColorsForSystemIntegratedUI?: boolean; on(event: 'updated', listener: () => void): unknown };
}

export function fakeElectron(paths: { appData: string; downloads: string }, display?: DisplayLike): FakeElectron {
  FakeWindow.created = [];
  FakeTray.created = [];
  FakeNotification.shown = [];
  const opened: string[] = [];
  const screenDisplay = display ?? { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
  return {
    app: new FakeApp(paths),
    Tray: FakeTray,
    Menu: fakeMenuFactory,
    BrowserWindow: FakeWindow,
    Notification: FakeNotification,
    ipcMain: new FakeIpcMain(),
    screen: fakeScreen(screenDisplay),
    shell: {
      openExternal(url: string) {
        opened.push(url);
        return Promise.resolve();
      },
    },
    dialog: new FakeDialog(),
    nativeTheme: { shouldUseDarkColors: false, on: () => undefined },
    opened,
  };
}

/** Menu items by label, searched through submenus. */
export function menuItem(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions {
  for (const item of template) {
    if (item.label === label) return item;
    if (Array.isArray(item.submenu)) {
      try {
        return menuItem(item.submenu as MenuItemConstructorOptions[], label);
      } catch {
        // keep looking
      }
    }
  }
  throw new Error(`no menu item "${label}" in ${JSON.stringify(template.map((item) => item.label))}`);
}

/** Clicks a menu item the way Electron would (the handler's arguments are not used by the app). */
export function click(item: MenuItemConstructorOptions): void {
  if (!item.click) throw new Error(`menu item "${item.label}" does nothing when clicked`);
  (item.click as () => void)();
}
