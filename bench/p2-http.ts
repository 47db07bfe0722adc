import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { P2ClientJob, P2ClientResult } from './p2-client.js';
import { BENCH_DIR, forkChild, serverExecArgv, stopChild, type Child } from './children.js';
import { fmtInt, fmtMs, log, percentile, processCpuSeconds, type Measured } from './util.js';

export interface P2Options {
  benchDir: string;
  seed: number;
  batchRecords: number;
  batches: number;
  batchClients: number;
  singlePosts: number;
  singleClients: number;
  /** The raw better-sqlite3 insert's rate measured in this run (P1): the limit of HTTP ingest. */
  rawRate: number | null;
}

/** Issue 18: HTTP ingest from an ordinary client keeps at least this share of the raw insert's rate. */
export const P2_RATIO_TARGET = 0.2;

const TOKEN = 'bench-token-0123456789abcdef';
const RECORDS_PER_DAY = 10_000_000 / 30;
/** P2e: the same records over a year, about a single busy user's density. */
const SPARSE_DAYS = 365;
const P2_WARMUP_POSTS = 10;
/** P2h: the days its records span (~10,000 a day, as a made-up test set of a few months has them). */
const WIDE_DAYS = 30;
/** P2g: posts in flight, more than the server reads at once (CONNECTION_LIMITS.maxLargeUploads). */
const MANY_CLIENTS = 32;

interface Server extends Child {
  dataDir: string;
}

async function startServer(dataDir: string): Promise<Server> {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  return { ...(await forkChild('core-server.js', [dataDir, TOKEN], serverExecArgv())), dataDir };
}

/** Stops the server and removes its data folder; answers the folder's size once the server closed it. */
async function stopServer(server: Server): Promise<number> {
  await stopChild(server, 'close');
  const bytes = fs.readdirSync(server.dataDir).reduce((sum, name) => sum + fs.statSync(path.join(server.dataDir, name)).size, 0);
  fs.rmSync(server.dataDir, { recursive: true, force: true });
  return bytes;
}

interface LoadResult extends P2ClientResult {
  serverCpu: number | null;
}

