import fs from 'node:fs';
import path from 'node:path';
import { Random } from '../../electron/hosts/demo/random.js';
import { freePort } from '../util.js';
import { readDatabase } from './database.js';
import { callJson, sleep } from './http.js';
import { checkIngest, IngestBook, lostPostsOf, PRICED_MODEL, runIngestClients, type IngestCheck, type IngestStats } from './ingest.js';
import { checkProxy, newProxyBook, PROXY_ROUTE, PROXY_SOURCE, runProxyClients, Upstream, type ProxyCheck } from './proxy.js';
import { checkProgramRuns, checkRuns, Launcher, type RunCheck } from './runs.js';
import { kill9, startLife, stopLife, type Life } from './server.js';
import { compareTotals, fetchSnapshot, fetchSummaryTotals, totalsOf, type Snapshot, type Totals } from './snapshot.js';
import { Violations } from './violations.js';

export interface CrashOptions {
  /** The built headless server: dist/electron/hosts/headless/main.js. */
  main: string;
  /** A new or empty folder: the harness must know every record in the database. */
  dataDir: string;
  seed: number;
  /** Kills during HTTP ingest (with runs reported), then kills during proxied traffic. */
  kills: number;
  proxyKills: number;
  /** Ingest records per second over all clients. */
  rate: number;
  /** Proxied requests per second, and how many in flight at most. */
  proxyRate: number;
  proxyConcurrency: number;
  /** Each kill lands this long into its phase: log-uniform between the two (seeded). */
  minKillMs: number;
  maxKillMs: number;
  /** The proxy's documented loss window (RECORD_INTERVAL_MS) and the slack allowed on top. */
  proxyWindowMs: number;
  proxyMarginMs: number;
  /** runStaleSeconds set for the run: the lowest the settings allow, so closing is seen within the test. */
  staleSeconds: number;
  log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<CrashOptions, 'main' | 'dataDir'> = {
  seed: 1,
  kills: 20,
  proxyKills: 20,
  rate: 5_000,
  proxyRate: 300,
  proxyConcurrency: 16,
  minKillMs: 20,
  maxKillMs: 2_000,
  proxyWindowMs: 250,
  proxyMarginMs: 100,
  staleSeconds: 10,
};

export interface Cycle {
  life: number;
  phase: 'ingest' | 'proxy';
  /** How long into the phase the kill landed. */
  killAfterMs: number;
  /** The next start, spawn to first /healthz answer. */
  restartMs: number;
}

export interface CrashResult {
  seed: number;
  options: Omit<CrashOptions, 'main' | 'dataDir' | 'log'>;
  kills: number;
  durationMs: number;
  cycles: Cycle[];
  restart: { medianMs: number; maxMs: number };
  ingest: IngestCheck & { sent: number; stats: IngestStats };
  runs: RunCheck & { reporters: number; events: Launcher['stats'] };
  programRuns: number;
  /** Summary totals (all time) compared with the sum of the raw rows: once per restart and at the end. */
  summaryChecks: number;
  database: { integrity: string; foreignKeyProblems: number; rollupsMatchRaw: boolean; cleanExitCodes: (number | null)[] };
  proxy: ProxyCheck & { windowMs: number; marginMs: number; upstreamAnswered: number };
  violations: string[];
}

const DATABASE_FILE = 'modelmeter.db';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * The crash proof: ingest (and runs) over HTTP at a sustained rate, then proxied traffic, each
 * interrupted by kill -9 at seeded random moments; after every restart the API is checked against what
 * the clients were told, and after a final clean stop the database file itself.
 */
export async function runCrash(options: CrashOptions): Promise<CrashResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  fs.mkdirSync(options.dataDir, { recursive: true });
  if (fs.existsSync(path.join(options.dataDir, DATABASE_FILE))) {
    throw new Error(`${options.dataDir} already holds a database: the crash test needs a new or empty folder`);
  }
  const violations = new Violations();
  // Separate sources, so that the kill moments of a seed stay the same however the traffic went.
  const moments = new Random(options.seed);
  const fates = new Random((options.seed ^ 0x85ebca6b) >>> 0);
  const content = new Random((options.seed ^ 0x9e3779b9) >>> 0);
  const book = new IngestBook(options.seed, violations);
  const launcher = new Launcher(options.seed, violations);
  const proxyBook = newProxyBook();
  const upstream = new Upstream();
  await upstream.start(options.seed);
  const port = await freePort();
  const server = { main: options.main, dataDir: options.dataDir, port };
  const staleMs = options.staleSeconds * 1000;
  const lives: Life[] = [];
  const cycles: Cycle[] = [];
  const cleanExitCodes: (number | null)[] = [];
  let summaryChecks = 0;
  let current: Life | null = null;

