import type { WatcherKind } from '../../../shared/schemas/integrations.js';
import type { WatcherStatus } from '../../../shared/types.js';
import { OFF_STATUS, type StoredWatcher } from '../integrations/integration-config.js';
import type { WatcherPorts } from '../ports.js';
import type { DriverContext, LauncherDriver } from './launcher-http.js';
import { DEFAULT_TIMING, LauncherWatcher, type WatcherTiming } from './launcher-watcher.js';
import { llamaCppDriver } from './llama-cpp.js';
import { llamaSwapDriver } from './llama-swap.js';
import { ollamaDriver } from './ollama.js';

export interface WatcherManagerOptions {
  service: WatcherPorts;
  log?: (message: string) => void;
  now?: () => number;
  fetch?: typeof fetch;
  /** Tests shorten these; the defaults suit real launchers. */
  timing?: Partial<WatcherTiming>;
}

const DRIVERS: Record<WatcherKind, (ctx: DriverContext) => LauncherDriver> = {
  'llama-swap': llamaSwapDriver,
  ollama: ollamaDriver,
  'llama-cpp': llamaCppDriver,
};

interface Running {
  /** The configuration the watcher runs with, to tell a real change from a repeated event. */
  key: string;
  watcher: LauncherWatcher;
}

/**
 * Runs one watcher per enabled launcher watcher the user configured (none by default), follows
 * configuration changes, and tells views when a watcher's state changes.
 */
export class WatcherManager {
  private readonly running = new Map<string, Running>();
  /** Per watcher id, the work that must finish before its next watcher starts (the previous one's close). */
  private readonly settling = new Map<string, Promise<void>>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  private announcing = false;
  private readonly log: (message: string) => void;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: WatcherManagerOptions) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
    this.fetchImpl = options.fetch ?? fetch;
  }

  start(): void {
    if (this.unsubscribe || this.closed) return;
    const { service } = this.options;
    service.integrations.useWatcherStatus((id) => this.statusOf(id));
    this.unsubscribe = service.events.subscribe((event) => {
      if (event.type === 'watchers') this.reconfigure();
    });
    this.reconfigure();
  }

  /** Stops every watcher; their open runs end at the last moment they were seen. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    const closing = [...this.running.values()].map(({ watcher }) => watcher.close());
    this.running.clear();
    await Promise.all([...closing, ...this.settling.values()]);
    this.options.service.integrations.useWatcherStatus(() => OFF_STATUS);
  }

  statusOf(id: string): WatcherStatus {
    return this.running.get(id)?.watcher.status ?? OFF_STATUS;
  }

  /**
   * Brings the running watchers in line with the configuration. Only a watcher whose configuration
   * changed is restarted; with nothing changed this does nothing, which is what keeps the status
   * events watchers emit (the same `watchers` event type) from looping back into restarts.
   */
  private reconfigure(): void {
    if (this.closed) return;
    const wanted = new Map<string, StoredWatcher>();
    for (const config of this.options.service.integrations.watcherConfigs()) {
      if (config.enabled) wanted.set(config.id, config);
    }
    let changed = false;
    for (const [id, { key, watcher }] of this.running) {
      const config = wanted.get(id);
      if (config && configKey(config) === key) continue;
      this.running.delete(id);
      this.settle(id, watcher.close());
      changed = true;
    }
    for (const [id, config] of wanted) {
      if (this.running.has(id)) continue;
      const watcher = this.create(config);
      this.running.set(id, { key: configKey(config), watcher });
      const previous = this.settling.get(id) ?? Promise.resolve();
      this.settle(
        id,
        previous.then(() => {
          if (this.running.get(id)?.watcher === watcher) watcher.start();
        }),
      );
      changed = true;
    }
    if (changed) this.announce();
  }

  private create(config: StoredWatcher): LauncherWatcher {
    const timing = { ...DEFAULT_TIMING, ...this.options.timing };
    // The ledger closes runs silent for runStaleSeconds; beat well within it even when set low.
    const staleMs = this.options.service.ledger.settings.get().runStaleSeconds * 1000;
    timing.heartbeatMs = Math.min(timing.heartbeatMs, Math.max(1_000, staleMs / 4));
    const driver = DRIVERS[config.kind]({ baseUrl: config.baseUrl, fetch: this.fetchImpl, timeoutMs: timing.requestTimeoutMs, model: config.model });
    return new LauncherWatcher({
      config,
      driver,
      service: this.options.service,
      now: this.now,
      timing,
      log: this.log,
      onStatus: () => this.announce(),
    });
  }

  private settle(id: string, work: Promise<void>): void {
    const previous = this.settling.get(id) ?? Promise.resolve();
    const tracked = Promise.all([previous, work])
      .then(() => {})
      .catch((error: unknown) => this.log(`watcher ${id}: ${String(error)}`))
      .finally(() => {
        if (this.settling.get(id) === tracked) this.settling.delete(id);
      });
    this.settling.set(id, tracked);
  }

  /**
   * Tells views that watcher states changed, once per burst of changes and never from inside the
   * code that changed them (the event comes back to this manager's own listener).
   */
  private announce(): void {
    if (this.announcing || this.closed) return;
    this.announcing = true;
    queueMicrotask(() => {
      this.announcing = false;
      if (!this.closed) this.options.service.events.emit({ type: 'watchers' });
    });
  }
}

function configKey(config: StoredWatcher): string {
  return JSON.stringify([config.kind, config.baseUrl, config.pollSeconds, config.model]);
}
