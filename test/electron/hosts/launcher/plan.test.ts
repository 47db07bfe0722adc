import { describe, expect, it } from 'vitest';
import { planLaunch, settleLaunch, type LaunchFacts } from '../../../../electron/hosts/launcher/plan.js';
import { desktopEnv } from '../../../../electron/hosts/launcher/run.js';

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

  it('downloads the Electron runtime first when a fresh install has none (Electron >= 42 has no postinstall)', () => {
    expect(planLaunch({ ...desktopLinux, electronBinary: null })).toEqual({ kind: 'fetch-electron' });
  });

  it('runs headless only when that download failed, with the installer\'s reason', () => {
    const plan = planLaunch({ ...desktopLinux, electronBinary: null, runtime: { ok: false, reason: 'fetch failed. To retry: ...' } });
    expect(plan).toEqual({ kind: 'headless', reason: 'fetch failed. To retry: ...' });
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

describe('settleLaunch', () => {
  const fresh: LaunchFacts = { ...desktopLinux, electronBinary: null };
  const built = { ok: true as const, binding: '/repo/.electron-native/45.4.1/better_sqlite3.node' };

  it('on a fresh install downloads Electron, builds the native module and ends in the desktop app', () => {
    const calls: string[] = [];
    const plan = settleLaunch(fresh, {
      fetchElectron: () => (calls.push('fetch'), { ok: true, binary: '/repo/node_modules/electron/dist/electron' }),
      buildNative: () => (calls.push('native'), built),
    });
    expect(calls).toEqual(['fetch', 'native']);
    expect(plan).toEqual({ kind: 'electron', binary: '/repo/node_modules/electron/dist/electron', nativeBinding: built.binding });
  });

  it('falls back to headless when the download fails, without building anything', () => {
    const calls: string[] = [];
    const plan = settleLaunch(fresh, {
      fetchElectron: () => (calls.push('fetch'), { ok: false, reason: 'getaddrinfo ENOTFOUND github.com' }),
      buildNative: () => (calls.push('native'), built),
    });
    expect(calls).toEqual(['fetch']);
    expect(plan).toEqual({ kind: 'headless', reason: 'getaddrinfo ENOTFOUND github.com' });
  });

  it('does not download again when the runtime is there', () => {
    const plan = settleLaunch(desktopLinux, {
      fetchElectron: () => {
        throw new Error('must not download');
      },
      buildNative: () => ({ ok: false, reason: 'no headers' }),
    });
    expect(plan.kind === 'headless' && plan.reason).toMatch(/could not be built for Electron 45\.4\.1: no headers/);
  });
});

describe('desktopEnv', () => {
  it('passes --port and --data-dir to the desktop app as its environment', () => {
    expect(desktopEnv(['--port', '8000', '--data-dir', '/tmp/x'])).toEqual({ MODELMETER_PORT: '8000', MODELMETER_DATA_DIR: '/tmp/x' });
    expect(desktopEnv([])).toEqual({});
  });
});
