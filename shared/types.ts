import type { ForwardingStatus } from './schemas/forwarding.js';
import type { CircuitStateName } from './schemas/circuit.js';
import type { ProxyProtocol, WatcherKind } from './schemas/integrations.js';
import type { PriceTier, PricingMethod } from './schemas/pricing.js';
import type { FailureClass } from './schemas/request-record.js';
import type { BudgetPeriod, BudgetScope, WebhookFormat } from './schemas/budgets.js';
import type { AgentProgress, AgentSourceId } from './schemas/agents.js';

/** Amounts per ISO currency code, in the currency's main unit (dollars, yuan). */
export type Money = Record<string, number>;

export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface UsageTotals extends TokenTotals {
  requests: number;
  failures: number;
  /** Requests with no price version in force: shown as unpriced, never as zero. */
  unpricedRequests: number;
  /** Seconds of model runtime overlapping the range (sum over runs). */
  runtimeSeconds: number;
  cost: Money;
}

export interface ModelSummary extends Omit<UsageTotals, 'cost'> {
  model: string;
  running: boolean;
  /** The method of the price version in force now, or null when the model has no price. */
  pricingMethod: PricingMethod | null;
  /** Null when nothing of this model in the range is priced. */
  cost: Money | null;
}

export interface CurrencyConversion {
  currency: string;
  amount: number;
  /** Rates used: units of the display currency per unit of each other currency. */
  rates: Record<string, number>;
  /** Currencies present in the totals for which no rate is set (left out of `amount`). */
  missingRates: string[];
}

export interface Summary {
  from: number;
  to: number;
  totals: UsageTotals;
  models: ModelSummary[];
  circuits: Record<CircuitStateName, number>;
  /** Present when a display currency is set in settings. */
  converted: CurrencyConversion | null;
  /** Local models compared with the cloud model the user chose for each (see ModelSavings); absent while no model in the range has a reference. */
  savings?: Savings;
  /** The range's requests per project, most requests first; `project` null holds those naming none. */
  byProject?: ProjectSummary[];
  /** The range's requests per machine, present once another ModelMeter has forwarded here; `host` null is this machine. */
  byHost?: HostSummary[];
}

/** One machine's requests in a summary's range. */
export interface HostSummary extends Omit<UsageTotals, 'runtimeSeconds'> {
  /** The machine's name as it forwards; null for this machine's own records. */
  host: string | null;
}

/** One project's requests in a summary's range (requests only: runs belong to no project). */
export interface ProjectSummary extends Omit<UsageTotals, 'runtimeSeconds'> {
  /** The working folder as recorded (an absolute path or a name); null for requests naming no project. */
  project: string | null;
  /** What to show: the folder's name (last path segment); "" for requests naming no project. */
  name: string;
}

/** A project known to the ledger (GET /projects), for filters. */
export interface ProjectInfo {
  project: string;
  name: string;
  /** Times of its first and last request (null once its requests are all deleted). */
  firstSeen: number | null;
  lastSeen: number | null;
  requests: number;
  cost: Money;
}

/** A local model's cost next to what the same tokens would have cost at its cloud reference. */
export interface ModelSavings {
  model: string;
  /** The catalogue entry, "provider/model-id". */
  reference: string;
  /** The catalogue package and version the counterfactual was priced with. */
  catalogue: string;
  /** The start date of the reference's price in force at the end of the range; null when it never changed. */
  priceDate: string | null;
  /** The model's own cost in the range (hourly, token or none), as in `models`. */
  ownCost: Money;
  /** The same requests at the reference's catalogue price, each at its own timestamp. */
  cloudCost: Money;
  /** cloudCost − ownCost per currency: positive is saved, negative is lost. */
  saved: Money;
}

export interface Savings {
  models: ModelSavings[];
  /** Sums over `models`, per currency. */
  total: { ownCost: Money; cloudCost: Money; saved: Money };
}

export interface SavingsReference {
  model: string;
  /** "provider/model-id", or null when cleared. */
  reference: string | null;
}

export interface HistoryBucket extends UsageTotals {
  ts: number;
  model?: string;
  /** With groupBy=project: the project's path, null for requests naming none. */
  project?: string | null;
  /** With groupBy=host: the machine's name, null for this machine. */
  host?: string | null;
  /** With groupBy=channel: the channel's metrics key, null for requests sent through no channel (and runtime). */
  metricsKey?: string | null;
  /** With groupBy=channel: the channel's API type, null with a null metricsKey. */
  apiType?: string | null;
}

