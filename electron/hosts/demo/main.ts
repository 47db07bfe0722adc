import { randomBytes } from 'node:crypto';
import { commandLine, type CommandLine } from '../core/command-line.js';
import { defaultDataDir } from '../core/data-dir.js';
import { closeOnSignals } from '../core/shutdown.js';
import { PortInUseError, startCore, type RunningCore } from '../core/start-core.js';
import { loadToken } from '../core/token.js';
import { DemoFolderError, prepareDemoFolder, removeDemoFolder } from './data-folder.js';
import { LiveTraffic } from './live.js';
import { seedWeek } from './seed.js';
import { generateWeek, runningModels } from './week.js';

/** Not the real instance's 7423: a demo next to a running ModelMeter must not collide with it. */
export const DEMO_PORT = 7424;

const USAGE = `Usage: npm run demo -- [--port N] [--data-dir DIR] [--keep] [--seed N]
  --port N        port on 127.0.0.1 (default ${DEMO_PORT}; the real app uses 7423)
  --data-dir DIR  a new or empty folder, or an earlier demo's (default: a new temporary folder)
  --keep          keep the demo's data folder on exit (it is deleted otherwise)
  --seed N        seed of the generated week (default 20251)
  MODELMETER_TOKEN fixes the API token instead of a generated one.`;

const cli: CommandLine = commandLine('modelmeter demo', USAGE);

async function main(): Promise<void> {
  const values = cli.parse({ port: { type: 'string' }, 'data-dir': { type: 'string' }, keep: { type: 'boolean' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values === null) return;
  const port = cli.wholeNumber(values.port, DEMO_PORT, 'port', 65_535);
  const seed = cli.wholeNumber(values.seed, 20251, 'seed', 2 ** 32 - 1);
  const env = process.env;

  let folder;
  try {
    folder = prepareDemoFolder({ dataDir: values['data-dir'], realDataDir: env['MODELMETER_DATA_DIR'] ?? defaultDataDir() });
  } catch (error) {
    cli.fail(error instanceof DemoFolderError ? error.message : `cannot prepare the demo folder: ${(error as Error).message}`);
  }
  const dir = folder.dir;
  const cleanUp = () => {
    if (folder.created && !values.keep) removeDemoFolder(dir);
  };

  let token: string;
  try {
    token = env['MODELMETER_TOKEN']?.trim() ? loadToken(dir, env['MODELMETER_TOKEN']) : randomBytes(24).toString('base64url');
  } catch (error) {
    cleanUp();
    cli.fail((error as Error).message);
  }

  let core: RunningCore;
  try {
    core = await startCore({ dataDir: dir, port, token, ...(env['MODELMETER_RENDERER_DIR'] ? { rendererDir: env['MODELMETER_RENDERER_DIR'] } : {}), log: (message) => process.stderr.write(`${message}\n`) });
  } catch (error) {
    cleanUp();
    if (error instanceof PortInUseError) cli.fail(`port ${port} is already in use. Choose another with --port.`);
    throw error;
  }

  const now = Date.now();
  const week = generateWeek({ seed, now });
  if (folder.fresh) {
    const started = performance.now();
    const seeded = await seedWeek(core.service, week);
    process.stdout.write(
      `Generated a week of demo data in ${Math.round(performance.now() - started)} ms: ${seeded.requests} requests, ${seeded.runs} runs, ` +
        `${seeded.priceVersions} price versions, ${seeded.circuitUpdates} circuit updates.\n`,
    );
  } else {
    process.stdout.write('Reusing the demo data already in the folder.\n');
  }

  const live = new LiveTraffic(seed, runningModels(week));
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  const tick = async () => {
    const service = core.service;
    const step = live.tick(Date.now(), await service.listCircuits({}));
    if (step.records.length > 0) await service.ingestRequests(step.records);
    for (const heartbeat of step.heartbeats) await service.reportRun(heartbeat);
    if (step.circuits.length > 0) await service.putCircuits(step.circuits);
  };
  const schedule = () => {
    if (stopping) return;
    timer = setTimeout(() => {
      tick().then(schedule, (error: unknown) => {
        process.stderr.write(`live traffic: ${(error as Error).message}\n`);
        schedule();
      });
    }, live.nextDelay());
  };

  // Before the banner: whoever reads it may stop us at once, and a signal without a handler would
  // kill the process without cleaning up.
  closeOnSignals('stopping the demo', async () => {
    stopping = true;
    if (timer) clearTimeout(timer);
    await core.close();
    cleanUp();
    process.stderr.write(folder.created && !values.keep ? `Deleted ${dir}.\n` : `Kept ${dir}.\n`);
  });
  process.stdout.write(
    [
      `ModelMeter demo is running. Data (made up): ${dir}${folder.created && !values.keep ? '  (deleted on exit; --keep keeps it)' : ''}`,
      `  Dashboard: ${core.url}/#token=${token}`,
      `  API:       ${core.url}/api/v1  (Authorization: Bearer ${token})`,
      'Live traffic every 1-2 s. Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  schedule();
}

void main().catch((error: unknown) => cli.fail((error as Error).stack ?? String(error)));
