import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run dist`: electron-builder (npmRebuild) rebuilds the project's own node_modules/better-sqlite3
 * for Electron's ABI before packing it. node_modules must stay built for Node (tests, `npm run
 * serve`), so the Node build's binaries are put aside before packaging and put back afterwards,
 * whatever happened, and a child Node then proves the module still loads.
 */
export interface KeepNodeNativeOptions {
  root: string;
  log: (message: string) => void;
  /** The packaging step (electron-builder); resolves with its exit code. */
  pack: () => number;
}

export const LOAD_CHECK = "const Database = require('better-sqlite3'); new Database(':memory:').prepare('select 1').get();";

export function packKeepingNodeNative(options: KeepNodeNativeOptions): number {
  const release = path.join(options.root, 'node_modules', 'better-sqlite3', 'build', 'Release');
  const binaries = fs.existsSync(release) ? fs.readdirSync(release).filter((name) => name.endsWith('.node')) : [];
  if (binaries.length === 0) throw new Error(`no Node build of better-sqlite3 in ${release}: run "npm rebuild better-sqlite3" first`);
  const aside = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-node-native-'));
  for (const name of binaries) fs.copyFileSync(path.join(release, name), path.join(aside, name));

  let code: number;
  try {
    code = options.pack();
  } finally {
    for (const name of binaries) fs.copyFileSync(path.join(aside, name), path.join(release, name));
    fs.rmSync(aside, { recursive: true, force: true });
  }

  const check = nodeLoadsSqlite(options.root);
  if (!check.ok) {
    options.log(`better-sqlite3 in node_modules no longer loads in Node after packaging: ${check.output}\nRun "npm rebuild better-sqlite3" to rebuild it for Node.`);
    return code === 0 ? 1 : code;
  }
  options.log('better-sqlite3 in node_modules is the Node build again and loads: npm test and npm run serve keep working.');
  return code;
}

/** `node -e "require('better-sqlite3')"` in the project, as the tests and the headless server load it. */
export function nodeLoadsSqlite(root: string): { ok: boolean; output: string } {
  const result = spawnSync(process.execPath, ['-e', LOAD_CHECK], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(0, 3).join(' ');
  return { ok: result.status === 0, output: output || (result.error?.message ?? `exit ${result.status}`) };
}
