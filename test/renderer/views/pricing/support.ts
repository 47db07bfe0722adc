import type { AppInfo } from '../../../../shared/app.js';
import type { ModelSummary, PriceVersion, PricingPreview, StorageInfo, Summary } from '../../../../shared/types.js';

export { SETTINGS } from '../../support/settings.js';

/**
 * Fixtures of the Pricing, Data and Settings view tests: complete answers of the API, with only what
 * a test is about passed in.
 */
export function summaryWith(models: string[]): Summary {
  const row = (model: string): ModelSummary => ({
    model,
    requests: 3,
    failures: 0,
    unpricedRequests: 3,
    runtimeSeconds: 0,
    inputTokens: 100,
    outputTokens: 50,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    running: false,
    pricingMethod: null,
    cost: null,
  });
  return {
    from: 0,
    to: 1,
    totals: { requests: 0, failures: 0, unpricedRequests: 0, runtimeSeconds: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: {} },
    models: models.map(row),
    circuits: { closed: 0, open: 0, half_open: 0 },
    converted: null,
  };
}

export function tokenVersion(model: string, effectiveFrom: number, effectiveTo: number | null, input: number, output: number): PriceVersion {
  return {
    id: effectiveFrom + 1,
    model,
    effectiveFrom,
    effectiveTo,
    currency: 'USD',
    method: 'tokens',
    tiers: [{ maxPromptTokens: null, input, output }],
    hourly: null,
    createdAt: 1,
  };
}

export function previewOf(model: string, affectedRequests: number, before: Record<string, number>, after: Record<string, number>, notRepriced = 0): PricingPreview {
  return {
    model,
    version: { model, effectiveFrom: 0, effectiveTo: null, currency: 'USD', method: 'tokens', tiers: [{ maxPromptTokens: null, input: 1, output: 2 }], hourly: null },
    affectedRequests,
    before: { cost: before, unpricedRequests: affectedRequests },
    after: { cost: after, unpricedRequests: 0 },
    notRepriced,
  };
}

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: '0.1.0',
    host: 'headless',
    apiUrl: 'http://127.0.0.1:7423/api/v1',
    port: 7423,
    dataDir: '/home/me/.local/share/modelmeter',
    token: null,
    launchAtLogin: null,
    language: null,
    nextPort: null,
    ...overrides,
  };
}

export const STORAGE: StorageInfo = {
  databaseBytes: 5 * 1024 * 1024,
  walBytes: 4096,
  totalRequests: 12_345,
  oldestRawRequestAt: Date.UTC(2026, 0, 1),
  newestRawRequestAt: Date.UTC(2026, 0, 30),
  models: 3,
  channels: 2,
  retentionDays: 90,
  lastCleanup: null,
};

/**
 * jsdom has no modal dialogs: a minimal showModal/close that keep `open` and fire "close", so
 * ConfirmDialog opens and closes as in a browser.
 */
export function installDialog(): void {
  const proto = HTMLDialogElement.prototype as HTMLDialogElement & { showModal: () => void; close: () => void };
  proto.showModal = function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  proto.close = function (this: HTMLDialogElement) {
    if (!this.hasAttribute('open')) return;
    this.removeAttribute('open');
    this.dispatchEvent(new Event('close'));
  };
}