/** Runs the fetch client (p2-client.ts) in its own process against the server; every answer is checked there. */
async function load(server: Server, job: Omit<P2ClientJob, 'port' | 'token'>): Promise<LoadResult> {
  const client = fork(path.resolve(BENCH_DIR, 'p2-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const serverCpuBefore = processCpuSeconds(server.child.pid!);
  try {
    const reply = await new Promise<{ ok: true; result: P2ClientResult } | { ok: false; error: string }>((resolve, reject) => {
      client.once('message', (message) => resolve(message as { ok: true; result: P2ClientResult } | { ok: false; error: string }));
      client.once('exit', (code) => reject(new Error(`p2-client exited early (code ${code})`)));
      client.send({ ...job, port: server.port, token: TOKEN } satisfies P2ClientJob);
    });
    if (!reply.ok) throw new Error(`P2 client: ${reply.error}`);
    const serverCpuAfter = processCpuSeconds(server.child.pid!);
    // The server's CPU over the whole client run (generation and warm-up included): an upper bound.
    return { ...reply.result, serverCpu: serverCpuBefore === null || serverCpuAfter === null ? null : serverCpuAfter - serverCpuBefore };
  } finally {
    if (client.exitCode === null) client.kill('SIGTERM');
  }
}

function cpuNote(result: LoadResult): string {
  const server = result.serverCpu === null ? 'n/a' : `${result.serverCpu.toFixed(1)} s`;
  return `CPU: client process ${result.cpuSeconds.toFixed(1)} s (${((100 * result.cpuSeconds) / result.seconds).toFixed(0)}% of a core while measured); server ${server} over the client's whole run incl. warm-up; both share the machine's cores`;
}

/**
 * P2: HTTP ingest into a core (startCore, port 0, fresh data folder, default durability) in a child
 * process, from an ordinary fetch client in another process, against the raw insert of P1.
 */
export async function runP2(options: P2Options): Promise<Measured> {
  const result: Measured = { figures: [], ratios: [] };
  const tmp = path.join(options.benchDir, 'tmp');

  let inOrderRate: number | null = null;
  // A variant's rate beside P2a's (measured first) and beside the raw insert.
  const shareOf = (rate: number): string =>
    `${inOrderRate === null ? '' : `${((100 * rate) / inOrderRate).toFixed(0)}% of P2a's rate`}${options.rawRate === null ? '' : `, ${(rate / options.rawRate).toFixed(2)}x the raw insert`}`;
  const variants = [
    { id: 'P2a', variant: undefined, dir: 'p2-batches', how: '', days: null, clients: null },
    { id: 'P2c', variant: 'shuffled', dir: 'p2-shuffled', how: ' in random time order', days: null, clients: null },
    { id: 'P2d', variant: 'uuid-ids', dir: 'p2-uuid-ids', how: ', each with a random UUID as requestId', days: null, clients: null },
    { id: 'P2f', variant: 'uuid-response-ids', dir: 'p2-uuid-response-ids', how: ', each with a random responseId', days: null, clients: null },
    { id: 'P2e', variant: undefined, dir: 'p2-year', how: ' spread over a year', days: SPARSE_DAYS, clients: null },
    { id: 'P2g', variant: undefined, dir: 'p2-many', how: '', days: null, clients: MANY_CLIENTS },
    { id: 'P2i', variant: 'one-ts', dir: 'p2-one-ts', how: ', all at one time older than the stored ones', days: null, clients: null },
    { id: 'P2j', variant: 'live-ids', dir: 'p2-live-ids', how: ', 100 a millisecond, each with a random requestId and responseId', days: null, clients: null },
    { id: 'P2h', variant: 'wide', dir: 'p2-wide', how: ', keys drawn from 300 models, 200 projects, 20 machines, 30 channels', days: WIDE_DAYS, clients: null },
  ] as const;
  for (const { id, variant, dir, how, days, clients } of variants) {
    const recordsPerDay = days === null ? RECORDS_PER_DAY : ((options.batches + P2_WARMUP_POSTS) * options.batchRecords) / days;
    const inFlight = clients ?? options.batchClients;
    const server = await startServer(path.join(tmp, dir));
    let run: LoadResult | undefined;
    let notes: string[] = [];
    try {
      log(`${id}: fetch client (own process), ${inFlight} posts in flight, ${fmtInt(options.batches)} posts of ${fmtInt(options.batchRecords)} records${how}, JSON built per post...`);
      run = await load(server, {
        seed: options.seed + 1,
        perPost: options.batchRecords,
        posts: options.batches,
        warmupPosts: P2_WARMUP_POSTS,
        clients: inFlight,
        recordsPerDay,
        ...(variant === undefined ? {} : { variant }),
      });
      const rate = run.accepted / run.seconds;
      log(`${id}: ${fmtInt(rate)} records/s`);
      notes = [
        `${fmtInt(run.accepted)} records in ${run.seconds.toFixed(2)} s, ${inFlight} posts in flight from one fetch client in its own process, ~${fmtInt(run.meanBodyBytes / 1024)} KiB per body (JSON.stringify per post, timed); post latency p50 ${fmtMs(percentile(run.latenciesMs, 50))}, p99 ${fmtMs(percentile(run.latenciesMs, 99))}`,
        cpuNote(run),
      ];
      if (clients !== null) {
        // Ours, not a target: a client that keeps more batches in flight than the server reads at once
        // (limits.ts) waits for its turn; until round 21 it got 503s.
        notes.push(`P2a's records with ${clients} posts in flight instead of ${options.batchClients}: ${shareOf(rate)}`);
        result.figures.push({ id, what: `HTTP ingest as P2a, ${clients} posts in flight (records/s)`, value: rate, unit: 'records/s', target: null, better: 'higher', notes });
        continue;
      }
      if (variant === 'wide') {
        // Ours, not a target: a made-up test set's spread of keys (a held-out client's data may look so).
        notes.push(`P2a's count of records over ${days} days (${fmtInt(recordsPerDay)} a day), each record's model, project, machine and channel drawn from 300, 200, 20 and 30 values: ${shareOf(rate)}`);
        result.figures.push({ id, what: 'HTTP ingest as P2a, keys drawn from many values (records/s)', value: rate, unit: 'records/s', target: null, better: 'higher', notes });
        continue;
      }
      if (days !== null) {
        // Ours, not a target: the same client at a single user's density. Rollup rows are per key and
        // bucket, so at ~800 records a day most records open rows of their own in every set.
        const share = shareOf(rate);
        notes.push(`P2a's count of records at ${fmtInt(recordsPerDay)} a day instead of ${fmtInt(RECORDS_PER_DAY)}: ${share}`);
        result.figures.push({ id, what: 'HTTP ingest as P2a, the records spread over a year (records/s)', value: rate, unit: 'records/s', target: null, better: 'higher', notes });
        continue;
      }
      if (variant === undefined) {
        inOrderRate = rate;
        result.figures.push({ id, what: `HTTP ingest, fetch client, batches of ${fmtInt(options.batchRecords)} (records/s)`, value: rate, unit: 'records/s', target: 100_000, better: 'higher', notes });
        result.ratios.push({
          id: 'P2',
          what: `HTTP ingest (fetch client, ${options.batchClients} x ${fmtInt(options.batchRecords)} records in flight) vs raw insert`,
          figure: rate,
          limit: options.rawRate,
          limitWhat: 'the raw insert of P1, same run',
          unit: 'records/s',
          kind: 'ratio',
          target: P2_RATIO_TARGET,
          better: 'higher',
        });
        continue;
      }
      // Ours, not targets: what records written at random places cost beside P2a's run. Ids are time
      // (request-ids.ts), so records out of time order land all over the table and rollups; random
      // request and response ids once landed at random places of their unique indexes, and of buckets of
      // ~17.5 minutes of ids when records came a few milliseconds apart (stored-ids.ts);
      // records at one older time once searched every millisecond the earlier ones filled (request-ids.ts).
      const share = shareOf(rate);
      const span = ((options.batches * options.batchRecords) / RECORDS_PER_DAY).toFixed(1);
      const { what, note } = {
        shuffled: { what: 'HTTP ingest as P2a, timestamps in random order (records/s)', note: `the same records as P2a dealt out in random order, each post spanning the whole ${span} days` },
        'uuid-ids': { what: 'HTTP ingest as P2a, a random UUID requestId on every record (records/s)', note: 'the same records as P2a, each with a requestId from crypto.randomUUID() (idempotent retries)' },
        'one-ts': {
          what: 'HTTP ingest as P2a, every record at one older time (records/s)',
          note: "the same records as P2a, each at one time an hour before the warm-up's first: more than 1,024 a millisecond spill into the following ones",
        },
        'uuid-response-ids': {
          what: "HTTP ingest as P2a, a random responseId on every record (records/s)",
          note: "the same records as P2a, each with a responseId of 'chatcmpl-' and crypto.randomUUID() (as the proxy records every call)",
        },
        'live-ids': {
          what: 'HTTP ingest as P2a, 100 records a millisecond, each with a random requestId and responseId (records/s)',
          note: 'the same records as P2a, 100 a millisecond (as a client stamping each with the time it sends it), each with a random UUID requestId and a chatcmpl- responseId',
        },
      }[variant];
      notes.push(`${note}: ${share}`);
      result.figures.push({ id, what, value: rate, unit: 'records/s', target: null, better: 'higher', notes });
    } finally {
      const bytes = await stopServer(server);
      // The data folder per stored record (rollups and indexes included), as P5a counts it at 10M.
      if (run !== undefined) notes.push(`data folder once closed: ${(bytes / 1048576).toFixed(1)} MiB, ${fmtInt(bytes / (run.accepted + P2_WARMUP_POSTS * options.batchRecords))} B per record`);
    }
  }

  {
    const server = await startServer(path.join(tmp, 'p2-single'));
    try {
      log(`P2b: fetch client (own process), ${options.singleClients} posts in flight, ${fmtInt(options.singlePosts)} single-record posts...`);
      const run = await load(server, {
        seed: options.seed + 2,
        perPost: 1,
        posts: options.singlePosts,
        warmupPosts: 1_000,
        clients: options.singleClients,
        recordsPerDay: RECORDS_PER_DAY,
      });
      const rate = run.accepted / run.seconds;
      log(`P2b: ${fmtInt(rate)} posts/s`);
      result.figures.push({
        id: 'P2b',
        what: 'HTTP ingest, fetch client, single-record posts (posts/s)',
        value: rate,
        unit: 'posts/s',
        target: 3_000,
        better: 'higher',
        notes: [
          `${fmtInt(run.accepted)} posts in ${run.seconds.toFixed(2)} s, ${options.singleClients} posts in flight; post latency p50 ${fmtMs(percentile(run.latenciesMs, 50))}, p99 ${fmtMs(percentile(run.latenciesMs, 99))}`,
          cpuNote(run),
        ],
      });
    } finally {
      await stopServer(server);
    }
  }
  return result;
}
