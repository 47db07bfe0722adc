import path from 'node:path';
import { SHOWN_CHANNEL } from '../../../../../shared/bridge.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecurityRestrictions } from '../../../../../electron/hosts/desktop/security/security-restrictions.js';
import { BLUR_HIDE_DELAY_MS, QUICK_VIEW_SIZE, WindowManager, routeHash } from '../../../../../electron/hosts/desktop/windows/window-manager.js';
import { isNativeWayland } from '../../../../../electron/hosts/desktop/windows/display-session.js';
import { DOCK_SETTLE_MS, DockPresence } from '../../../../../electron/hosts/desktop/windows/dock-presence.js';
import { FakeDock, FakeTray, FakeWindow, fakeScreen } from '../fakes.js';

const rendererDir = path.resolve('/app/dist/renderer');

function setup(options: { platform?: NodeJS.Platform; nativeWayland?: boolean; dock?: DockPresence; onSessionEnd?: () => void } = {}) {
  FakeWindow.created = [];
  const display = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
  const manager = new WindowManager({
    BrowserWindow: FakeWindow,
    screen: fakeScreen(display),
    security: new SecurityRestrictions({ rendererDir, shell: { openExternal: async () => {} }, log: () => {} }),
    rendererDir,
    preload: '/app/dist/preload/preload.cjs',
    platform: options.platform ?? 'win32',
    log: () => {},
    ...(options.nativeWayland ? { nativeWayland: true } : {}),
    ...(options.dock ? { dock: options.dock } : {}),
    ...(options.onSessionEnd ? { onSessionEnd: options.onSessionEnd } : {}),
  });
  const tray = new FakeTray('x.png');
  tray.bounds = { x: 1700, y: 1045, width: 24, height: 32 };
  return { manager, tray };
}

describe('WindowManager', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('creates every window isolated, sandboxed, without Node and with the bundled preload', () => {
    const { manager, tray } = setup();
    manager.openDashboard();
    manager.showQuickView(tray);
    expect(FakeWindow.created).toHaveLength(2);
    for (const window of FakeWindow.created) {
      expect(window.options.webPreferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
        preload: '/app/dist/preload/preload.cjs',
      });
      // Security handlers are in place from the start.
      expect(window.webContents.openHandler).not.toBeNull();
    }
  });

  it('opens the dashboard on the built renderer at a route, and reuses the window', () => {
    const { manager } = setup();
    const window = manager.openDashboard('models/gpt-5') as FakeWindow;
    expect(window.loads).toEqual([{ file: path.join(rendererDir, 'index.html'), hash: '/models/gpt-5' }]);
    window.paint();
    expect(window.visible).toBe(true);
    window.minimized = true;
    expect(manager.openDashboard('channels')).toBe(window);
    expect(window.minimized).toBe(false);
    expect(window.loads.at(-1)?.hash).toBe('/channels');
    expect(FakeWindow.created).toHaveLength(1);
  });

  it('hides the dashboard on close, until the app quits', () => {
    const { manager } = setup();
    const window = manager.openDashboard() as FakeWindow;
    expect(window.close()).toBe(false);
    expect(window.visible).toBe(false);
    expect(manager.owns(window.webContents.id)).toBe(true);
    manager.prepareToQuit();
    expect(window.close()).toBe(true);
    expect(manager.owns(window.webContents.id)).toBe(false);
  });

  it('shows the frameless quick view above the tray icon at #/quick', () => {
    const { manager, tray } = setup();
    const quick = manager.showQuickView(tray) as FakeWindow;
    expect(quick.options).toMatchObject({ ...QUICK_VIEW_SIZE, frame: false, skipTaskbar: true });
    expect(quick.loads[0]?.hash).toBe('/quick');
    expect(quick.position).toEqual({ x: 1522, y: 480 });
  });

  it('a second tray click hides the quick view even though the click first blurred it', () => {
    const { manager, tray } = setup();
    manager.toggleQuickView(tray);
    const quick = FakeWindow.created[0]!;
    quick.paint();
    expect(quick.visible).toBe(true);
    // Clicking the tray takes the focus first (blur), then delivers the click.
    quick.emit('blur');
    manager.toggleQuickView(tray);
    expect(quick.visible).toBe(false);
    vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS * 2);
    expect(quick.visible).toBe(false);
    manager.toggleQuickView(tray);
    expect(quick.visible).toBe(true);
  });

  it('hides the quick view a moment after it loses focus', () => {
    const { manager, tray } = setup();
    const quick = manager.showQuickView(tray) as FakeWindow;
    quick.paint();
    quick.emit('blur');
    expect(quick.visible).toBe(true);
    vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS);
    expect(quick.visible).toBe(false);
  });
});

describe('WindowManager: no blank flash', () => {
  it('shows a new dashboard only once its page has painted (ready-to-show)', () => {
    const { manager } = setup();
    const window = manager.openDashboard() as FakeWindow;
    expect(window.options.show).toBe(false);
    expect(window.visible).toBe(false);
    window.paint();
    expect(window.visible).toBe(true);
    expect(window.focused).toBe(true);
  });

  it('shows the quick view asked for before it painted once it has, and not if it was hidden meanwhile', () => {
    const { manager, tray } = setup();
    const quick = manager.showQuickView(tray) as FakeWindow;
    expect(quick.visible).toBe(false);
    quick.paint();
    expect(quick.visible).toBe(true);

    const second = setup();
    const other = second.manager.showQuickView(second.tray) as FakeWindow;
    second.manager.hideQuickView();
    other.paint();
    expect(other.visible).toBe(false);
  });
});

