import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { electronVersion, ensureElectronSqlite, findElectronBinary } from './native.js';
import { planLaunch, type LaunchFacts } from './plan.js';

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
  let plan = planLaunch(facts);
  if (plan.kind === 'build-native') {
    plan = planLaunch({ ...facts, native: ensureElectronSqlite({ root, electronVersion: facts.electronVersion, log }) });
  }
  if (plan.kind === 'electron') {
    log(`Starting the ModelMeter desktop app (Electron ${facts.electronVersion})...`);
    return run(plan.binary, [path.join(root, 'dist', 'electron', 'desktop', 'main.js')], { ...desktopEnv(args), MODELMETER_NATIVE_BINDING: plan.nativeBinding });
  }
  if (plan.kind === 'headless') {
    log(`${plan.reason}\nRunning the headless server instead (the same ledger and API; the dashboard opens in a browser).\n`);
    return run(process.execPath, [path.join(root, 'dist', 'electron', 'headless', 'main.js'), ...args], {});
  }
  throw new Error('the launcher could not decide how to start');
}

/** The desktop app reads its port and data folder from the environment (Electron owns its argv). */
export function desktopEnv(args: readonly string[]): Record<string, string> {
  const { values } = parseArgs({ args: [...args], options: { port: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: false });
  const env: Record<string, string> = {};
  if (typeof values.port === 'string') env['MODELMETER_PORT'] = values.port;
  if (typeof values['data-dir'] === 'string') env['MODELMETER_DATA_DIR'] = path.resolve(values['data-dir']);
  return env;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    // Ctrl+C reaches the child through the terminal's process group; only forward a plain SIGTERM.
    const forward = () => child.kill('SIGTERM');
    process.on('SIGTERM', forward);
    process.on('SIGINT', () => {});
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
