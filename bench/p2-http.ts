import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildCatalogue, recordBatches, toWire } from './dataset.js';
import { fmtInt, fmtMs, log, percentile, processCpuSeconds, type Figure } from './util.js';
import { forkChild, serverExecArgv, stopChild, type Child } from './children.js';

export interface P2Options {
  benchDir: string;
  seed: number;
  batchRecords: number;
  batches: number;
  batchClients: number;
  singlePosts: number;
  singleClients: number;
}

const TOKEN = 'bench-token-0123456789abcdef';
const RECORDS_PER_DAY = 10_000_000 / 30;

interface Server extends Child {
  dataDir: string;
}

async function startServer(dataDir: string): Promise<Server> {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  return { ...(await forkChild('core-server.js', [dataDir, TOKEN], serverExecArgv())), dataDir };
}

async function stopServer(server: Server): Promise<void> {
  await stopChild(server, 'close');
  fs.rmSync(server.dataDir, { recursive: true, force: true });
}

interface Reply {
  status: number;
  body: string;
}

function post(agent: http.Agent, port: number, body: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/requests',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${TOKEN}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

interface LoadResult {
  seconds: number;
  accepted: number;
  latenciesMs: number[];
  serverCpu: number | null;
  clientCpu: number;
}

/** `clients` loops, each posting the next unsent body until none are left; every answer is checked. */
async function load(server: Server, bodies: readonly Buffer[], expected: readonly number[], clients: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let next = 0;
  let accepted = 0;
  const latenciesMs: number[] = [];
  const serverCpuBefore = processCpuSeconds(server.child.pid!);
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const index = next++;
        if (index >= bodies.length) return;
        const sent = performance.now();
        const reply = await post(agent, server.port, bodies[index]!);
        latenciesMs.push(performance.now() - sent);
        if (reply.status !== 200) throw new Error(`ingest answered ${reply.status}: ${reply.body.slice(0, 300)}`);
        const result = JSON.parse(reply.body) as { accepted: number; duplicates: number };
        if (result.accepted !== expected[index]) throw new Error(`ingest accepted ${result.accepted} of ${expected[index]} records`);
        accepted += result.accepted;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const serverCpuAfter = processCpuSeconds(server.child.pid!);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  agent.destroy();
  return {
    seconds,
    accepted,
    latenciesMs,
    serverCpu: serverCpuBefore === null || serverCpuAfter === null ? null : serverCpuAfter - serverCpuBefore,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6,
  };
}

/** Bodies serialised before the clock starts, so the load generator spends its time on sockets. */
function serialise(seed: number, records: number, perBody: number): { bodies: Buffer[]; counts: number[] } {
  const catalogue = buildCatalogue(seed);
  const days = records / RECORDS_PER_DAY;
  const bodies: Buffer[] = [];
  const counts: number[] = [];
  for (const batch of recordBatches({ records, endTs: Date.now(), days, seed }, catalogue, perBody)) {
    const wire = batch.map(toWire);
    bodies.push(Buffer.from(JSON.stringify(perBody === 1 ? wire[0] : wire)));
    counts.push(batch.length);
  }
  return { bodies, counts };
}

function cpuNote(result: LoadResult): string {
  const server = result.serverCpu === null ? 'n/a' : `${result.serverCpu.toFixed(1)} s (${((100 * result.serverCpu) / result.seconds).toFixed(0)}% of a core)`;
  return `CPU during the run: server ${server}, load generator ${result.clientCpu.toFixed(1)} s (${((100 * result.clientCpu) / result.seconds).toFixed(0)}% of a core); both share the machine's 2 cores`;
}

/**
 * P2: HTTP ingest against a core (startCore, port 0, fresh temp data folder, default durability) in a
 * child process; the load generator runs in this process over keep-alive connections.
 */
export async function runP2(options: P2Options): Promise<Figure[]> {
  const figures: Figure[] = [];
  const tmp = path.join(options.benchDir, 'tmp');

  {
    const warmup = 10;
    const total = options.batches + warmup;
    log(`P2a: serialising ${fmtInt(total)} bodies of ${options.batchRecords} records...`);
    const { bodies, counts } = serialise(options.seed + 1, total * options.batchRecords, options.batchRecords);
    const server = await startServer(path.join(tmp, 'p2-batches'));
    try {
      await load(server, bodies.slice(0, warmup), counts.slice(0, warmup), options.batchClients);
      log(`P2a: ${options.batchClients} clients posting ${fmtInt(options.batches)} batches...`);
      const result = await load(server, bodies.slice(warmup), counts.slice(warmup), options.batchClients);
      const rate = result.accepted / result.seconds;
      const avgBytes = bodies.reduce((sum, body) => sum + body.length, 0) / bodies.length;
      log(`P2a: ${fmtInt(rate)} records/s`);
      figures.push({
        id: 'P2a',
        what: `HTTP ingest, batches of ${fmtInt(options.batchRecords)} (records/s)`,
        value: rate,
        unit: 'records/s',
        target: 100_000,
        better: 'higher',
        notes: [
          `${fmtInt(result.accepted)} records in ${result.seconds.toFixed(2)} s, ${options.batchClients} concurrent keep-alive clients, ~${fmtInt(avgBytes / 1024)} KiB per body; batch latency p50 ${fmtMs(percentile(result.latenciesMs, 50))}, p99 ${fmtMs(percentile(result.latenciesMs, 99))}`,
          cpuNote(result),
        ],
      });
    } finally {
      await stopServer(server);
    }
  }

  {
    const warmup = 1_000;
    const total = options.singlePosts + warmup;
    log(`P2b: serialising ${fmtInt(total)} single-record bodies...`);
    const { bodies, counts } = serialise(options.seed + 2, total, 1);
    const server = await startServer(path.join(tmp, 'p2-single'));
    try {
      await load(server, bodies.slice(0, warmup), counts.slice(0, warmup), options.singleClients);
      log(`P2b: ${options.singleClients} clients posting ${fmtInt(options.singlePosts)} single records...`);
      const result = await load(server, bodies.slice(warmup), counts.slice(warmup), options.singleClients);
      const rate = result.accepted / result.seconds;
      log(`P2b: ${fmtInt(rate)} posts/s`);
      figures.push({
        id: 'P2b',
        what: 'HTTP ingest, single-record posts (posts/s)',
        value: rate,
        unit: 'posts/s',
        target: 3_000,
        better: 'higher',
        notes: [
          `${fmtInt(result.accepted)} posts in ${result.seconds.toFixed(2)} s, ${options.singleClients} concurrent keep-alive clients; post latency p50 ${fmtMs(percentile(result.latenciesMs, 50))}, p99 ${fmtMs(percentile(result.latenciesMs, 99))}`,
          cpuNote(result),
        ],
      });
    } finally {
      await stopServer(server);
    }
  }
  return figures;
}
