import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { WatcherInput } from '../../../../shared/schemas/integrations.js';
import type { LedgerEvent, Run, Watcher } from '../../../../shared/types.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { WatcherTiming } from '../../../../electron/sources/watchers/launcher-watcher.js';
import { WatcherManager } from '../../../../electron/sources/watchers/watcher-manager.js';

/** Short enough for tests that watch real time pass, long enough to be told apart. */
export const FAST: Partial<WatcherTiming> = { heartbeatMs: 300, initialBackoffMs: 100, maxBackoffMs: 400, requestTimeoutMs: 1_000 };

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/**
 * A fake launcher: a real HTTP server on a loopback port. `kill()` drops it and every connection
 * (as when the process dies); `revive()` serves again on the same port.
 */
export class FakeLauncher {
  readonly requests: string[] = [];
  private server: http.Server | null = null;
  private port = 0;

  constructor(private readonly handler: Handler) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  count(pathname: string): number {
    return this.requests.filter((request) => request === pathname).length;
  }

  async listen(): Promise<this> {
    const server = http.createServer((request, response) => {
      this.requests.push(new URL(request.url ?? '/', 'http://x').pathname);
      this.handler(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async kill(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  revive(): Promise<this> {
    return this.listen();
  }
}

export function json(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/** A LedgerService over a temporary ledger file, a manager on it, and a record of `watchers` events. */
export class WatchHarness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-watchers-'));
  readonly ledger = Ledger.open(path.join(this.dir, 'ledger.db'));
  readonly service = new LedgerService(this.ledger);
  readonly events: LedgerEvent[] = [];
  readonly logs: string[] = [];
  manager: WatcherManager;
  private readonly unsubscribe: () => void;

  constructor(timing: Partial<WatcherTiming> = FAST) {
    this.unsubscribe = this.service.events.subscribe((event) => this.events.push(event));
    this.manager = new WatcherManager({ service: this.service, timing, log: (message) => this.logs.push(message) });
  }

  watcherEvents(): number {
    return this.events.filter((event) => event.type === 'watchers').length;
  }

  async add(kind: WatcherInput['kind'], baseUrl: string, extra: Partial<WatcherInput> = {}): Promise<Watcher> {
    return this.service.saveWatcher({ watcher: { kind, baseUrl, enabled: true, pollSeconds: 1, ...extra } });
  }

  async watcher(id: string): Promise<Watcher> {
    const found = (await this.service.listWatchers()).find((watcher) => watcher.id === id);
    if (!found) throw new Error(`no watcher ${id}`);
    return found;
  }

  /** The watcher's status once it is down (within waitFor's time). */
  async downStatus(id: string): Promise<Watcher['status']> {
    return waitFor(async () => {
      const status = (await this.watcher(id)).status;
      return status.state === 'down' && status;
    }, 'status down');
  }

  async runs(source?: string): Promise<Run[]> {
    const runs = await this.service.listRuns({ limit: 1000 });
    return runs.filter((run) => source === undefined || run.source === source).sort((a, b) => a.id - b.id);
  }

  async close(): Promise<void> {
    await this.manager.close();
    this.unsubscribe();
    this.service.flush();
    this.ledger.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Cleans up every harness and fake launcher a test made, even when it fails. */
export function useWatchers(): { harness(timing?: Partial<WatcherTiming>): WatchHarness; launcher(handler: Handler): Promise<FakeLauncher> } {
  const harnesses: WatchHarness[] = [];
  const launchers: FakeLauncher[] = [];
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
    for (const launcher of launchers.splice(0)) await launcher.kill();
  });
  return {
    harness(timing) {
      const harness = new WatchHarness(timing);
      harnesses.push(harness);
      return harness;
    },
    async launcher(handler) {
      const launcher = await new FakeLauncher(handler).listen();
      launchers.push(launcher);
      return launcher;
    },
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails with what it last saw. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5_000): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
      last = value;
    } catch (error) {
      last = error;
    }
    await delay(25);
  }
  throw new Error(`timed out waiting for ${what}; last saw ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An Ollama whose loaded models the test sets: `GET /api/ps` as docs.ollama.com/api/ps shows it. */
export async function fakeOllama(make: (handler: Handler) => Promise<FakeLauncher>): Promise<{ launcher: FakeLauncher; loaded: Set<string>; failWith: { status: number | null } }> {
  const loaded = new Set<string>();
  const failWith: { status: number | null } = { status: null };
  const launcher = await make((request, response) => {
    if (request.url !== '/api/ps') return json(response, 404, { error: 'not found' });
    if (failWith.status !== null) return json(response, failWith.status, { error: 'boom' });
    json(response, 200, {
      models: [...loaded].map((name) => ({
        name,
        model: name,
        size: 6_591_830_464,
        digest: 'a2af6cc3eb7fa8be8504abaf9b04e88f17a119ec3f04a3addf55f92841195f5a',
        details: { parent_model: '', format: 'gguf', family: 'gemma3', families: ['gemma3'], parameter_size: '4.3B', quantization_level: 'Q4_K_M' },
        expires_at: '2025-10-17T16:47:07.93355-07:00',
        size_vram: 5_333_539_264,
        context_length: 4096,
      })),
    });
  });
  return { launcher, loaded, failWith };
}
