#!/usr/bin/env node
// `npm run dist [-- electron-builder options]`: builds everything, then packages with electron-builder
// and leaves node_modules/better-sqlite3 built for Node afterwards (electron/hosts/launcher/keep-node-native.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const windows = process.platform === 'win32';
const npm = windows ? 'npm.cmd' : 'npm';
const npx = windows ? 'npx.cmd' : 'npx';

const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit', shell: windows });
if (build.status !== 0) process.exit(build.status ?? 1);

const { packKeepingNodeNative } = await import(new URL('../dist/electron/hosts/launcher/keep-node-native.js', import.meta.url).href);
process.exit(
  packKeepingNodeNative({
    root,
    log: (message) => process.stderr.write(`${message}\n`),
    pack: () => spawnSync(npx, ['electron-builder', '--publish', 'never', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', shell: windows }).status ?? 1,
  }),
);
