import { describe, expect, it } from 'vitest';
import { popoverPosition, taskbarEdge } from '../../../../../electron/hosts/desktop/windows/popover-position.js';
import { fakeScreen } from '../fakes.js';

const size = { width: 380, height: 560 };

describe('popoverPosition', () => {
  it('macOS: under the menu bar icon, centred on it', () => {
    const display = { bounds: { x: 0, y: 0, width: 1440, height: 900 }, workArea: { x: 0, y: 25, width: 1440, height: 875 } };
    const screen = fakeScreen(display);
    const trayBounds = { x: 1200, y: 0, width: 22, height: 24 };
    expect(popoverPosition({ platform: 'darwin', trayBounds, size, screen })).toEqual({ x: 1021, y: 25 });
    expect(screen.asked).toEqual([trayBounds]);
  });

  it('macOS: kept on screen when the icon is near the right edge', () => {
    const display = { bounds: { x: 0, y: 0, width: 1440, height: 900 }, workArea: { x: 0, y: 25, width: 1440, height: 875 } };
    expect(popoverPosition({ platform: 'darwin', trayBounds: { x: 1420, y: 0, width: 22, height: 24 }, size, screen: fakeScreen(display) })).toEqual({ x: 1060, y: 25 });
  });

  it('Windows, taskbar at the bottom: above the icon', () => {
    const display = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
    const trayBounds = { x: 1700, y: 1045, width: 24, height: 32 };
    expect(popoverPosition({ platform: 'win32', trayBounds, size, screen: fakeScreen(display) })).toEqual({ x: 1522, y: 480 });
  });

  it('Windows, taskbar on the left of a second display: beside the icon', () => {
    const display = { bounds: { x: 1920, y: 0, width: 1920, height: 1080 }, workArea: { x: 1980, y: 0, width: 1860, height: 1080 } };
    const trayBounds = { x: 1940, y: 900, width: 32, height: 24 };
    expect(popoverPosition({ platform: 'win32', trayBounds, size, screen: fakeScreen(display) })).toEqual({ x: 1980, y: 520 });
  });

  it('Windows, taskbar on the right', () => {
    const display = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1860, height: 1080 } };
    expect(popoverPosition({ platform: 'win32', trayBounds: { x: 1880, y: 300, width: 32, height: 24 }, size, screen: fakeScreen(display) })).toEqual({ x: 1480, y: 32 });
  });

  it('Linux without tray bounds: at the cursor, against the top panel', () => {
    const display = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 32, width: 1920, height: 1048 } };
    const screen = fakeScreen(display, { x: 1800, y: 10 });
    expect(popoverPosition({ platform: 'linux', trayBounds: { x: 0, y: 0, width: 0, height: 0 }, size, screen })).toEqual({ x: 1540, y: 32 });
    expect(screen.asked).toEqual([]);
  });

  it('Linux without tray bounds and a bottom panel: above it, under the cursor', () => {
    const display = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
    expect(popoverPosition({ platform: 'linux', trayBounds: { x: 0, y: 0, width: 0, height: 0 }, size, screen: fakeScreen(display, { x: 600, y: 1060 }) })).toEqual({ x: 410, y: 480 });
  });
});

describe('taskbarEdge', () => {
  it('reads the edge from the part the work area leaves out', () => {
    const bounds = { x: 0, y: 0, width: 100, height: 100 };
    expect(taskbarEdge({ bounds, workArea: { x: 0, y: 10, width: 100, height: 90 } }, 'win32')).toBe('top');
    expect(taskbarEdge({ bounds, workArea: { x: 10, y: 0, width: 90, height: 100 } }, 'win32')).toBe('left');
    expect(taskbarEdge({ bounds, workArea: { x: 0, y: 0, width: 90, height: 100 } }, 'win32')).toBe('right');
    expect(taskbarEdge({ bounds, workArea: { x: 0, y: 0, width: 100, height: 90 } }, 'win32')).toBe('bottom');
    expect(taskbarEdge({ bounds, workArea: bounds }, 'darwin')).toBe('top');
  });
});
