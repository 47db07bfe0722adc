import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findElectronBinary } from './native.js';

/**
 * Electron 42 and later download their runtime on first use instead of at `npm install` (the
 * package's install.js, run by its bin, by `require('electron')`, or by hand). A fresh `npm ci`
 * therefore has no runtime: `npm start` runs that same installer once, in the open, and only falls
 * back to the headless server when it fails.
 */
export type InstallResult = { ok: true } | { ok: false; reason: string };

export interface RuntimeOptions {
  root: string;
  electronVersion: string;
  log: (message: string) => void;
  /** Runs Electron's installer; the default is `node node_modules/electron/install.js`. */
  install?: (root: string) => InstallResult;
  /** Where the installed executable is (path.txt), or null. */
  find?: (root: string) => string | null;
}

export type RuntimeResult = { ok: true; binary: string } | { ok: false; reason: string };

export const RETRY_HINT =
  'To retry: make sure this machine can reach github.com (or set ELECTRON_MIRROR to a mirror of Electron\'s releases), then run "npm start" again, or run "node node_modules/electron/install.js" on its own.';

export function ensureElectronRuntime(options: RuntimeOptions): RuntimeResult {
  const find = options.find ?? findElectronBinary;
  const existing = find(options.root);
  if (existing) return { ok: true, binary: existing };

  options.log(
    `The Electron ${options.electronVersion} runtime is not downloaded yet (Electron fetches it on first use, not at install). ` +
      'Downloading it now with Electron\'s own installer (node_modules/electron/install.js, about 100 MB, once; ' +
      'its progress bar appears when the download takes longer than 30 s)...',
  );
  const result = (options.install ?? runElectronInstaller)(options.root);
  if (!result.ok) {
    return { ok: false, reason: `Electron's installer could not download the Electron ${options.electronVersion} runtime: ${result.reason}. ${RETRY_HINT}` };
  }
  const binary = find(options.root);
  if (!binary) {
    return { ok: false, reason: `Electron's installer finished, but node_modules/electron/path.txt names no executable. ${RETRY_HINT}` };
  }
  options.log(`Electron ${options.electronVersion} is downloaded: ${path.relative(options.root, binary)}`);
  return { ok: true, binary };
}

/** Electron 45 and @electron/get declare Node >= 22.12; older Node may fail in the installer itself. */
export function nodeNote(nodeVersion: string): string {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return '';
  return ` This is Node ${nodeVersion}; Electron 45, its installer (@electron/get) and @electron/rebuild declare Node >= 22.12: if a step fails before it downloads anything, use Node 22.12 or newer.`;
}

/** The installer prints its own errors and progress bar to this terminal. */
function runElectronInstaller(root: string): InstallResult {
  const electronDir = path.join(root, 'node_modules', 'electron');
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { cwd: electronDir, stdio: 'inherit', timeout: 30 * 60_000 });
  if (result.error) return { ok: false, reason: result.error.message };
  if (result.status === 0) return { ok: true };
  return { ok: false, reason: result.signal ? `it was stopped by ${result.signal}` : `it exited with code ${result.status} (its error is printed above)` };
}
