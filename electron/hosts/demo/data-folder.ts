import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATABASE_FILE } from '../core/start-core.js';
import { TOKEN_FILE } from '../core/token.js';

/** Marks a folder as the demo's: only a marked folder is ever written to again or deleted. */
export const DEMO_MARKER = '.modelmeter-demo';

export class DemoFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoFolderError';
  }
}

export interface DemoFolder {
  dir: string;
  /** The demo made the folder (a temporary one, or a new one at --data-dir). */
  created: boolean;
  /** Nothing was stored in it yet: the week must be generated. */
  fresh: boolean;
}

export function isDemoFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, DEMO_MARKER));
}

/**
 * The demo's data folder: a new temporary one, or the folder given with --data-dir if it is empty, new,
 * or an earlier demo's. A real ModelMeter folder (one with a database or token but no demo marker),
 * the user's default data folder, or any other non-empty folder is refused before anything in it is
 * touched, so the demo can never mix made-up figures into real data.
 */
export function prepareDemoFolder(options: { dataDir?: string | undefined; realDataDir: string; tmpRoot?: string }): DemoFolder {
  if (options.dataDir === undefined) {
    const dir = fs.mkdtempSync(path.join(options.tmpRoot ?? os.tmpdir(), 'modelmeter-demo-'));
    fs.writeFileSync(path.join(dir, DEMO_MARKER), 'ModelMeter demo data: safe to delete.\n');
    return { dir, created: true, fresh: true };
  }
  const dir = path.resolve(options.dataDir);
  if (dir === path.resolve(options.realDataDir)) {
    throw new DemoFolderError(`${dir} is ModelMeter's real data folder: the demo never writes there. Leave out --data-dir to use a temporary folder.`);
  }
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, DEMO_MARKER), 'ModelMeter demo data: safe to delete.\n');
    return { dir, created: true, fresh: true };
  }
  if (!fs.statSync(dir).isDirectory()) throw new DemoFolderError(`${dir} is not a folder`);
  if (isDemoFolder(dir)) return { dir, created: false, fresh: !fs.existsSync(path.join(dir, DATABASE_FILE)) };
  const entries = fs.readdirSync(dir);
  if (entries.includes(DATABASE_FILE) || entries.includes(TOKEN_FILE)) {
    throw new DemoFolderError(`${dir} holds real ModelMeter data (no ${DEMO_MARKER} marker): the demo never writes there. Choose an empty or new folder.`);
  }
  if (entries.length > 0) throw new DemoFolderError(`${dir} is not empty: give the demo a new or empty folder.`);
  fs.writeFileSync(path.join(dir, DEMO_MARKER), 'ModelMeter demo data: safe to delete.\n');
  return { dir, created: false, fresh: true };
}

/** Deletes a demo folder, and nothing else: a folder without the marker is left as it is. */
export function removeDemoFolder(dir: string): boolean {
  if (!isDemoFolder(dir)) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}
