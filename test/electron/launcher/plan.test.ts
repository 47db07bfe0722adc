import { describe, expect, it } from 'vitest';
import { planLaunch, type LaunchFacts } from '../../../electron/launcher/plan.js';
import { desktopEnv } from '../../../electron/launcher/run.js';

const desktopLinux: LaunchFacts = { platform: 'linux', env: { DISPLAY: ':0' }, electronVersion: '45.4.1', electronBinary: '/repo/node_modules/electron/dist/electron' };

describe('planLaunch', () => {
  it('runs headless on Linux without a display, saying why', () => {
    const plan = planLaunch({ ...desktopLinux, env: {} });
    expect(plan).toMatchObject({ kind: 'headless' });
    expect(plan.kind === 'headless' && plan.reason).toMatch(/no display/);
  });

  it('counts a Wayland session as a display', () => {
    expect(planLaunch({ ...desktopLinux, env: { WAYLAND_DISPLAY: 'wayland-0' } }).kind).toBe('build-native');
  });

  it('never asks for a display on Windows or macOS', () => {
    expect(planLaunch({ ...desktopLinux, platform: 'win32', env: {} }).kind).toBe('build-native');
    expect(planLaunch({ ...desktopLinux, platform: 'darwin', env: {} }).kind).toBe('build-native');
  });

  it('runs headless when the Electron runtime was never downloaded', () => {
    const plan = planLaunch({ ...desktopLinux, electronBinary: null });
    expect(plan.kind === 'headless' && plan.reason).toMatch(/Electron 45\.4\.1 runtime is not downloaded/);
  });

  it('builds the Electron copy of better-sqlite3 first, then starts Electron with it', () => {
    expect(planLaunch(desktopLinux)).toEqual({ kind: 'build-native' });
    expect(planLaunch({ ...desktopLinux, native: { ok: true, binding: '/repo/.electron-native/45.4.1/better_sqlite3.node' } })).toEqual({
      kind: 'electron',
      binary: desktopLinux.electronBinary,
      nativeBinding: '/repo/.electron-native/45.4.1/better_sqlite3.node',
    });
  });

  it('falls back to headless when that build fails, with the reason', () => {
    const plan = planLaunch({ ...desktopLinux, native: { ok: false, reason: 'getaddrinfo ENOTFOUND electronjs.org' } });
    expect(plan.kind === 'headless' && plan.reason).toMatch(/could not be built for Electron 45\.4\.1: getaddrinfo ENOTFOUND/);
  });

  it('honours MODELMETER_HEADLESS=1 everywhere', () => {
    expect(planLaunch({ ...desktopLinux, platform: 'darwin', env: { MODELMETER_HEADLESS: '1' } }).kind).toBe('headless');
  });
});

describe('desktopEnv', () => {
  it('passes --port and --data-dir to the desktop app as its environment', () => {
    expect(desktopEnv(['--port', '8000', '--data-dir', '/tmp/x'])).toEqual({ MODELMETER_PORT: '8000', MODELMETER_DATA_DIR: '/tmp/x' });
    expect(desktopEnv([])).toEqual({});
  });
});