export interface History {
  from: number;
  to: number;
  /** Bucket width in seconds; day buckets follow local midnight (23 or 25 h on DST days). */
  interval: number;
  buckets: HistoryBucket[];
}

export interface Run {
  id: number;
  model: string;
  source: string | null;
  start: number;
  end: number | null;
  lastSeenAt: number;
  running: boolean;
  durationSeconds: number;
}

export interface ProgramRun {
  id: number;
  start: number;
  end: number | null;
  running: boolean;
  durationSeconds: number;
}

export interface RequestRow extends TokenTotals {
  id: string;
  ts: number;
  model: string;
  apiType: string | null;
  success: boolean;
  failureClass: FailureClass | null;
  statusCode: number | null;
  latencyMs: number | null;
  ttftMs: number | null;
  channel: string | null;
  source: string | null;
  requestId: string | null;
  /** Null when unpriced. */
  cost: number | null;
  currency: string | null;
  /** The working folder, git branch and agent session the request was made for, where reported. */
  project: string | null;
  branch: string | null;
  sessionId: string | null;
  /** The upstream's id for the answer (msg_..., chatcmpl-..., resp_...): one request per id. */
  responseId: string | null;
  /** The machine that forwarded it; null for this machine's own. */
  host: string | null;
}

/**
 * One row of an export (GET /export, the desktop's export file): a request, or a run of a model
 * within the range with its runtime and hourly cost, so the totals per currency are the summary's.
 */
export interface ExportRow extends RequestRow {
  kind: 'request' | 'run';
  /** Run rows: milliseconds the model ran within the range, from `ts` on. Null on request rows. */
  runtimeMs: number | null;
  /** The channel's label (else its base URL and key mask) where one is known; `channel` stays its metricsKey. */
  channelLabel: string | null;
  /** The metering proxy's route a request came through. */
  route: string | null;
}

export interface RequestPage {
  requests: RequestRow[];
  /** Pass as `before` to get the next (older) page; null on the last page. */
  nextBefore: string | null;
}

export interface Circuit {
  metricsKey: string;
  apiType: string;
  baseUrl: string | null;
  keyMask: string | null;
  label: string | null;
  state: CircuitStateName;
  consecutiveFailures: number;
  openedAt: number | null;
  nextRetryAt: number | null;
  backoffLevel: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  updatedAt: number | null;
}

export interface CircuitEvent {
  id: number;
  metricsKey: string;
  apiType: string;
  ts: number;
  from: CircuitStateName | null;
  to: CircuitStateName;
  reason: string | null;
}

export interface PriceVersion {
  id: number;
  model: string;
  effectiveFrom: number;
  /** Null for the last version: in force until now. */
  effectiveTo: number | null;
  currency: string;
  method: PricingMethod;
  tiers: PriceTier[] | null;
  hourly: number | null;
  createdAt: number;
}

export interface ModelPricing {
  model: string;
  versions: PriceVersion[];
  /**
   * Where the model's prices come from: the user's versions ("yours"), or, for a model with none whose
   * requests were priced by the bundled catalogue, that catalogue entry. Absent on older servers.
   */
  source?: PriceSource;
}

/** "yours", or the catalogue package version and entry that priced a model's requests. */
export type PriceSource =
  | { kind: 'yours' }
  | {
      kind: 'catalogue';
      package: string;
      version: string;
      provider: string;
      modelId: string;
      since: string | null;
      /** Present when the prices came from a downloaded catalogue data file: its date (YYYY-MM-DD). */
      downloaded?: string;
    };

/** A price per 1M tokens, with the higher prices of long prompts (above `start` prompt tokens). */
export interface CataloguePrice {
  base: number;
  tiers: { start: number; price: number }[];
}

/** One entry of the bundled catalogue, with the prices in force now (USD per 1M tokens). */
export interface CatalogueEntry {
  provider: string;
  providerName: string;
  modelId: string;
  name: string | null;
  /** When the prices shown started (the catalogue's own date), or null when they always applied. */
  since: string | null;
  prices: {
    input: CataloguePrice | null;
    output: CataloguePrice | null;
    cacheRead: CataloguePrice | null;
    cacheWrite: CataloguePrice | null;
    cacheWrite1h: CataloguePrice | null;
  };
}

export interface CatalogueSearchResult {
  package: string;
  version: string;
  currency: 'USD';
  entries: CatalogueEntry[];
  /** True when more entries matched than were returned. */
  truncated: boolean;
}

