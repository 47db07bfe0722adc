import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BODY_LIMIT } from '../electron/hosts/http/errors.js';
import { JSON_LIMITS } from '../electron/hosts/http/json-body.js';
import { MAX_BATCH_RECORDS } from '../shared/schemas/request-record.js';
import { MAX_CIRCUIT_UPDATES } from '../shared/schemas/circuit.js';
import { forkChild, serverExecArgv, stopChild, type Child } from './children.js';
import type { ProbeReport } from './load/server-probe.js';

/**
 * How long one legal (or just-too-large) request holds the server's event loop: the core runs in its
 * own process (core-server.ts) with the load benchmark's probe, and each case is one request on a quiet
 * server. The figure is the worst event-loop delay while the request was in flight (target: under
 * 50 ms for anything a client may legally send).
 *
 *   npm run build:core && node dist/bench/stall.js [--records N] [--circuits N] [--nested-mb N]
 *
 * Defaults: the largest batch and circuit list the server accepts, a 10 MB nested array, and the
 * widest body the JSON shape check lets through.
 */

interface Case {
  name: string;
  method: string;
  route: string;
  body: string;
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a number`);
  return value;
}

function requestBatch(count: number): string {
  const now = Date.now();
  const records = Array.from({ length: count }, (_, i) => ({
    ts: now - i,
    model: `model-${i % 50}`,
    apiType: 'openai',
    inputTokens: 1_000 + (i % 997),
    outputTokens: 200 + (i % 101),
    cacheReadTokens: i % 3 === 0 ? 4_096 : 0,
    latencyMs: 900 + (i % 500),
    ttftMs: 100,
    requestId: `stall-${now}-${i}`,
  }));
  return JSON.stringify(records);
}

function circuitList(count: number): string {
  const circuits = Array.from({ length: count }, (_, i) => ({
    metricsKey: i.toString(16).padStart(16, '0'),
    apiType: 'openai',
    state: i % 2 === 0 ? 'open' : 'closed',
    consecutiveFailures: i % 7,
  }));
  return JSON.stringify(circuits);
}

/** The most values the shape check lets through, as strings filling the body limit: JSON.parse's worst legal case here. */
function widestBody(): string {
  const count = JSON_LIMITS.values - 1;
  const length = Math.floor(BODY_LIMIT / count) - 3;
  return JSON.stringify(new Array(count).fill('x'.repeat(length)));
}

function nestedArray(megabytes: number): string {
  const depth = Math.floor((megabytes * 1_000_000) / 2);
  return '['.repeat(depth) + ']'.repeat(depth);
}

async function measure(server: Child, token: string, item: Case): Promise<{ status: number; ms: number; report: ProbeReport }> {
  const report = new Promise<ProbeReport>((resolve) => {
    const onMessage = (message: unknown) => {
      if ((message as { type?: string }).type !== 'probe-report') return;
      server.child.off('message', onMessage);
      resolve(message as ProbeReport);
    };
    server.child.on('message', onMessage);
  });
  server.child.send({ type: 'probe-reset' });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = performance.now();
  let status: number;
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}${item.route}`, {
      method: item.method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: item.body,
    });
    const text = await response.text();
    status = response.status;
    if (status >= 400) process.stderr.write(`${item.name}: ${text.slice(0, 200)}\n`);
  } catch {
    status = 0; // the server closed the connection while the body was still being sent
  }
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 200));
  server.child.send({ type: 'probe-read' });
  return { status, ms, report: await report };
}

async function main(): Promise<void> {
  const records = argument('records', MAX_BATCH_RECORDS);
  const circuits = argument('circuits', MAX_CIRCUIT_UPDATES);
  const nestedMb = argument('nested-mb', 10);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-stall-'));
  const token = randomBytes(18).toString('base64url');
  const server = await forkChild('core-server.js', [dataDir, token], serverExecArgv());
  try {
    server.child.send({ type: 'probe-start', stallMs: 50, slowMs: 10 });
    const cases: Case[] = [
      { name: `POST /requests, ${records} records`, method: 'POST', route: '/api/v1/requests', body: requestBatch(records) },
      { name: `PUT /circuits, ${circuits} entries`, method: 'PUT', route: '/api/v1/circuits', body: circuitList(circuits) },
      { name: `POST /requests, ${nestedMb} MB nested array`, method: 'POST', route: '/api/v1/requests', body: nestedArray(nestedMb) },
      { name: `POST /requests, ${JSON_LIMITS.values - 1} strings up to the body limit`, method: 'POST', route: '/api/v1/requests', body: widestBody() },
    ];
    process.stdout.write('| case | body | status | answer ms | event-loop delay max / p99 ms | slowest synchronous parts (ms) |\n| --- | --- | --- | --- | --- | --- |\n');
    // Once untimed, so that the figures are not the first call's compilation.
    await measure(server, token, { name: 'warm-up', method: 'POST', route: '/api/v1/requests', body: requestBatch(500) });
    for (const item of cases) {
      const { status, ms, report } = await measure(server, token, item);
      const slow = report.slow.slice(0, 3).map((op) => `${op.name} ${op.ms.toFixed(0)}`).join(', ') || '-';
      const size = `${(Buffer.byteLength(item.body) / 1_048_576).toFixed(1)} MiB`;
      process.stdout.write(`| ${item.name} | ${size} | ${status} | ${ms.toFixed(0)} | ${report.eld.max.toFixed(0)} / ${report.eld.p99.toFixed(0)} | ${slow} |\n`);
    }
  } finally {
    await stopChild(server, 'close');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
