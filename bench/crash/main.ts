import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HEADLESS_MAIN, REPO_ROOT } from '../util.js';
import { DEFAULT_OPTIONS, runCrash } from './harness.js';
import { formatResult } from './report.js';
import { formatForwarding, runForwardingCrash } from './forwarding.js';

/** Kills of the forwarding scenario by default. */
const FORWARD_KILLS = 5;

const USAGE = `Usage: npm run crash -- [--kills N] [--proxy-kills N] [--seed N] [--rate R] [--proxy-rate R] [--data-dir DIR] [--out FILE]
  --kills N        kill -9 during HTTP ingest and run reports (default ${DEFAULT_OPTIONS.kills})
  --proxy-kills N  kill -9 during proxied traffic (default ${DEFAULT_OPTIONS.proxyKills})
  --forward-kills N  kill -9 of a source forwarding to a second server, during ingest (default ${FORWARD_KILLS}; 0 skips it)
  --seed N         seeds the kill moments and the records (default: random, printed)
  --rate R         ingest records per second over all clients (default ${DEFAULT_OPTIONS.rate})
  --proxy-rate R   proxied requests per second (default ${DEFAULT_OPTIONS.proxyRate})
  --min-ms/--max-ms  range of the kill moment into each phase (default ${DEFAULT_OPTIONS.minKillMs}-${DEFAULT_OPTIONS.maxKillMs})
  --margin-ms M    slack over the proxy's 250 ms buffer window (default ${DEFAULT_OPTIONS.proxyMarginMs})
  --data-dir DIR   a new or empty folder for the database (default: a temporary folder, removed after a pass)
  --out FILE       the JSON result (default .bench-data/crash-<seed>.json)
Exits 1 on any violation.`;

function number(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    process.stderr.write(`crash: --${name} must be a number, not "${value}"\n${USAGE}\n`);
    process.exit(2);
  }
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kills: { type: 'string' },
      'proxy-kills': { type: 'string' },
      'forward-kills': { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      'proxy-rate': { type: 'string' },
      'min-ms': { type: 'string' },
      'max-ms': { type: 'string' },
      'margin-ms': { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const seed = Math.floor(number(values.seed, Math.floor(Math.random() * 2 ** 31), 'seed'));
  const temporary = values['data-dir'] === undefined;
  const dataDir = path.resolve(values['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-crash-')));
  const out = path.resolve(values.out ?? path.join(REPO_ROOT, '.bench-data', `crash-${seed}.json`));
  process.stderr.write(`crash test: seed ${seed}, data in ${dataDir}, ${os.cpus().length} cores, Node ${process.version}\n`);
  const result = await runCrash({
    ...DEFAULT_OPTIONS,
    main: HEADLESS_MAIN,
    dataDir,
    seed,
    kills: Math.floor(number(values.kills, DEFAULT_OPTIONS.kills, 'kills')),
    proxyKills: Math.floor(number(values['proxy-kills'], DEFAULT_OPTIONS.proxyKills, 'proxy-kills')),
    rate: number(values.rate, DEFAULT_OPTIONS.rate, 'rate'),
    proxyRate: number(values['proxy-rate'], DEFAULT_OPTIONS.proxyRate, 'proxy-rate'),
    minKillMs: number(values['min-ms'], DEFAULT_OPTIONS.minKillMs, 'min-ms'),
    maxKillMs: number(values['max-ms'], DEFAULT_OPTIONS.maxKillMs, 'max-ms'),
    proxyMarginMs: number(values['margin-ms'], DEFAULT_OPTIONS.proxyMarginMs, 'margin-ms'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatResult(result)}\n`);
  const forwardKills = Math.floor(number(values['forward-kills'], FORWARD_KILLS, 'forward-kills'));
  const forwarding =
    forwardKills > 0
      ? await runForwardingCrash({ main: HEADLESS_MAIN, seed, kills: forwardKills, minKillMs: 50, maxKillMs: 2_000, log: (line) => process.stderr.write(`${line}\n`) })
      : null;
  if (forwarding) process.stdout.write(`\n${formatForwarding(forwarding)}\n`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, node: process.version }, ...result, forwarding }, null, 2)}\n`);
  process.stdout.write(`Result: ${out}\n`);
  if (forwarding && forwarding.violations.length > 0) process.exitCode = 1;
  if (result.violations.length > 0) {
    process.stdout.write(`The database is kept for inspection in ${dataDir}\n`);
    process.exitCode = 1;
  } else if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`crash test failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
