import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppHost, AppInfo } from '../../../shared/app.js';
import { buildHttpServer } from '../http/server.js';
import { FileKeyVault } from '../../sources/secrets/key-vault.js';
import { FileOtlpHeaderVault } from '../../sources/secrets/otlp-headers.js';
import { FileForwardTokenVault } from '../../sources/secrets/forward-token.js';
import type { ForwardStartOptions } from '../../app/forwarding/forward-service.js';
import type { CommandLineForwarding } from '../../app/forwarding/forward-settings.js';
import { Housekeeping } from '../../app/housekeeping.js';
import { LedgerService } from '../../app/ledger-service.js';
import { compiledReadWorker } from '../../ledger/reads/read-worker-client.js';
import { compiledWriteWorker } from '../../ledger/ingest/writer/write-worker-client.js';
import { pendingUpgrade, type SchemaUpgrade } from '../../ledger/store/database.js';
import { Ledger } from '../../ledger/store/ledger.js';
import { WatcherManager } from '../../sources/watchers/watcher-manager.js';
import { appVersion } from './version.js';
import { applyServerV8Flags } from './v8-flags.js';

export const DEFAULT_PORT = 7423;
/**
 * The read workers are warmed this long after the port is ours (LedgerService.warmReads): once the
 * start's own memory is given back (its RSS holds ~160 MiB for ~20 s on the 10M dataset, 134 after),
 * so the warming's ~25 MiB never adds to it (a warm-up after 1 s took the RSS to 186-192 MiB, past
 * 200 MB), and before a person's first look in most starts (the tray app started at login; a start
 * by hand opens the dashboard at once, whose own calls then warm the workers).
 */
export const READ_WARM_UP_DELAY_MS = 25_000;
export const DATABASE_FILE = 'modelmeter.db';

export interface CoreOptions {
  dataDir: string;
  port: number;
  token: string;
  /** Always loopback unless a test says otherwise. */
  host?: string;
  /** --forward-to and friends: forward this ledger there for this run (the settings are locked meanwhile). */
  forward?: CommandLineForwarding | null;
  /** For tests: the forwarding sender's batch size and timings. */
  forwardSender?: ForwardStartOptions['sender'];
  logger?: boolean;
  log?: (message: string) => void;
  durability?: 'full' | 'normal';
  /** Which host runs the core: the desktop main process passes 'desktop' and its own answers. */
  appHost?: AppHost;
  /** Desktop facts for `GET /api/v1/app` (launch at login, language); the headless server has none. */
  hostInfo?: () => Partial<AppInfo>;
  /** The built renderer served at "/" (found next to the code when not given). */
  rendererDir?: string;
  /** The better-sqlite3 addon built for Electron; see electron/ledger/store/database.ts. */
  nativeBinding?: string;
  /**
   * Where summary, history and the request log are read (see LedgerServiceOptions.reads). By default
   * in the read worker when the compiled worker is there (built code), else on the main thread.
   */
  reads?: 'inline' | 'worker';
  /**
   * Where HTTP batches and the proxy's records are committed (see IngestOptions.writes). By default in
   * the writer thread when the compiled thread is there (built code), else on the main thread.
   */
  writes?: 'inline' | 'worker';
  /** ms after the start before the read workers are warmed (READ_WARM_UP_DELAY_MS), or null for never. */
  warmReadsAfterMs?: number | null;
  /**
   * Called (and awaited) before the ledger is opened when opening it upgrades its schema first, which
   * holds this thread for seconds on a big ledger (~14 s for 10M requests): the desktop says so then,
   * while its event loop still turns.
   */
  beforeUpgrade?: (upgrade: SchemaUpgrade) => Promise<void> | void;
}

