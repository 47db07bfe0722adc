import { commandLine, type CommandLine } from '../core/command-line.js';
import { DataDirError, defaultDataDir, prepareDataDir } from '../core/data-dir.js';
import { closeOnSignals } from '../core/shutdown.js';
import { DEFAULT_PORT, PortInUseError, startCore } from '../core/start-core.js';
import { loadToken } from '../core/token.js';
import { NewerSchemaError } from '../../ledger/store/migrations.js';

const USAGE = `Usage: npm run serve -- [--port N] [--data-dir DIR]
  --port N        port on 127.0.0.1 (default ${DEFAULT_PORT}, or MODELMETER_PORT)
  --data-dir DIR  where the database and token live (default: the per-user app data folder, or MODELMETER_DATA_DIR)
  MODELMETER_TOKEN fixes the API token instead of the generated one.`;

const cli: CommandLine = commandLine('modelmeter', USAGE);

async function main(): Promise<void> {
  const values = cli.parse({ port: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values === null) return;
  const env = process.env;
  const port = cli.wholeNumber(values.port ?? env['MODELMETER_PORT'], DEFAULT_PORT, 'port', 65_535);
  let dataDir: string;
  let token: string;
  try {
    dataDir = prepareDataDir(values['data-dir'] ?? env['MODELMETER_DATA_DIR'] ?? defaultDataDir());
  } catch (error) {
    cli.fail(error instanceof DataDirError ? error.message : `cannot prepare the data folder: ${(error as Error).message}`);
  }
  try {
    token = loadToken(dataDir, env['MODELMETER_TOKEN']);
  } catch (error) {
    // A bad MODELMETER_TOKEN is not a data folder problem: say what is wrong with it.
    cli.fail(env['MODELMETER_TOKEN']?.trim() ? (error as Error).message : `cannot read or create the API token in ${dataDir}: ${(error as Error).message}`);
  }

  let core;
  try {
    core = await startCore({ dataDir, port, token, ...(env['MODELMETER_RENDERER_DIR'] ? { rendererDir: env['MODELMETER_RENDERER_DIR'] } : {}), log: (message) => process.stderr.write(`${message}\n`) });
  } catch (error) {
    if (error instanceof PortInUseError || error instanceof NewerSchemaError) cli.fail(error.message);
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

void main().catch((error: unknown) => cli.fail((error as Error).stack ?? String(error)));
