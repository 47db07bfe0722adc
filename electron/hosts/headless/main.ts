import { commandLine, type CommandLine } from '../core/command-line.js';
import { DataDirError, defaultDataDir, prepareDataDir } from '../core/data-dir.js';
import { closeOnSignals } from '../core/shutdown.js';
import { DEFAULT_PORT, PortInUseError, startCore } from '../core/start-core.js';
import { loadToken } from '../core/token.js';
import { NewerSchemaError } from '../../ledger/store/migrations.js';
import { parseCommandLineForwarding, type CommandLineForwarding } from '../../app/forwarding/forward-settings.js';

function isLoopbackAddress(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
}

const USAGE = `Usage: npm run serve -- [--port N] [--data-dir DIR] [--bind ADDRESS] [--forward-to URL --forward-token T [--forward-host NAME]]
  --port N        port on 127.0.0.1 (default ${DEFAULT_PORT}, or MODELMETER_PORT)
  --data-dir DIR  where the database and token live (default: the per-user app data folder, or MODELMETER_DATA_DIR)
  --bind ADDRESS  the address to listen on (default 127.0.0.1; 0.0.0.0 to receive from other machines)
  --forward-to URL     forward this ledger to another ModelMeter (its dashboard URL), for this run (or MODELMETER_FORWARD_TO)
  --forward-token T    that ModelMeter's API token (or MODELMETER_FORWARD_TOKEN)
  --forward-host NAME  the name this machine's records carry there (default: the host name, or MODELMETER_FORWARD_HOST)
  MODELMETER_TOKEN fixes the API token instead of the generated one.`;

const cli: CommandLine = commandLine('modelmeter', USAGE);

async function main(): Promise<void> {
  const values = cli.parse({
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    bind: { type: 'string' },
    'forward-to': { type: 'string' },
    'forward-token': { type: 'string' },
    'forward-host': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values === null) return;
  const env = process.env;
  const port = cli.wholeNumber(values.port ?? env['MODELMETER_PORT'], DEFAULT_PORT, 'port', 65_535);
  let forward: CommandLineForwarding | null = null;
  try {
    forward = parseCommandLineForwarding({
      to: values['forward-to'] ?? env['MODELMETER_FORWARD_TO'],
      token: values['forward-token'] ?? env['MODELMETER_FORWARD_TOKEN'],
      host: values['forward-host'] ?? env['MODELMETER_FORWARD_HOST'],
    });
  } catch (error) {
    cli.fail((error as Error).message);
  }
  const bind = values.bind ?? '127.0.0.1';
  if (!isLoopbackAddress(bind)) {
    process.stderr.write(
      `modelmeter: listening on ${bind}: other machines can reach this server. The API token still guards every call, ` +
        'but HTTP is clear text (the token included): over an untrusted network use an SSH tunnel (ssh -L 7423:127.0.0.1:7423 ...) or a TLS reverse proxy instead.\n',
    );
  }
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
    core = await startCore({ dataDir, port, token, host: bind, ...(forward ? { forward } : {}), ...(env['MODELMETER_RENDERER_DIR'] ? { rendererDir: env['MODELMETER_RENDERER_DIR'] } : {}), log: (message) => process.stderr.write(`${message}\n`) });
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
      ...(forward ? [`  Forwarding to ${forward.targetUrl} (GET ${core.url}/api/v1/forwarding shows how far behind it is)`] : []),
      '',
    ].join('\n'),
  );
}

void main().catch((error: unknown) => cli.fail((error as Error).stack ?? String(error)));
