import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecurityRestrictions } from '../../../../electron/desktop/security/security-restrictions.js';
import { BLUR_HIDE_DELAY_MS, QUICK_VIEW_SIZE, WindowManager, routeHash } from '../../../../electron/desktop/windows/window-manager.js';
import { FakeTray, FakeWindow, fakeScreen } from '../fakes.js';

const rendererDir = path.resolve('/app/dist/renderer');

function setup() {
  FakeWindow.created = [];
  const display = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
  const manager = new WindowManager({
    BrowserWindow: FakeWindow,
    screen: fakeScreen(display),
    security: new SecurityRestrictions({ rendererDir, shell: { openExternal: async () => {} }, log: () => {} }),
    rendererDir,
    preload: '/app/dist/preload/preload.cjs',
    platform: 'win32',
    log: () => {},
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
    quick.emit('blur');
    expect(quick.visible).toBe(true);
    vi.advanceTimersByTime(BLUR_HIDE_DELAY_MS);
    expect(quick.visible).toBe(false);
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