export interface PricingPreview {
  model: string;
  version: Omit<PriceVersion, 'id' | 'createdAt'>;
  /** Requests whose price changes: those timestamped inside the version's window. */
  affectedRequests: number;
  before: { cost: Money; unpricedRequests: number };
  after: { cost: Money; unpricedRequests: number };
  /**
   * Requests in the window whose raw rows have expired and whose rollups cannot be re-priced exactly
   * (tiered prices depend on each request's prompt size); they keep their old cost.
   */
  notRepriced: number;
}

export interface PricingChange {
  pricing: ModelPricing;
  repricedRequests: number;
  notRepriced: number;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

export interface ModelDeleteResult {
  model: string;
  requests: number;
  runs: number;
  priceVersions: number;
}

export interface ChannelsDeleteResult {
  requests: number;
  circuits: number;
  circuitEvents: number;
}

export interface CleanupResult {
  before: number;
  requests: number;
}

/** What a cleanup or a retention setting would remove now: raw request rows older than `before`. */
export interface CleanupPreview {
  before: number;
  requests: number;
}

/** The last cleanup that ran: a manual one from the Data view or the API, or retention's. */
export interface LastCleanup {
  at: number;
  trigger: 'manual' | 'retention';
  before: number;
  /** Raw request rows removed (totals stay in the rollups). */
  requests: number;
}

/** What the Data view shows about the database: its size and how far back raw rows reach. */
export interface StorageInfo {
  /** Main database file plus its write-ahead log, in bytes. */
  databaseBytes: number;
  walBytes: number;
  /** Requests ever counted (from the rollups, so expired raw rows still count). */
  totalRequests: number;
  /** The oldest and newest raw request rows still stored, or null when none are. */
  oldestRawRequestAt: number | null;
  newestRawRequestAt: number | null;
  models: number;
  channels: number;
  retentionDays: number;
  /** The last cleanup that removed rows or was asked for; null before the first. */
  lastCleanup: LastCleanup | null;
}

export interface Settings {
  retentionDays: number;
  runStaleSeconds: number;
  displayCurrency: string | null;
  currencyRates: Record<string, number>;
  breaker: {
    windowSize: number;
    consecutiveFailures: number;
    minResults: number;
    failureRate: number;
    baseBackoffSeconds: number;
    maxBackoffSeconds: number;
  };
  /** Day of the month (1-28) a monthly budget period starts on. */
  monthStartDay: number;
  /** First day of a weekly budget period: 0 = Sunday .. 6 = Saturday. */
  weekStartDay: number;
  /** GET /metrics: models that keep their own label (most requests first); the rest are summed as "other". */
  metricsMaxModels: number;
  /** GET /metrics answers loopback scrapers without the token. */
  metricsAllowAnonymousLoopback: boolean;
  /** OTLP metrics push: off by default; needs otlpUrl (the collector's OTLP/HTTP metrics URL). */
  otlpEnabled: boolean;
  otlpUrl: string | null;
  /**
   * Sent with every export (e.g. a collector's API key): names with MASKED values in answers (the values
   * live in the data folder's otlp-headers.json, never in the database or an answer).
   */
  otlpHeaders: Record<string, string>;
  otlpIntervalSeconds: number;
  /** How the OTLP push runs now (read-only: not part of a patch). */
  otlpStatus: OtlpPushStatus;
}

/** The OTLP push as it runs: whether it is on, its last successful export, the error of the last failed one. */
export interface OtlpPushStatus {
  running: boolean;
  lastExportAt: number | null;
  /** Cleared by the next successful export. */
  lastError: string | null;
}

/** What changed, pushed on the event stream so views can refresh what they show. */
export type LedgerEvent =
  | { type: 'requests'; count: number; models: string[] }
  | { type: 'runs'; model: string; run: Run }
  | { type: 'circuits'; metricsKey: string; apiType: string; state: CircuitStateName }
  | { type: 'pricing'; model: string }
  | { type: 'data'; reason: 'model-deleted' | 'channels-deleted' | 'cleanup' | 'settings' | 'import' }
  | { type: 'routes' }
  | { type: 'watchers' }
  | { type: 'import'; file: string; progress: ImportProgress }
  | { type: 'budget-alert'; alert: BudgetAlert }
  | { type: 'budgets' }
  | { type: 'agents'; agent: AgentSourceId; progress: AgentProgress }
  /** Forwarding's status changed (at most about once a second while it sends). */
  | { type: 'forwarding'; status: ForwardingStatus }
  /** A machine forwarded here for the first time. */
  | { type: 'hosts' }
  /**
   * How far the export being saved has come: sent to its own windows by the desktop while a Save
   * writes, and by a browser tab's transport to its own views while it downloads; never on the
   * server's event stream.
   */
  | { type: 'export'; progress: ExportProgress }
  /** A long write of the ledger as it goes: a few a second at most, and one when it is done. */
  | { type: 'progress'; progress: TaskProgress };

/** The writes that run in slices for seconds on a big ledger, the server answering meanwhile. */
export type LongTask = 'reprice' | 'reprice-preview' | 'delete-model' | 'delete-channels' | 'cleanup';

/** How far a long write has come (re-pricing a model, deleting one or channels, a cleanup). */
export interface TaskProgress {
  task: LongTask;
  /** The model re-priced (or previewed) or deleted; absent for the other tasks. */
  model?: string;
  /** The channels deleted (delete-channels only). */
  metricsKeys?: string[];
  /**
   * Done so far of total, in the task's own unit (windows of a few minutes of requests, or requests for
   * a cleanup): a fraction to show, not a count to print. done equals total in the last.
   */
  done: number;
  total: number;
}

/** An export being saved (the desktop's Save, a browser's download), at most a few times a second. */
export interface ExportProgress {
  /** Requests written so far; the runs, which follow the last request, are not counted. */
  requests: number;
  /**
   * The requests the range held when the export started, by the rollups (requests recorded meanwhile
   * may add to it); null when unknown: a project and a machine together, which the rollups cannot count.
   */
  total: number | null;
  /** Bytes written to the file, or received by the browser. */
  bytes: number;
}

/** One upstream of a proxy route, as the API shows it: the key the app holds is never shown, only its mask. */
export interface ProxyChannel {
  id: string;
  baseUrl: string;
  label: string | null;
  /** True when the app holds this channel's API key (it then replaces the client's credential). */
  hasKey: boolean;
  keyMask: string | null;
  /** The channel's metricsKey when the app holds its key; otherwise it follows each client's key. */
  metricsKey: string | null;
}

export interface ProxyRoute {
  name: string;
  protocol: ProxyProtocol;
  channels: ProxyChannel[];
  includeUsage: boolean;
  timeoutSeconds: number;
  enabled: boolean;
  /** Path of the route on the API's server: clients use `http://127.0.0.1:<port>` + this as their base URL. */
  path: string;
  /** The project recorded on the route's calls that name none (X-ModelMeter-Project); absent when unset. */
  project?: string;
}

export type WatcherState = 'off' | 'connecting' | 'up' | 'down';

export interface Watcher {
  id: string;
  kind: WatcherKind;
  baseUrl: string;
  enabled: boolean;
  pollSeconds: number;
  model: string | null;
  label: string | null;
  status: WatcherStatus;
}

export interface WatcherStatus {
  state: WatcherState;
  /** Why the launcher is not reachable, in words for people. */
  lastError: string | null;
  lastOkAt: number | null;
  /** When the next reconnect attempt is due while down. */
  nextRetryAt: number | null;
  /** Models the launcher reports loaded right now. */
  models: string[];
}

/**
 * The databases of the two tools ModelMeter replaces:
 * - `llm-manager-tables`: LLM-Manager's first `monitoring.db`, a table set per model;
 * - `llm-manager-unified`: its later layout (`models`, `model_requests`, `model_runtime`, ...);
 * - `ccx`: ccx's `metrics.db` (`request_records`, `circuit_states`).
 */
export type ImportFormat = 'llm-manager-tables' | 'llm-manager-unified' | 'ccx';

export type ImportPhase = 'reading' | 'pricing' | 'requests' | 'runs' | 'circuits' | 'done';

export interface ImportProgress {
  phase: ImportPhase;
  /** Items of this phase handled so far, and how many there are. */
  done: number;
  total: number;
}

/** What an import did; counts are of source rows. */
export interface ImportReport {
  file: string;
  format: ImportFormat;
  formatLabel: string;
  startedAt: number;
  finishedAt: number;
  /** Model names found in the source, as ModelMeter stores them. */
  models: string[];
  requests: {
    read: number;
    accepted: number;
    /** Already in ModelMeter (an earlier import of the same file, or of the same rows in another layout). */
    duplicates: number;
    /** Rows that could not be used (bad time, blank model name...): see notes. */
    skipped: number;
  };
  runs: { read: number; added: number; existing: number; skipped: number };
  programRuns: { read: number; added: number; existing: number; skipped: number };
  prices: {
    /** Price versions added. */
    added: number;
    /** Identical version already present. */
    existing: number;
    /** Not imported: placeholder prices, or the model already has its own prices in ModelMeter. */
    skipped: number;
    currency: string | null;
  };
  circuits: {
    read: number;
    updated: number;
    unchanged: number;
    /** Unknown state, or ModelMeter holds a newer state for the channel. */
    skipped: number;
  };
  /** Sentences for people: decisions taken and anything left out. */
  notes: string[];
}

/** A budget's figures for its current period (local calendar, see Settings.monthStartDay / weekStartDay). */
export interface BudgetStatus {
  /** ms, the local calendar period [periodStart, periodEnd). */
  periodStart: number;
  periodEnd: number;
  /** In the budget's currency (other currencies converted with the user's rates; see `converted`). */
  spent: number;
  /** spent / amount * 100. */
  percent: number;
  /** Projected spend at period end. */
  projected: number;
  /** pace: the period so far only; blended: mixed with the trailing 7 days; trailing7d: the trailing 7 days only. */
  forecastMethod: 'pace' | 'blended' | 'trailing7d';
  /** ms when the projected spend reaches the amount, null if not within this period (or already reached before now). */
  reachesAmountAt: number | null;
  /** Thresholds (percent) crossed this period. */
  crossed: number[];
  /** Other currencies converted with the user's rates ([] if none). */
  converted: { currency: string; rate: number }[];
  /** Spend in currencies without a rate: not counted in `spent`. */
  unconverted: { currency: string; cost: number }[];
}

export interface Budget {
  id: string;
  name: string;
  amount: number;
  currency: string;
  period: BudgetPeriod;
  scope: BudgetScope;
  thresholds: number[];
  webhook: { url: string; format: WebhookFormat } | null;
  enabled: boolean;
  createdAt: number;
  status: BudgetStatus;
}

/** One alert sent (once per budget, period and threshold) and its webhook delivery. */
export interface BudgetAlert {
  id: number;
  budgetId: string;
  budgetName: string;
  threshold: number;
  periodStart: number;
  ts: number;
  spent: number;
  projected: number;
  currency: string;
  webhook: { state: 'none' | 'pending' | 'delivered' | 'failed'; attempts: number; lastError: string | null; deliveredAt: number | null };
}

/** The current month overall (all scopes), per currency, with daily points for a dashed projection. */
export interface Forecast {
  periodStart: number;
  periodEnd: number;
  spent: { currency: string; cost: number }[];
  projected: { currency: string; cost: number }[];
  method: string;
  /** The currency of `daily` (added to the contract): the display currency when set, else the currency with the most spend (others converted with the user's rates; without a rate left out). */
  dailyCurrency: string;
  /** One point per local day (ts = the day's start): actual cost up to today, projected after. */
  daily: { ts: number; cost: number; projected: boolean }[];
}

/** The catalogue data that prices new requests, and what priced the stored ones (issue 14, item 5). */
export interface CatalogueStatus {
  package: string;
  /** The version of the package bundled with the app. */
  bundledVersion: string;
  /** "bundled", or a downloaded data file the user confirmed (kept in the data folder). */
  active: { kind: 'bundled' | 'downloaded'; version: string; date: string | null };
  /** Why a kept download was not loaded (the bundled data prices instead), else null. */
  warning: string | null;
  /** Where "check for newer prices" downloads from (MODELMETER_CATALOGUE_URL overrides it). */
  url: string;
  /** Stored catalogue-priced requests per catalogue data version that priced them. */
  pricedBy: { version: string; requests: number }[];
  /** Of those, how many were priced by other data than the active one (re-pricing is offered). */
  otherVersion: number;
}

/** The prices of one catalogue entry before and after an update (USD per 1M tokens, in force now). */
export interface CatalogueChange {
  entry: string;
  name: string | null;
  before: CatalogueEntry['prices'];
  after: CatalogueEntry['prices'];
}

/** What a downloaded catalogue would change; nothing is used until it is applied. */
export interface CatalogueUpdateCheck {
  url: string;
  candidate: { version: string; date: string; providers: number; models: number };
  current: { version: string };
  /** Entries in both whose price in force now differs. */
  changed: number;
  added: number;
  removed: number;
  /** A few of the changed entries. */
  examples: CatalogueChange[];
}

/** What re-pricing the stored catalogue-priced requests with the active data would do, per model. */
export interface CatalogueRepricePreview {
  version: string;
  /** Requests of the models listed (those whose cost changes). */
  affectedRequests: number;
  models: { model: string; requests: number; before: { cost: Money; unpricedRequests: number }; after: { cost: Money; unpricedRequests: number } }[];
  before: { cost: Money; unpricedRequests: number };
  after: { cost: Money; unpricedRequests: number };
}

export interface CatalogueRepriceResult {
  version: string;
  repricedRequests: number;
  models: string[];
}