export interface RunningCore {
  service: LedgerService;
  appInfo(): AppInfo;
  http: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use (is ModelMeter already running?). Choose another with --port or MODELMETER_PORT.`);
    this.name = 'PortInUseError';
  }
}

/**
 * Opens the ledger in a data folder and serves the HTTP API: what `npm run serve` runs, and what the
 * desktop main process will run too. Closing flushes and checkpoints.
 */
export async function startCore(options: CoreOptions): Promise<RunningCore> {
  applyServerV8Flags();
  const file = path.join(options.dataDir, DATABASE_FILE);
  const binding = options.nativeBinding ? { nativeBinding: options.nativeBinding } : {};
  if (options.beforeUpgrade) {
    const upgrade = pendingUpgrade(file, binding);
    if (upgrade) await options.beforeUpgrade(upgrade);
  }
  const ledger = Ledger.open(file, {
    durability: options.durability ?? 'full',
    ...binding,
    ...(options.log ? { log: options.log } : {}),
  });
  let service: LedgerService;
  try {
    service = new LedgerService(ledger, {
      keyVault: FileKeyVault.inFolder(options.dataDir),
      otlpHeaders: FileOtlpHeaderVault.inFolder(options.dataDir),
      forwardToken: FileForwardTokenVault.inFolder(options.dataDir),
      reads: options.reads ?? (compiledReadWorker() ? 'worker' : 'inline'),
      writes: options.writes ?? (compiledWriteWorker() ? 'worker' : 'inline'),
      ...binding,
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    ledger.close();
    throw error;
  }
  const housekeeping = new Housekeeping(service, { log: options.log ?? (() => {}) });
  const watchers = new WatcherManager({ service, log: options.log ?? (() => {}) });
  let listeningPort = options.port;
  const appInfo = (): AppInfo => ({
    version: appVersion(),
    host: options.appHost ?? 'headless',
    apiUrl: `http://127.0.0.1:${listeningPort}/api/v1`,
    port: listeningPort,
    dataDir: options.dataDir,
    token: null,
    launchAtLogin: null,
    language: null,
    nextPort: null,
    ...options.hostInfo?.(),
  });
  const http = buildHttpServer({
    service,
    token: options.token,
    version: appVersion(),
    logger: options.logger ?? false,
    appInfo,
    ...(options.rendererDir ? { rendererDir: options.rendererDir } : {}),
    // Failovers and breaker transitions go where the host logs (stderr for serve, the desktop's log).
    ...(options.log ? { proxy: { log: options.log } } : {}),
  });
  try {
    await http.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    await http.close().catch(() => {});
    await service.closeReads();
    ledger.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(options.port);
    throw error;
  }
  // Only once the port is ours: a start that fails because another instance holds the port (often on
  // the same data folder) must not close that instance's program run or record one of its own.
  try {
    housekeeping.start();
    watchers.start();
    // Agent-log followers (only for agents the user switched on): the backlog, then new lines.
    service.agents.start();
    // Budget alerts: evaluated after changes and on a timer; pending webhooks resume.
    service.budgets.alerter.start();
    // Forwarding (when on): the backlog in the outbox first, then new rows as they are written.
    await service.forwarding.start({
      commandLine: options.forward ?? null,
      ...(options.log ? { log: options.log } : {}),
      ...(options.forwardSender ? { sender: options.forwardSender } : {}),
    });
  } catch (error) {
    await service.forwarding.stop();
    await service.budgets.alerter.stop();
    await service.agents.close();
    await watchers.close();
    await housekeeping.stop();
    await http.close().catch(() => {});
    await service.closeReads();
    ledger.close();
    throw error;
  }
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  listeningPort = port;
  const warmAfter = options.warmReadsAfterMs === undefined ? READ_WARM_UP_DELAY_MS : options.warmReadsAfterMs;
  const warming = warmAfter === null ? null : setTimeout(() => void service.warmReads().catch((error: Error) => options.log?.(`warming the read workers failed: ${error.message}`)), warmAfter);
  warming?.unref();
  let closing: Promise<void> | null = null;
  return {
    service,
    appInfo,
    http,
    port,
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= (async () => {
        if (warming) clearTimeout(warming);
        await http.close();
        // Before the ledger closes: a batch in flight is abandoned, its entries stay in the outbox.
        await service.forwarding.stop();
        // Before the reads close: an evaluation in flight reads through them.
        await service.budgets.alerter.stop();
        // No request is left to answer: the worker's connection closes before the writer checkpoints.
        await service.closeReads();
        // Before the ledger closes: watchers end their open runs at the last moment they saw them.
        await watchers.close();
        // Before the ledger closes: the followers commit what is final and stop.
        await service.agents.close();
        service.flush();
        await housekeeping.stop();
        ledger.close();
      })();
      return closing;
    },
  };
}
