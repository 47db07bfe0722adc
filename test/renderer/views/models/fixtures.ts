import type { Circuit, CircuitEvent, ModelSummary, RequestRow, Run, StorageInfo, Summary } from '../../../../shared/types.js';

export function modelRow(model: string, overrides: Partial<ModelSummary> = {}): ModelSummary {
  return {
    model,
    requests: 0,
    failures: 0,
    unpricedRequests: 0,
    runtimeSeconds: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    running: false,
    pricingMethod: null,
    cost: null,
    ...overrides,
  };
}

export function summaryOf(models: ModelSummary[], from = 0, to = 1): Summary {
  return {
    from,
    to,
    totals: { requests: 0, failures: 0, unpricedRequests: 0, runtimeSeconds: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: {} },
    models,
    circuits: { closed: 0, open: 0, half_open: 0 },
    converted: null,
  };
}

export function storage(overrides: Partial<StorageInfo> = {}): StorageInfo {
  return { databaseBytes: 0, walBytes: 0, totalRequests: 0, oldestRawRequestAt: null, newestRawRequestAt: null, models: 0, channels: 0, retentionDays: 90, lastCleanup: null, ...overrides };
}

export function requestRow(id: string, ts: number, overrides: Partial<RequestRow> = {}): RequestRow {
  return {
    id,
    ts,
    model: 'gpt-5-mini',
    apiType: 'openai',
    inputTokens: 1200,
    outputTokens: 300,
    cacheReadTokens: 4096,
    cacheWriteTokens: 0,
    success: true,
    failureClass: null,
    statusCode: 200,
    latencyMs: 2400,
    ttftMs: 380,
    channel: 'a1b2c3d4e5f60718',
    source: null,
    requestId: null,
    cost: 0.0012,
    currency: 'USD',
    project: null,
    branch: null,
    sessionId: null,
    responseId: null,
    host: null,
    ...overrides,
  };
}

export function run(id: number, model: string, start: number, end: number | null, overrides: Partial<Run> = {}): Run {
  return { id, model, source: 'llama-swap', start, end, lastSeenAt: end ?? start, running: end === null, durationSeconds: end === null ? 0 : (end - start) / 1000, ...overrides };
}

export function circuit(metricsKey: string, overrides: Partial<Circuit> = {}): Circuit {
  return {
    metricsKey,
    apiType: 'openai',
    baseUrl: null,
    keyMask: null,
    label: null,
    state: 'closed',
    consecutiveFailures: 0,
    openedAt: null,
    nextRetryAt: null,
    backoffLevel: 0,
    lastSuccessAt: null,
    lastFailureAt: null,
    updatedAt: null,
    ...overrides,
  };
}

export function circuitEvent(id: number, ts: number, from: CircuitEvent['from'], to: CircuitEvent['to'], reason: string | null = null): CircuitEvent {
  return { id, metricsKey: 'a1b2c3d4e5f60718', apiType: 'openai', ts, from, to, reason };
}

/**
 * jsdom has no modal dialogs: a minimal showModal/close that keep `open` and fire "close", enough for
 * ConfirmDialog's open/close logic to run as in a browser.
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
