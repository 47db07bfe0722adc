import type { Settings } from '../../../shared/types.js';
import type { SettingsPatch } from '../../../shared/schemas/settings.js';
import type { ConfigStore } from './config-store.js';
import type { StoreContext } from './context.js';

export const DEFAULT_SETTINGS: Settings = {
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
  otlpHeaders: {},
  otlpIntervalSeconds: 60,
};

/** User settings, one JSON value per key; unknown or missing keys fall back to the defaults. */
export class SettingsStore {
  private cached: Settings | null = null;

  constructor(
    private readonly ctx: StoreContext,
    private readonly config: ConfigStore,
  ) {}

  get(): Settings {
    if (this.cached) return this.cached;
    const stored = new Map(
      this.ctx.db
        .prepare<[], { key: string; value: string }>(`SELECT key, value FROM settings`)
        .all()
        .map((row) => [row.key, JSON.parse(row.value) as unknown]),
    );
    const settings = structuredClone(DEFAULT_SETTINGS) as unknown as Record<string, unknown>;
    for (const key of Object.keys(settings)) if (stored.has(key)) settings[key] = stored.get(key);
    this.cached = settings as unknown as Settings;
    return this.cached;
  }

  /** Call inside a write transaction. */
  update(patch: SettingsPatch): Settings {
    const current = this.get();
    const next: Settings = {
      ...current,
      ...Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)),
      breaker: {
        ...current.breaker,
        ...Object.fromEntries(Object.entries(patch.breaker ?? {}).filter(([, value]) => value !== undefined)),
      },
    } as Settings;
    for (const [key, value] of Object.entries(next)) this.config.write(key, value);
    this.cached = null;
    return this.get();
  }
}
