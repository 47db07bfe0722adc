/**
 * The typed client of HTTP API v1 for scripts, launchers and other programs: plain fetch and web
 * streams only, so it runs unchanged in Node 20+, Deno, Bun and browsers. Every ledger operation is
 * built from the shared route table, so this client, the dashboard and the server cannot drift.
 */
import type { ForwardBatchInput, ForwardBatchResult, ForwardingStatus, ForwardingUpdate, HostInfo } from '../schemas/forwarding.js';
import type { AppInfo } from '../app.js';
import type { CircuitsBody, IngestBody, LedgerApi, LedgerOperation } from '../api.js';
import type { OperationInput, OperationOutput } from '../bridge.js';
import { ApiError, ERROR_STATUS, type ErrorBody, type ErrorCode } from '../errors.js';
import { API_ROOT, APP_INFO_PATH, HTTP_ROUTES, toSearchParams, type HttpCall } from '../http-routes.js';
import type { ImportRequest, ProxyRouteInput, WatcherInput } from '../schemas/integrations.js';
import type { CircuitsResult } from '../schemas/circuit.js';
import type { PriceVersionInput } from '../schemas/pricing.js';
import type { CatalogueApplyInput, CatalogueQuery } from '../schemas/catalogue.js';
import type { CatalogueRepricePreview, CatalogueRepriceResult, CatalogueSearchResult, CatalogueStatus, CatalogueUpdateCheck } from '../types.js';
import type { SavingsReference } from '../types.js';
import type { SavingsReferenceInput } from '../schemas/savings.js';
import type { AgentPreview, AgentSource, AgentSourceRef, AgentSourceUpdate } from '../schemas/agents.js';
import type { BudgetAlertsQuery, BudgetInput } from '../schemas/budgets.js';
import type { Budget, BudgetAlert, Forecast } from '../types.js';
import type {
  CircuitEventsQuery,
  CircuitsQuery,
  CleanupBody,
  CleanupPreviewBody,
  ExportQuery,
  HistoryQuery,
  ProgramRunsQuery,
  RequestsQuery,
  ProjectsQuery,
  RunsQuery,
  SummaryQuery,
} from '../schemas/queries.js';
import type { RunEventInput } from '../schemas/run-event.js';
import type { SettingsPatch } from '../schemas/settings.js';
import type {
  ChannelsDeleteResult,
  Circuit,
  CircuitEvent,
  CleanupPreview,
  CleanupResult,
  History,
  ImportReport,
  IngestResult,
  ModelDeleteResult,
  ModelPricing,
  PricingChange,
  PricingPreview,
  ProgramRun,
  ProxyRoute,
  RequestPage,
  ProjectInfo,
  Run,
  Settings,
  StorageInfo,
  Summary,
  Watcher,
} from '../types.js';
import { LedgerEventStream } from './events.js';

export interface ModelMeterClientOptions {
  /** Where the server listens, e.g. http://127.0.0.1:7423 (a path prefix is kept). */
  baseUrl: string;
  /** The API token (Settings shows it; the headless server prints it and keeps it in its data folder). */
  token: string;
  /** A fetch to use instead of the global one (tests, proxies, custom agents). */
  fetch?: typeof fetch;
  /** Gives up on a call that has not started answering after this long (an `unavailable` error); the event stream is exempt. */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface Health {
  status: 'ok';
  version: string;
}

export interface EventsOptions {
  /** Ends the stream when aborted. */
  signal?: AbortSignal;
}

const STATUS_CODES = new Map<number, ErrorCode>(
  (Object.entries(ERROR_STATUS) as [ErrorCode, number][])
    // Several codes share 400; the generic one stands for a 400 whose body says nothing. A bare 502
    // or 504 comes from something between us and the server: for the API it is down, not an upstream.
    .filter(([code]) => !['validation_failed', 'too_many_buckets', 'bad_gateway', 'gateway_timeout'].includes(code))
    .map(([code, status]) => [status, code]),
);

function isErrorBody(value: unknown): value is ErrorBody {
  if (!value || typeof value !== 'object') return false;
  const body = value as Partial<ErrorBody>;
  return typeof body.code === 'string' && body.code in ERROR_STATUS && typeof body.message === 'string';
}

/** The server's `{ error: { code, message, details } }`, or an error made from the status alone. */
async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (isErrorBody(body.error)) return ApiError.fromBody(body.error);
  } catch {
    // not JSON: a proxy or something else answered
  }
  const code = STATUS_CODES.get(response.status) ?? (response.status >= 500 ? 'unavailable' : 'bad_request');
  return new ApiError(code, `the server answered ${response.status} ${response.statusText}`.trim());
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

