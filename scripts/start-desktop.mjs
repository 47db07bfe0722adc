#!/usr/bin/env node
// `npm start [-- --port N --data-dir DIR]`: builds the core, renderer and preload, then starts the
// desktop app, or the headless server where Electron cannot run here (the reason is printed).
// The decision is electron/hosts/launcher/plan.ts (tested); this file only builds and hands over.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

for (const script of ['build:core', 'build:renderer', 'build:preload']) {
  const result = spawnSync(npm, ['run', '--silent', script], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`npm start: "npm run ${script}" failed; nothing was started.\n`);
    process.exit(result.status ?? 1);
  }
}

const { runLauncher } = await import(new URL('../dist/electron/hosts/launcher/run.js', import.meta.url).href);
process.exit(await runLauncher(root, process.argv.slice(2)));
