/**
 * What `npm start` does, decided from facts gathered by the launcher: start the Electron app when
 * it can, and otherwise say plainly why not and run the headless server instead.
 */

export interface LaunchFacts {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  electronVersion: string;
  /** The Electron executable when node_modules/electron has downloaded it, else null. */
  electronBinary: string | null;
  /** The Electron-ABI better-sqlite3: not tried yet (undefined), built, or failed with a reason. */
  native?: { ok: true; binding: string } | { ok: false; reason: string };
}

export type LaunchPlan =
  | { kind: 'headless'; reason: string }
  | { kind: 'build-native' }
  | { kind: 'electron'; binary: string; nativeBinding: string };

/** Systems where a desktop session is announced by DISPLAY or WAYLAND_DISPLAY. */
const X11_LIKE: readonly NodeJS.Platform[] = ['linux', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix'];

export function planLaunch(facts: LaunchFacts): LaunchPlan {
  const { env } = facts;
  if (env['MODELMETER_HEADLESS'] === '1') return { kind: 'headless', reason: 'MODELMETER_HEADLESS=1 asks for the headless server.' };
  if (X11_LIKE.includes(facts.platform) && !env['DISPLAY'] && !env['WAYLAND_DISPLAY']) {
    return { kind: 'headless', reason: 'There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the desktop app cannot open windows or a tray.' };
  }
  if (!facts.electronBinary) {
    return {
      kind: 'headless',
      reason: `The Electron ${facts.electronVersion} runtime is not downloaded (installing it needs network access to github.com; try "node node_modules/electron/install.js" where that works).`,
    };
  }
  if (!facts.native) return { kind: 'build-native' };
  if (!facts.native.ok) {
    return { kind: 'headless', reason: `better-sqlite3 could not be built for Electron ${facts.electronVersion}: ${facts.native.reason}` };
  }
  return { kind: 'electron', binary: facts.electronBinary, nativeBinding: facts.native.binding };
}
