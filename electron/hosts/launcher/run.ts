import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureElectronRuntime, nodeNote } from './electron-runtime.js';
import { explainElectronExit } from './exit-notes.js';
import { electronVersion, ensureElectronSqlite, findElectronBinary } from './native.js';
import { settleLaunch, type LaunchFacts } from './plan.js';

/**
 * `npm start` after the builds (scripts/start-desktop.mjs): the Electron app when possible, the
 * headless server otherwise, with the same arguments. Resolves with the child's exit code.
 */
export async function runLauncher(root: string, args: readonly string[]): Promise<number> {
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const facts: LaunchFacts = {
    platform: process.platform,
    env: process.env,
    electronVersion: electronVersion(root),
    electronBinary: findElectronBinary(root),
  };
  const nodeWarning = nodeNote(process.versions.node);
  if (nodeWarning) log(`Note: desktop work (npm start, npm run dist) is supported on Node >= 22.12; trying anyway.${nodeWarning}`);
  const plan = settleLaunch(facts, {
    fetchElectron: () => ensureElectronRuntime({ root, electronVersion: facts.electronVersion, log }),
    buildNative: () => ensureElectronSqlite({ root, electronVersion: facts.electronVersion, log }),
  });
  if (plan.kind === 'electron') {
    log(`Starting the ModelMeter desktop app (Electron ${facts.electronVersion})...`);
    const exit = await run(plan.binary, [path.join(root, 'dist', 'electron', 'desktop', 'main.js')], { ...desktopEnv(args), MODELMETER_NATIVE_BINDING: plan.nativeBinding });
    const note = explainElectronExit({
      ...exit,
      platform: process.platform,
      usernsRestricted: readFlag('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
      sandboxHelper: path.join(path.dirname(plan.binary), 'chrome-sandbox'),
    });
    if (note) log(`\n${note}`);
    return exitCode(exit);
  }
  if (plan.kind === 'headless') {
    log(`${plan.reason}\nRunning the headless server instead (the same ledger and API; the dashboard opens in a browser).\n`);
    return exitCode(await run(process.execPath, [path.join(root, 'dist', 'electron', 'headless', 'main.js'), ...args], {}));
  }
  throw new Error('the launcher could not decide how to start');
}

function exitCode(exit: { code: number | null; signal: NodeJS.Signals | null }): number {
  return exit.code ?? (exit.signal ? 1 : 0);
}

function readFlag(file: string): boolean | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() === '1';
  } catch {
    return null;
  }
}

/** The desktop app reads its port and data folder from the environment (Electron owns its argv). */
export function desktopEnv(args: readonly string[]): Record<string, string> {
  const { values } = parseArgs({ args: [...args], options: { port: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: false });
  const env: Record<string, string> = {};
  if (typeof values.port === 'string') env['MODELMETER_PORT'] = values.port;
  if (typeof values['data-dir'] === 'string') env['MODELMETER_DATA_DIR'] = path.resolve(values['data-dir']);
  return env;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    // Ctrl+C reaches the child through the terminal's process group; only forward a plain SIGTERM.
    const forward = () => child.kill('SIGTERM');
    process.on('SIGTERM', forward);
    process.on('SIGINT', () => {});
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve({ code, signal });
    });
  });
}
