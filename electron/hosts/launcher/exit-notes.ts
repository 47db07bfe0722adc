/**
 * What to tell the developer when the Electron child ends badly. On Ubuntu 23.10 and later (24.04
 * LTS included) AppArmor stops unprivileged user namespaces, so Chromium falls back to its SUID
 * sandbox helper; node_modules/electron/dist/chrome-sandbox is not root-owned mode 4755 in a
 * development tree, and Electron aborts with a FATAL line and SIGTRAP before any window appears.
 */
export interface ElectronExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  platform: NodeJS.Platform;
  /** /proc/sys/kernel/apparmor_restrict_unprivileged_userns is 1 (null: not known). */
  usernsRestricted: boolean | null;
  /** node_modules/electron/dist/chrome-sandbox. */
  sandboxHelper: string;
}

/** Signals a user sends on purpose: no explanation needed. */
const DELIBERATE: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function explainElectronExit(exit: ElectronExit): string | null {
  if (exit.signal === null || DELIBERATE.includes(exit.signal)) return null;
  if (exit.platform !== 'linux') return `Electron was killed by ${exit.signal}.`;
  return [
    `Electron was killed by ${exit.signal} before it could start.`,
    exit.usernsRestricted
      ? 'This system restricts unprivileged user namespaces (AppArmor, as on Ubuntu 23.10 and later), so Chromium needs its SUID sandbox helper, which is not set up in a development tree.'
      : 'The usual cause on Linux is the Chromium sandbox: where unprivileged user namespaces are restricted (AppArmor on Ubuntu 23.10 and later), Chromium needs its SUID sandbox helper, which is not set up in a development tree.',
    'If the output above says "The SUID sandbox helper binary was found, but is not configured correctly", fix it once with:',
    `  sudo chown root:root ${exit.sandboxHelper} && sudo chmod 4755 ${exit.sandboxHelper}`,
    'then run "npm start" again (a reinstall of Electron undoes it). The installed .deb sets this up itself.',
    'Or run the headless server: MODELMETER_HEADLESS=1 npm start.',
  ].join('\n');
}