export class ModelMeterClient implements LedgerApi {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly doFetch: typeof fetch;
  private readonly timeoutMs: number | undefined;

  constructor(options: ModelMeterClientOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required, e.g. http://127.0.0.1:7423');
    if (!options.token) throw new TypeError('token is required: the API token from Settings or the api-token file');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    // Unbound, window.fetch throws "Illegal invocation" in browsers.
    this.doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs;
  }

  /** Any ledger operation by name, with the input and output types of LedgerApi. */
  async call<K extends LedgerOperation>(operation: K, input: OperationInput<K>, options: CallOptions = {}): Promise<OperationOutput<K>> {
    const route = HTTP_ROUTES[operation] as (input: OperationInput<K>) => HttpCall;
    return (await this.json(route(input), options)) as OperationOutput<K>;
  }

  ingestRequests(body: IngestBody): Promise<IngestResult> {
    return this.call('ingestRequests', body);
  }

  reportRun(event: RunEventInput): Promise<Run> {
    return this.call('reportRun', event);
  }

  putCircuits(body: CircuitsBody): Promise<CircuitsResult> {
    return this.call('putCircuits', body);
  }

  getSummary(query: SummaryQuery = {}): Promise<Summary> {
    return this.call('getSummary', query);
  }

  getHistory(query: HistoryQuery = {}): Promise<History> {
    return this.call('getHistory', query);
  }

  listRuns(query: RunsQuery = {}): Promise<Run[]> {
    return this.call('listRuns', query);
  }

  listProgramRuns(query: ProgramRunsQuery = {}): Promise<ProgramRun[]> {
    return this.call('listProgramRuns', query);
  }

  listRequests(query: RequestsQuery = {}): Promise<RequestPage> {
    return this.call('listRequests', query);
  }

  listProjects(query: ProjectsQuery = {}): Promise<ProjectInfo[]> {
    return this.call('listProjects', query);
  }

  listCircuits(query: CircuitsQuery = {}): Promise<Circuit[]> {
    return this.call('listCircuits', query);
  }

  listCircuitEvents(query: CircuitEventsQuery = {}): Promise<CircuitEvent[]> {
    return this.call('listCircuitEvents', query);
  }

  resetCircuit(input: { metricsKey: string; apiType: string }): Promise<Circuit> {
    return this.call('resetCircuit', input);
  }

  listPricing(): Promise<ModelPricing[]> {
    return this.call('listPricing', undefined);
  }

  searchCatalogue(input: CatalogueQuery): Promise<CatalogueSearchResult> {
    return this.call('searchCatalogue', input);
  }

  getCatalogueStatus(): Promise<CatalogueStatus> {
    return this.call('getCatalogueStatus', undefined);
  }

  checkCatalogueUpdate(): Promise<CatalogueUpdateCheck> {
    return this.call('checkCatalogueUpdate', undefined);
  }

  applyCatalogueUpdate(input: CatalogueApplyInput): Promise<CatalogueStatus> {
    return this.call('applyCatalogueUpdate', input);
  }

  resetCatalogue(): Promise<CatalogueStatus> {
    return this.call('resetCatalogue', undefined);
  }

  previewCatalogueReprice(): Promise<CatalogueRepricePreview> {
    return this.call('previewCatalogueReprice', undefined);
  }

  repriceCatalogue(): Promise<CatalogueRepriceResult> {
    return this.call('repriceCatalogue', undefined);
  }

  getPricing(input: { model: string }): Promise<ModelPricing> {
    return this.call('getPricing', input);
  }

  addPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingChange> {
    return this.call('addPriceVersion', input);
  }

  previewPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingPreview> {
    return this.call('previewPriceVersion', input);
  }

  deletePricing(input: { model: string; effectiveFrom?: number | string }): Promise<PricingChange> {
    return this.call('deletePricing', input);
  }

  deleteModel(input: { model: string }): Promise<ModelDeleteResult> {
    return this.call('deleteModel', input);
  }

  deleteChannels(input: { metricsKeys: string[]; apiType: string }): Promise<ChannelsDeleteResult> {
    return this.call('deleteChannels', input);
  }

  cleanup(input: CleanupBody): Promise<CleanupResult> {
    return this.call('cleanup', input);
  }

  previewCleanup(input: CleanupPreviewBody): Promise<CleanupPreview> {
    return this.call('previewCleanup', input);
  }

  getStorageInfo(): Promise<StorageInfo> {
    return this.call('getStorageInfo', undefined);
  }

  getSettings(): Promise<Settings> {
    return this.call('getSettings', undefined);
  }

  updateSettings(patch: SettingsPatch): Promise<Settings> {
    return this.call('updateSettings', patch);
  }

  listSavingsReferences(): Promise<SavingsReference[]> {
    return this.call('listSavingsReferences', undefined);
  }

  setSavingsReference(input: SavingsReferenceInput): Promise<SavingsReference> {
    return this.call('setSavingsReference', input);
  }

  listRoutes(): Promise<ProxyRoute[]> {
    return this.call('listRoutes', undefined);
  }

  saveRoute(input: { name: string; route: ProxyRouteInput }): Promise<ProxyRoute> {
    return this.call('saveRoute', input);
  }

  deleteRoute(input: { name: string }): Promise<{ name: string }> {
    return this.call('deleteRoute', input);
  }

  listWatchers(): Promise<Watcher[]> {
    return this.call('listWatchers', undefined);
  }

  saveWatcher(input: { id?: string; watcher: WatcherInput }): Promise<Watcher> {
    return this.call('saveWatcher', input);
  }

  deleteWatcher(input: { id: string }): Promise<{ id: string }> {
    return this.call('deleteWatcher', input);
  }

  /** Imports a database file on the server's machine; it can take minutes for a big file. */
  importDatabase(input: ImportRequest): Promise<ImportReport> {
    return this.call('importDatabase', input);
  }

  listAgentSources(): Promise<AgentSource[]> {
    return this.call('listAgentSources', undefined);
  }

  previewAgentSource(input: AgentSourceRef): Promise<AgentPreview> {
    return this.call('previewAgentSource', input);
  }

  setAgentSource(input: AgentSourceUpdate): Promise<AgentSource> {
    return this.call('setAgentSource', input);
  }

  ingestForwarded(body: ForwardBatchInput): Promise<ForwardBatchResult> {
    return this.call('ingestForwarded', body);
  }

  getForwarding(): Promise<ForwardingStatus> {
    return this.call('getForwarding', undefined);
  }

  setForwarding(input: ForwardingUpdate): Promise<ForwardingStatus> {
    return this.call('setForwarding', input);
  }

  listHosts(): Promise<HostInfo[]> {
    return this.call('listHosts', undefined);
  }

  listBudgets(): Promise<Budget[]> {
    return this.call('listBudgets', undefined);
  }

  saveBudget(input: { id: string; budget: BudgetInput }): Promise<Budget> {
    return this.call('saveBudget', input);
  }

  deleteBudget(input: { id: string }): Promise<{ id: string }> {
    return this.call('deleteBudget', input);
  }

  listBudgetAlerts(input: BudgetAlertsQuery = {}): Promise<BudgetAlert[]> {
    return this.call('listBudgetAlerts', input);
  }

  getForecast(): Promise<Forecast> {
    return this.call('getForecast', undefined);
  }

  /** The host facts of the server: version, data folder, API URL. */
  getAppInfo(options: CallOptions = {}): Promise<AppInfo> {
    return this.json({ method: 'GET', path: APP_INFO_PATH }, options) as Promise<AppInfo>;
  }

