import { parseArgs } from 'node:util';
import { DataDirError, defaultDataDir, prepareDataDir } from '../core/data-dir.js';
import { closeOnSignals } from '../core/shutdown.js';
import { DEFAULT_PORT, PortInUseError, startCore } from '../core/start-core.js';
import { loadToken } from '../core/token.js';
import { NewerSchemaError } from '../../ledger/store/migrations.js';

const USAGE = `Usage: npm run serve -- [--port N] [--data-dir DIR]
  --port N        port on 127.0.0.1 (default ${DEFAULT_PORT}, or MODELMETER_PORT)
  --data-dir DIR  where the database and token live (default: the per-user app data folder, or MODELMETER_DATA_DIR)
  MODELMETER_TOKEN fixes the API token instead of the generated one.`;

function fail(message: string): never {
  process.stderr.write(`modelmeter: ${message}\n`);
  process.exit(1);
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`port must be a whole number from 0 to 65535, not "${text}"`);
  return port;
}

async function main(): Promise<void> {
  let values: { port?: string | undefined; 'data-dir'?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const env = process.env;
  const port = parsePort(values.port ?? env['MODELMETER_PORT']);
  let dataDir: string;
  let token: string;
  try {
    dataDir = prepareDataDir(values['data-dir'] ?? env['MODELMETER_DATA_DIR'] ?? defaultDataDir());
  } catch (error) {
    fail(error instanceof DataDirError ? error.message : `cannot prepare the data folder: ${(error as Error).message}`);
  }
  try {
    token = loadToken(dataDir, env['MODELMETER_TOKEN']);
  } catch (error) {
    // A bad MODELMETER_TOKEN is not a data folder problem: say what is wrong with it.
    fail(env['MODELMETER_TOKEN']?.trim() ? (error as Error).message : `cannot read or create the API token in ${dataDir}: ${(error as Error).message}`);
  }

  let core;
  try {
    core = await startCore({ dataDir, port, token, ...(env['MODELMETER_RENDERER_DIR'] ? { rendererDir: env['MODELMETER_RENDERER_DIR'] } : {}), log: (message) => process.stderr.write(`${message}\n`) });
  } catch (error) {
    if (error instanceof PortInUseError || error instanceof NewerSchemaError) fail(error.message);
    throw error;
  }
  // Before the banner: whoever reads it may stop us at once, and a signal without a handler would
  // kill the process without flushing.
  closeOnSignals('flushing and closing the database', () => core.close());
  process.stdout.write(
    [
      `ModelMeter is running (headless). Data: ${dataDir}`,
      `  Dashboard: ${core.url}/#token=${token}`,
      `  API:       ${core.url}/api/v1  (Authorization: Bearer ${token})`,
      '',
    ].join('\n'),
  );
}

void main().catch((error: unknown) => fail((error as Error).stack ?? String(error)));
