import type { AppInfo } from '../../../../shared/app.js';
import type { History, HistoryBucket, ModelSummary, StorageInfo, Summary, UsageTotals } from '../../../../shared/types.js';

export function totals(overrides: Partial<UsageTotals> = {}): UsageTotals {
  return {
    requests: 0,
    failures: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    unpricedRequests: 0,
    runtimeSeconds: 0,
    cost: {},
    ...overrides,
  };
}

export function modelRow(model: string, overrides: Partial<ModelSummary> = {}): ModelSummary {
  return { ...totals(), model, running: false, pricingMethod: null, cost: null, ...overrides };
}

export function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    from: Date.UTC(2026, 0, 10, 0, 0),
    to: Date.UTC(2026, 0, 10, 12, 0),
    totals: totals(),
    models: [],
    circuits: { closed: 0, open: 0, half_open: 0 },
    converted: null,
    ...overrides,
  };
}

export function bucket(ts: number, model: string | undefined, overrides: Partial<UsageTotals> = {}): HistoryBucket {
  return { ...totals(overrides), ts, ...(model === undefined ? {} : { model }) };
}

export function history(buckets: HistoryBucket[], interval = 3600): History {
  return { from: Date.UTC(2026, 0, 10, 0, 0), to: Date.UTC(2026, 0, 10, 12, 0), interval, buckets };
}

export function storage(overrides: Partial<StorageInfo> = {}): StorageInfo {
  return {
    databaseBytes: 4096,
    walBytes: 0,
    totalRequests: 0,
    oldestRawRequestAt: null,
    newestRawRequestAt: null,
    models: 0,
    channels: 0,
    retentionDays: 90,
    lastCleanup: null,
    ...overrides,
  };
}

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: '0.0.0-test',
    host: 'headless',
    apiUrl: 'http://127.0.0.1:7999/api/v1',
    port: 7999,
    dataDir: '/tmp/data',
    token: null,
    launchAtLogin: null,
    language: null,
    nextPort: null,
    ...overrides,
  };
}