  const start = async (): Promise<Life> => {
    const life = await startLife(server, lives.length + 1);
    lives.push(life);
    current = life;
    return life;
  };

  /** Everything the API shows, against what the clients were told; answers the snapshot. */
  const checkApi = async (when: string, sweptAt: number): Promise<Snapshot> => {
    const snapshot = await fetchSnapshot(port);
    const summary = await fetchSummaryTotals(port);
    summaryChecks++;
    for (const line of compareTotals(`${when}: summary`, summary, totalsOf(snapshot.requests))) violations.add(`summary-${when}-${line}`, line);
    checkIngest(book, snapshot.requests, when, violations);
    checkProxy(proxyBook, snapshot.requests, options.proxyWindowMs, options.proxyMarginMs, when, violations);
    checkRuns(launcher, snapshot.runs, staleMs, sweptAt, when, violations);
    checkProgramRuns(lives, snapshot.programRuns, when, violations);
    for (const row of snapshot.requests) {
      if (row.requestId === null && row.source !== PROXY_SOURCE) violations.add(`stray-${row.ts}-${row.model}`, `${when}: a record without a request id from ${row.source} that nobody sent`);
    }
    return snapshot;
  };

  try {
    const phases: ('ingest' | 'proxy')[] = [...Array<'ingest'>(options.kills).fill('ingest'), ...Array<'proxy'>(options.proxyKills).fill('proxy')];
    let life = await start();
    // Set up once; all of it must survive every kill.
    await callJson(port, { method: 'PATCH', path: '/api/v1/settings', body: { runStaleSeconds: options.staleSeconds } });
    await callJson(port, {
      method: 'PUT',
      path: `/api/v1/pricing/${PRICED_MODEL}`,
      body: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: 8_000, input: 1.5, output: 6, cacheRead: 0.15, cacheWrite: 1.875 }, { maxPromptTokens: null, input: 3, output: 12 }] },
    });
    await callJson(port, { method: 'PUT', path: `/api/v1/routes/${PROXY_ROUTE}`, body: { protocol: 'openai', channels: [{ baseUrl: `http://127.0.0.1:${upstream.port}` }] } });

    for (const [index, phase] of phases.entries()) {
      let running = true;
      const isRunning = () => running;
      const load =
        phase === 'ingest'
          ? runIngestClients(port, book, content, life.index, { rate: options.rate, batchClients: 3, singleClients: 2 }, isRunning)
          : runProxyClients(port, proxyBook, life.index, options.proxyRate, options.proxyConcurrency, isRunning, violations);
      const reporting = launcher.run(port, content, isRunning);
      const killAfterMs = options.minKillMs * (options.maxKillMs / options.minKillMs) ** moments.next();
      await sleep(killAfterMs);
      const killing = kill9(life);
      running = false;
      await killing;
      await Promise.all([load, reporting]);
      proxyBook.kills.set(life.index, life.killedPerf!);
      launcher.killed(fates, life.killedAt!);

      const killed = life;
      life = await start();
      cycles.push({ life: killed.index, phase, killAfterMs: Math.round(killAfterMs), restartMs: life.healthyAt - life.spawnedAt });
      const when = `after kill ${index + 1} (${phase}, life ${killed.index})`;
      const snapshot = await checkApi(when, life.spawnedAt);
      // A client that got no answer sends the same post again (about half of them do).
      for (const { post, stored } of lostPostsOf(book, killed.index, snapshot.requests)) {
        if (fates.chance(0.5)) await book.retry(port, post, stored);
      }
      log(
        `kill ${index + 1}/${phases.length} (${phase}) ${Math.round(killAfterMs)} ms into the phase; restart ${life.healthyAt - life.spawnedAt} ms; ` +
          `${snapshot.requests.length} rows stored; violations so far: ${violations.count}`,
      );
    }

    // Reporters that died with the server go quiet; wait out their stale window with the live ones
    // still heartbeating, then restart cleanly so the start-up sweep must have closed them.
    let running = true;
    const reporting = launcher.run(port, content, () => running);
    const quietUntil = launcher.lastSilentHeartbeat() + staleMs + 1_500;
    while (Date.now() < quietUntil) await sleep(Math.min(200, quietUntil - Date.now()));
    running = false;
    await reporting;
    cleanExitCodes.push((await stopLife(life)).code);
    life = await start();
    await checkApi('after the stale window and a clean restart', life.spawnedAt);
    await launcher.stopAll(port);
    const summary = await fetchSummaryTotals(port);
    const finalSnapshot = await fetchSnapshot(port);
    cleanExitCodes.push((await stopLife(life)).code);
    current = null;
    for (const code of cleanExitCodes) if (code !== 0) violations.add(`exit-${code}`, `a SIGTERM stop exited with ${code}`);

    // The exact check: the file itself, read-only, after the clean stop.
    const db = readDatabase(path.join(options.dataDir, DATABASE_FILE));
    if (db.integrity !== 'ok') violations.add('integrity', `PRAGMA integrity_check: ${db.integrity}`);
    if (db.foreignKeyProblems > 0) violations.add('foreign-keys', `PRAGMA foreign_key_check: ${db.foreignKeyProblems} rows`);
    const raw: Totals = db.raw;
    const mismatches = [
      ...compareTotals('raw rows (SQL sums)', raw, totalsOf(db.snapshot.requests)),
      ...compareTotals('rollup_minute', db.rollups.minute, raw),
      ...compareTotals('rollup_hour', db.rollups.hour, raw),
      ...compareTotals('rollup_day', db.rollups.day, raw),
      ...compareTotals('the final summary over the API', summary, raw),
    ];
    for (const line of mismatches) violations.add(`rollup-${line}`, `database: ${line}`);
    if (finalSnapshot.requests.length !== db.snapshot.requests.length) {
      violations.add('api-vs-db', `the API listed ${finalSnapshot.requests.length} requests, the database holds ${db.snapshot.requests.length}`);
    }
    const ingest = checkIngest(book, db.snapshot.requests, 'database', violations);
    const proxy = checkProxy(proxyBook, db.snapshot.requests, options.proxyWindowMs, options.proxyMarginMs, 'database', violations);
    // Every reporter is silent now and the last sweep ran at the clean restart.
    const runs = checkRuns(launcher, db.snapshot.runs, staleMs, lives[lives.length - 1]!.spawnedAt, 'database', violations);
    for (const run of db.snapshot.runs) if (run.end === null) violations.add(`run-open-end-${run.model}`, `database: run ${run.id} of ${run.model} is still open after every reporter stopped`);
    const programRuns = checkProgramRuns(lives, db.snapshot.programRuns, 'database', violations);

    const restarts = cycles.map((cycle) => cycle.restartMs);
    const { log: _log, main: _main, dataDir: _dataDir, ...shown } = options;
    return {
      seed: options.seed,
      options: shown,
      kills: cycles.length,
      durationMs: Math.round(performance.now() - started),
      cycles,
      restart: { medianMs: median(restarts), maxMs: Math.max(0, ...restarts) },
      ingest: { ...ingest, sent: book.records.size, stats: book.stats },
      runs: { ...runs, reporters: launcher.reporters.length, events: launcher.stats },
      programRuns,
      summaryChecks,
      database: { integrity: db.integrity, foreignKeyProblems: db.foreignKeyProblems, rollupsMatchRaw: mismatches.length === 0, cleanExitCodes },
      proxy: { ...proxy, windowMs: options.proxyWindowMs, marginMs: options.proxyMarginMs, upstreamAnswered: upstream.answered },
      violations: violations.list(),
    };
  } finally {
    const left = current as Life | null;
    if (left && left.child.exitCode === null && left.child.signalCode === null) {
      left.child.kill('SIGKILL');
      await left.exited;
    }
    await upstream.stop();
  }
}
