import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * node_modules stays built for Node (tests, headless server). The desktop app needs better-sqlite3
 * compiled for Electron's ABI: a copy of the package is built in .electron-native/<version>/ and
 * passed to the core as MODELMETER_NATIVE_BINDING.
 */
export interface NativeBuild {
  root: string;
  electronVersion: string;
  log: (message: string) => void;
}

export const NATIVE_RETRY = 'To retry: make sure electronjs.org can be reached and the toolchain is installed, then run "npm start" again (the build in .electron-native/ starts over). node_modules is not touched, so tests and "npm run serve" keep working meanwhile.';

export function nativeBindingPath(root: string, electronVersion: string): string {
  return path.join(root, '.electron-native', electronVersion, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

export function ensureElectronSqlite(options: NativeBuild): { ok: true; binding: string } | { ok: false; reason: string } {
  const { root, electronVersion, log } = options;
  const source = path.join(root, 'node_modules', 'better-sqlite3');
  const target = path.join(root, '.electron-native', electronVersion, 'better-sqlite3');
  const binding = nativeBindingPath(root, electronVersion);
  const stamp = path.join(target, '.modelmeter-built');
  const version = (JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as { version: string }).version;
  if (fs.existsSync(binding) && readText(stamp) === version) return { ok: true, binding };

  log(`Building better-sqlite3 ${version} for Electron ${electronVersion} in ${path.relative(root, target)} (once per version)...`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(source, target, { recursive: true, filter: (file) => !file.startsWith(path.join(source, 'build')) });
  const nodeGyp = createRequire(path.join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  const result = spawnSync(
    process.execPath,
    [nodeGyp, 'rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'],
    { cwd: target, stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 },
  );
  if (result.error) return { ok: false, reason: `${result.error.message}. ${NATIVE_RETRY}` };
  if (result.status !== 0 || !fs.existsSync(binding)) {
    return {
      ok: false,
      reason: `node-gyp exited with ${result.status ?? result.signal} (its output is above). It needs Electron's headers, downloaded from electronjs.org/headers, and a C++ toolchain (Python 3, make and g++ on Linux; Xcode Command Line Tools on macOS; Visual Studio Build Tools on Windows). ${NATIVE_RETRY}`,
    };
  }
  fs.writeFileSync(stamp, version);
  return { ok: true, binding };
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The Electron executable when Electron's installer has put it in place, by the same tests as its
 * install.js (`dist/version` is this package's version, path.txt names the executable); null
 * otherwise, including after an upgrade left an older runtime behind. Never downloads anything.
 */
export function findElectronBinary(root: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = path.join(root, 'node_modules', 'electron');
  const relative = readText(path.join(dir, 'path.txt'))?.trim();
  if (!relative) return null;
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (override) return fs.existsSync(path.join(override, relative)) ? path.join(override, relative) : null;
  const installed = readText(path.join(dir, 'dist', 'version'))?.trim().replace(/^v/, '');
  if (installed !== electronVersion(root)) return null;
  const binary = path.join(dir, 'dist', relative);
  return fs.existsSync(binary) ? binary : null;
}

export function electronVersion(root: string): string {
  return (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
}