describe('WindowManager: telling each page whether it is shown', () => {
  const shownSent = (window: FakeWindow) => window.webContents.sent.filter((message) => message.channel === SHOWN_CHANNEL).map((message) => message.args[0]);

  it('tells the quick view, made hidden at start, that it is hidden once its page has loaded, then each show and hide', () => {
    const { manager, tray } = setup();
    manager.prepareQuickView();
    const quick = FakeWindow.created[0]!;
    quick.webContents.emit('did-finish-load');
    expect(shownSent(quick)).toEqual([false]);
    quick.emit('ready-to-show');
    manager.showQuickView(tray);
    manager.hideQuickView();
    expect(shownSent(quick)).toEqual([false, true, false]);
  });

  it('tells the dashboard it is shown when it first appears, hidden when closed to the tray, shown when reopened', () => {
    const { manager } = setup();
    manager.openDashboard();
    const dashboard = FakeWindow.created[0]!;
    dashboard.emit('ready-to-show');
    dashboard.webContents.emit('did-finish-load');
    dashboard.close();
    manager.openDashboard('models');
    expect(shownSent(dashboard)).toEqual([true, true, false, true]);
  });

  it('sends nothing to a window already destroyed', () => {
    const { manager } = setup();
    manager.openDashboard();
    const dashboard = FakeWindow.created[0]!;
    dashboard.webContents.destroyed = true;
    dashboard.emit('ready-to-show');
    expect(shownSent(dashboard)).toEqual([]);
  });
});

describe('WindowManager on native Wayland', () => {
  it('opens the quick view as a normal window the compositor places, never positioned or hidden on blur', () => {
    vi.useFakeTimers();
    try {
      const { manager, tray } = setup({ platform: 'linux', nativeWayland: true });
      const quick = manager.showQuickView(tray) as FakeWindow;
      expect(quick.options).toMatchObject({ ...QUICK_VIEW_SIZE, center: true, show: false });
      expect(quick.options.frame).not.toBe(false);
      expect(quick.options.alwaysOnTop).not.toBe(true);
      expect(quick.options.skipTaskbar).not.toBe(true);
      quick.paint();
      expect(quick.visible).toBe(true);
      expect(quick.position).toBeNull();
      quick.emit('blur');
      vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS * 2);
      expect(quick.visible).toBe(true);
      // Its close button hides it; the tray brings it back.
      quick.close();
      expect(quick.visible).toBe(false);
      manager.toggleQuickView(tray);
      expect(quick.visible).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('isNativeWayland', () => {
  it('follows the session as Electron 38+ does, unless --ozone-platform says otherwise', () => {
    expect(isNativeWayland('linux', { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' }, [])).toBe(true);
    expect(isNativeWayland('linux', { WAYLAND_DISPLAY: 'wayland-0' }, [])).toBe(true);
    expect(isNativeWayland('linux', { XDG_SESSION_TYPE: 'x11', DISPLAY: ':0' }, [])).toBe(false);
    expect(isNativeWayland('linux', { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0' }, ['electron', '--ozone-platform=x11'])).toBe(false);
    expect(isNativeWayland('darwin', { WAYLAND_DISPLAY: 'wayland-0' }, [])).toBe(false);
  });
});

describe('WindowManager on macOS', () => {
  it('puts the quick view on every Space and over full-screen apps, leaving the Dock to DockPresence', () => {
    const { manager, tray } = setup({ platform: 'darwin' });
    const quick = manager.showQuickView(tray) as FakeWindow;
    expect(quick.allWorkspaces).toEqual({ visible: true, options: { visibleOnFullScreen: true, skipTransformProcessType: true } });
    expect(quick.onTop).toEqual({ flag: true, level: 'pop-up-menu' });
    expect(quick.options).toMatchObject({ hiddenInMissionControl: true });
  });

  it('shows the Dock icon while the dashboard is open and hides it again, a second after the last Dock call', () => {
    vi.useFakeTimers();
    try {
      const dockCalls = new FakeDock();
      const presence = new DockPresence(dockCalls, () => {}, () => Date.now());
      const { manager } = setup({ platform: 'darwin', dock: presence });
      presence.dashboardVisible(false); // started at login: tray only
      vi.advanceTimersByTime(0);
      expect(dockCalls.calls).toEqual(['hide']);
      const dashboard = manager.openDashboard() as FakeWindow;
      expect(dockCalls.calls).toEqual(['hide', 'show']);
      dashboard.close();
      vi.advanceTimersByTime(DOCK_SETTLE_MS - 1);
      expect(dockCalls.calls).toEqual(['hide', 'show']);
      vi.advanceTimersByTime(1);
      expect(dockCalls.calls).toEqual(['hide', 'show', 'hide']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('WindowManager on Windows', () => {
  it('runs the shutdown when the session ends, from any of its windows, including the hidden quick view', () => {
    let ended = 0;
    const { manager } = setup({ platform: 'win32', onSessionEnd: () => (ended += 1) });
    manager.prepareQuickView();
    const quick = FakeWindow.created[0]!;
    expect(quick.visible).toBe(false);
    quick.emit('session-end', { reasons: ['shutdown'] });
    expect(ended).toBe(1);
  });
});

describe('routeHash', () => {
  it('turns a route into the hash loadFile wants', () => {
    expect(routeHash(undefined)).toBe('/overview');
    expect(routeHash('#/channels')).toBe('/channels');
    expect(routeHash('models/a%2Fb')).toBe('/models/a%2Fb');
    expect(routeHash('')).toBe('/overview');
  });
});
