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
  /** Electron's installer: not run yet (undefined), or failed with a reason. */
  runtime?: { ok: false; reason: string };
  /** The Electron-ABI better-sqlite3: not tried yet (undefined), built, or failed with a reason. */
  native?: { ok: true; binding: string } | { ok: false; reason: string };
}

export type LaunchPlan =
  | { kind: 'headless'; reason: string }
  | { kind: 'fetch-electron' }
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
    // Electron >= 42 downloads its runtime on first use, so a fresh install has none yet.
    if (!facts.runtime) return { kind: 'fetch-electron' };
    return { kind: 'headless', reason: facts.runtime.reason };
  }
  if (!facts.native) return { kind: 'build-native' };
  if (!facts.native.ok) {
    return { kind: 'headless', reason: `better-sqlite3 could not be built for Electron ${facts.electronVersion}: ${facts.native.reason}` };
  }
  return { kind: 'electron', binary: facts.electronBinary, nativeBinding: facts.native.binding };
}

export interface LaunchSteps {
  fetchElectron(): { ok: true; binary: string } | { ok: false; reason: string };
  buildNative(): { ok: true; binding: string } | { ok: false; reason: string };
}

/** Runs the steps the plan asks for (download Electron, build the native module) until it settles. */
export function settleLaunch(initial: LaunchFacts, steps: LaunchSteps): LaunchPlan {
  let facts = initial;
  for (;;) {
    const plan = planLaunch(facts);
    if (plan.kind === 'fetch-electron') {
      const runtime = steps.fetchElectron();
      facts = runtime.ok ? { ...facts, electronBinary: runtime.binary } : { ...facts, runtime };
    } else if (plan.kind === 'build-native') {
      facts = { ...facts, native: steps.buildNative() };
    } else {
      return plan;
    }
  }
}
