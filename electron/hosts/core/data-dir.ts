import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const APP_FOLDER = 'ModelMeter';

/** The OS's per-user app data folder, as Electron's app.getPath('userData') would give it. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env['APPDATA'] ?? path.join(home, 'AppData', 'Roaming'), APP_FOLDER);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_FOLDER);
  return path.join(env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), APP_FOLDER);
}

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** Creates the folder if needed and proves it writable, with a message that says what to do if not. */
export function prepareDataDir(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    fs.mkdirSync(resolved, { recursive: true, mode: 0o700 });
    fs.accessSync(resolved, fs.constants.W_OK | fs.constants.R_OK);
    const probe = path.join(resolved, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataDirError(
      `the data folder ${resolved} is not writable (${reason}). Choose another with --data-dir or MODELMETER_DATA_DIR.`,
    );
  }
  return resolved;
}
