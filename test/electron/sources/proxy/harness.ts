import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect } from 'vitest';
import { DATABASE_FILE } from '../../../../electron/hosts/core/start-core.js';
import { buildHttpServer } from '../../../../electron/hosts/http/server.js';
import { FileKeyVault } from '../../../../electron/sources/secrets/key-vault.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { ProxyRouteInput } from '../../../../shared/schemas/integrations.js';
import type { Circuit, CircuitEvent, RequestRow } from '../../../../shared/types.js';

/** A clock the test moves: the proxy's breakers and the ledger both read it. */
export class TestClock {
  constructor(public now = Date.now()) {}
  advance(ms: number): void {
    this.now += ms;
  }
}

/**
 * The HTTP server with the metering proxy on a random loopback port, on a ledger in a data folder the
 * test owns (so it can be restarted on the same folder), with a clock the test moves.
 */
export interface ProxyServer {
  url: string;
  port: number;
  token: string;
  dataDir: string;
  service: LedgerService;
  clock: TestClock;
  logs: string[];
  saveRoute(name: string, route: ProxyRouteInput): Promise<void>;
  /** Request records, oldest first, once `count` of them are written. */
  records(count: number): Promise<RequestRow[]>;
  circuits(): Promise<Circuit[]>;
  circuit(metricsKey: string): Promise<Circuit | undefined>;
  /** Transitions, oldest first, as "from->to". */
  transitions(metricsKey: string): Promise<string[]>;
  events(metricsKey: string): Promise<CircuitEvent[]>;
  close(): Promise<void>;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-proxy-'));
}

export async function startProxyServer(options: { dataDir?: string; clock?: TestClock; token?: string } = {}): Promise<ProxyServer> {
  const dataDir = options.dataDir ?? tempDataDir();
  const clock = options.clock ?? new TestClock();
  const token = options.token ?? randomBytes(18).toString('base64url');
  const logs: string[] = [];
  const ledger = Ledger.open(path.join(dataDir, DATABASE_FILE), { durability: 'normal', now: () => clock.now });
  const service = new LedgerService(ledger, { keyVault: FileKeyVault.inFolder(dataDir) });
  const app: FastifyInstance = buildHttpServer({
    service,
    token,
    version: 'test',
    rendererDir: null,
    proxy: { now: () => clock.now, log: (message) => logs.push(message), recordIntervalMs: 10 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  let closed = false;

  const records = async (count: number): Promise<RequestRow[]> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const page = await service.listRequests({ limit: 1000 });
      if (page.requests.length >= count || Date.now() > deadline) {
        expect(page.requests.length, 'request records written').toBe(count);
        return page.requests.reverse();
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    dataDir,
    service,
    clock,
    logs,
    async saveRoute(name, route) {
      await service.saveRoute({ name, route });
    },
    records,
    circuits: () => service.listCircuits({}),
    async circuit(metricsKey) {
      // Breaker steps are stored right after the answer: let that turn of the loop pass.
      await new Promise((resolve) => setImmediate(resolve));
      return (await service.listCircuits({})).find((circuit) => circuit.metricsKey === metricsKey);
    },
    async events(metricsKey) {
      await new Promise((resolve) => setImmediate(resolve));
      return (await service.listCircuitEvents({ metricsKey })).reverse();
    },
    async transitions(metricsKey) {
      await new Promise((resolve) => setImmediate(resolve));
      return (await service.listCircuitEvents({ metricsKey })).reverse().map((event) => `${event.from}->${event.to}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      service.flush();
      ledger.close();
    },
  };
}

export function removeDataDir(dataDir: string): void {
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Before each test, a proxy server on a fresh data folder (handed to `set`); after it, the server
 * `get` answers then (a test may restart it on the same folder) closes, then every upstream passed to
 * the returned `track`, and the folder goes.
 */
export function useProxyServerPerTest(set: (server: ProxyServer) => void, get: () => ProxyServer): <T extends { close(): Promise<void> }>(upstream: T) => T {
  const upstreams: { close(): Promise<void> }[] = [];
  beforeEach(async () => {
    set(await startProxyServer());
  });
  afterEach(async () => {
    const server = get();
    await server.close();
    await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
    removeDataDir(server.dataDir);
  });
  return (upstream) => {
    upstreams.push(upstream);
    return upstream;
  };
}

/** What a raw HTTP exchange delivered, chunk by chunk, and whether it ended cleanly. */
export interface RawAnswer {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
  /** False when the connection broke before the end of the message. */
  complete: boolean;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The request target exactly as sent (WHATWG URL parsing would resolve `%2e%2e` segments). */
  path?: string;
  /** Called with each body chunk as it arrives. */
  onChunk?: (chunk: Buffer) => void;
  /** Aborting destroys the connection (the promise then rejects). */
  signal?: AbortSignal;
}

/** One request with node:http (any Host or Origin header), reading the answer as it arrives. */
export function rawRequest(url: string, request: RawRequest = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const headers: Record<string, string> = { ...request.headers };
    if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
    const req = http.request(
      { hostname: target.hostname, port: target.port, path: request.path ?? target.pathname + target.search, method: request.method ?? (body ? 'POST' : 'GET'), headers, agent: false, ...(request.signal ? { signal: request.signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let settled = false;
        const finish = (complete: boolean) => {
          if (settled) return;
          settled = true;
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, rawHeaders: res.rawHeaders, body: all, text: all.toString('utf8'), complete });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          request.onChunk?.(chunk);
        });
        res.on('end', () => finish(true));
        res.on('error', (error) => (request.signal?.aborted ? reject(error) : finish(false)));
        res.on('close', () => (request.signal?.aborted ? reject(new Error('aborted')) : finish(res.complete)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A hand-driven upstream for what the protocol fakes do not do: exact bytes, held streams, odd headers. */
export interface ScriptedUpstream {
  url: string;
  requests: { method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[]; body: Buffer }[];
  close(): Promise<void>;
}

export async function startScriptedUpstream(handler: (request: IncomingMessage, response: ServerResponse, body: Buffer) => void | Promise<void>): Promise<ScriptedUpstream> {
  const requests: ScriptedUpstream['requests'] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, rawHeaders: request.rawHeaders, body });
      void Promise.resolve(handler(request, response, body)).catch(() => response.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (connections are refused). */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const chatBody = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...extra });
