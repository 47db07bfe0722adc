import type { Settings } from '../../../shared/types.js';
import type { SettingsPatch } from '../../../shared/schemas/settings.js';
import type { ConfigStore } from './config-store.js';
import type { StoreContext } from './context.js';

/**
 * The settings the database keeps: all but the OTLP headers, which may hold a collector's API key and
 * so live in their own file (electron/sources/secrets/otlp-headers.ts), never in the database, and the
 * push's status, which is the running app's.
 */
export type StoredSettings = Omit<Settings, 'otlpHeaders' | 'otlpStatus'>;
export type StoredSettingsPatch = Omit<SettingsPatch, 'otlpHeaders'>;

export const DEFAULT_SETTINGS: StoredSettings = {
  retentionDays: 90,
  runStaleSeconds: 120,
  displayCurrency: null,
  currencyRates: {},
  breaker: {
    windowSize: 20,
    consecutiveFailures: 5,
    minResults: 10,
    failureRate: 0.7,
    baseBackoffSeconds: 30,
    maxBackoffSeconds: 600,
  },
  monthStartDay: 1,
  weekStartDay: 1,
  metricsMaxModels: 50,
  metricsAllowAnonymousLoopback: false,
  otlpEnabled: false,
  otlpUrl: null,
  otlpIntervalSeconds: 60,
};

/** User settings, one JSON value per key; unknown or missing keys fall back to the defaults. */
export class SettingsStore {
  private cached: StoredSettings | null = null;

  constructor(
    private readonly ctx: StoreContext,
    private readonly config: ConfigStore,
  ) {}

  get(): StoredSettings {
    if (this.cached) return this.cached;
    const stored = new Map(
      this.ctx.db
        .prepare<[], { key: string; value: string }>(`SELECT key, value FROM settings`)
        .all()
        .map((row) => [row.key, JSON.parse(row.value) as unknown]),
    );
    const settings = structuredClone(DEFAULT_SETTINGS) as unknown as Record<string, unknown>;
    for (const key of Object.keys(settings)) if (stored.has(key)) settings[key] = stored.get(key);
    this.cached = settings as unknown as StoredSettings;
    return this.cached;
  }

  /** Call inside a write transaction. */
  update(patch: StoredSettingsPatch): StoredSettings {
    const current = this.get();
    const next: StoredSettings = {
      ...current,
      ...Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)),
      breaker: {
        ...current.breaker,
        ...Object.fromEntries(Object.entries(patch.breaker ?? {}).filter(([, value]) => value !== undefined)),
      },
    } as StoredSettings;
    for (const [key, value] of Object.entries(next)) this.config.write(key, value);
    this.cached = null;
    return this.get();
  }

  /** Drops the cached values: after a transaction that updated them rolled back. */
  invalidate(): void {
    this.cached = null;
  }

  /**
   * Deletes a stored key the settings no longer keep and returns its value (undefined when absent):
   * OTLP headers stored by an earlier version move out of the database this way. Call inside a write
   * transaction.
   */
  take(key: string): unknown {
    const row = this.ctx.db.prepare<[string], { value: string }>(`SELECT value FROM settings WHERE key = ?`).get(key);
    if (row === undefined) return undefined;
    this.ctx.db.prepare(`DELETE FROM settings WHERE key = ?`).run(key);
    return JSON.parse(row.value) as unknown;
  }
}