  /** `GET /healthz`: answers without a token, so it also tells a wrong token from a down server. */
  async health(options: CallOptions = {}): Promise<Health> {
    return (await this.json({ method: 'GET', path: '/healthz' }, options, '')) as Health;
  }

  /**
   * The request log as CSV or JSON (`GET /api/v1/export`). Answers the Response as soon as the server
   * starts sending, so a large export can be piped to a file from `response.body` without buffering.
   */
  async export(query: ExportQuery = {}, options: CallOptions = {}): Promise<Response> {
    // The export may take long: the timeout covers only the wait for the first byte.
    const { response } = await this.send(`${this.baseUrl}${API_ROOT}/export${toSearchParams({ ...query })}`, { method: 'GET' }, options.signal);
    return response;
  }

  /**
   * The live ledger events (`GET /api/v1/events`). Use with `for await`; `await stream.opened` first
   * when the events of changes made right after subscribing matter.
   */
  events(options: EventsOptions = {}): LedgerEventStream {
    return new LedgerEventStream(async (signal) => {
      let response: Response;
      try {
        response = await this.doFetch(`${this.baseUrl}${API_ROOT}/events`, {
          headers: { ...this.authHeader(), Accept: 'text/event-stream' },
          signal,
        });
      } catch (error) {
        throw new ApiError('unavailable', `cannot reach the ModelMeter server at ${this.baseUrl}: ${reason(error)}`);
      }
      if (!response.ok) throw await errorOf(response);
      if (!response.body) throw new ApiError('unavailable', 'the server answered the event stream without a body');
      return response.body;
    }, options.signal);
  }

  private authHeader(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }

  private async json(call: HttpCall, options: CallOptions, root: string = API_ROOT): Promise<unknown> {
    const init: RequestInit = { method: call.method };
    if (call.body !== undefined) {
      init.body = JSON.stringify(call.body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const { response, release } = await this.send(`${this.baseUrl}${root}${call.path}${toSearchParams(call.query)}`, init, options.signal);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new ApiError('unavailable', `the connection to ${this.baseUrl} broke while reading the answer: ${reason(error)}`);
    } finally {
      release();
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiError('internal', `the server answered ${response.status} with a body that is not JSON`);
    }
  }

  /**
   * One authorized request; answers an ok Response or rejects with an ApiError. `release` detaches
   * the caller's signal once the body has been read (a streamed export keeps it, to stay abortable).
   */
  private async send(url: string, init: RequestInit, signal: AbortSignal | undefined): Promise<{ response: Response; release: () => void }> {
    const { signal: combined, timedOut, started, release } = this.deadline(signal);
    const headers = { Accept: 'application/json', ...this.authHeader(), ...(init.headers as Record<string, string> | undefined) };
    let response: Response;
    try {
      response = await this.doFetch(url, { ...init, headers, signal: combined });
    } catch (error) {
      release();
      if (signal?.aborted) throw signal.reason ?? error;
      if (timedOut()) throw new ApiError('unavailable', `the ModelMeter server at ${this.baseUrl} did not answer within ${this.timeoutMs} ms`);
      throw new ApiError('unavailable', `cannot reach the ModelMeter server at ${this.baseUrl}: ${reason(error)}`);
    }
    started();
    if (!response.ok) {
      try {
        throw await errorOf(response);
      } finally {
        release();
      }
    }
    return { response, release };
  }

  /**
   * The caller's signal joined with the timeout, made by hand: AbortSignal.any is missing from older
   * browsers. The timer runs until the first byte, not through a long body.
   */
  private deadline(signal: AbortSignal | undefined): { signal: AbortSignal; timedOut: () => boolean; started: () => void; release: () => void } {
    const controller = new AbortController();
    let expired = false;
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    const timer =
      this.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            expired = true;
            controller.abort();
          }, this.timeoutMs);
    const stopTimer = () => {
      if (timer !== undefined) clearTimeout(timer);
    };
    return {
      signal: controller.signal,
      timedOut: () => expired,
      started: stopTimer,
      release: () => {
        stopTimer();
        signal?.removeEventListener('abort', forward);
      },
    };
  }
}
