/**
 * The one data API of ModelMeter. The service in electron/app implements it; the HTTP routes and
 * (later) the desktop IPC bridge are two transports of it, and the renderer calls it through either.
 * Inputs are the *input* types of the schemas: every transport validates with the same schemas.
 */
import type { ChannelRef, CircuitsResult, CircuitUpdateInput } from './schemas/circuit.js';
import type { ImportRequest, ProxyRouteInput, WatcherInput } from './schemas/integrations.js';
import type { PriceVersionInput } from './schemas/pricing.js';
import type { CatalogueApplyInput, CatalogueQuery } from './schemas/catalogue.js';
import type { CatalogueRepricePreview, CatalogueRepriceResult, CatalogueSearchResult, CatalogueStatus, CatalogueUpdateCheck } from './types.js';
import type {
  CircuitEventsQuery,
  CircuitsQuery,
  CleanupBody,
  CleanupPreviewBody,
  HistoryQuery,
  ProgramRunsQuery,
  ProjectsQuery,
  RequestsQuery,
  RunsQuery,
  SummaryQuery,
} from './schemas/queries.js';
import type { RequestRecordInput } from './schemas/request-record.js';
import type { RunEventInput } from './schemas/run-event.js';
import type { SettingsPatch } from './schemas/settings.js';
import type { SavingsReferenceInput } from './schemas/savings.js';
import type { BudgetAlertsQuery, BudgetInput } from './schemas/budgets.js';
import type { Budget, BudgetAlert, Forecast } from './types.js';
import type { AgentPreview, AgentSource, AgentSourceRef, AgentSourceUpdate } from './schemas/agents.js';
import type { ForwardBatchInput, ForwardBatchResult, ForwardingStatus, ForwardingUpdate, HostInfo } from './schemas/forwarding.js';
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
  ProjectInfo,
  ProxyRoute,
  RequestPage,
  Run,
  Settings,
  StorageInfo,
  SavingsReference,
  Summary,
  Watcher,
} from './types.js';

export type IngestBody = RequestRecordInput | RequestRecordInput[] | { records: RequestRecordInput[] };
export type CircuitsBody = CircuitUpdateInput | CircuitUpdateInput[] | { circuits: CircuitUpdateInput[] };

export interface LedgerApi {
  ingestRequests(body: IngestBody): Promise<IngestResult>;
  reportRun(event: RunEventInput): Promise<Run>;
  putCircuits(body: CircuitsBody): Promise<CircuitsResult>;

  getSummary(query: SummaryQuery): Promise<Summary>;
  getHistory(query: HistoryQuery): Promise<History>;
  listRuns(query: RunsQuery): Promise<Run[]>;
  listProgramRuns(query: ProgramRunsQuery): Promise<ProgramRun[]>;
  listRequests(query: RequestsQuery): Promise<RequestPage>;
  /** Projects (working folders) with requests, most recently seen first: for project filters. */
  listProjects(query: ProjectsQuery): Promise<ProjectInfo[]>;

  listCircuits(query: CircuitsQuery): Promise<Circuit[]>;
  listCircuitEvents(query: CircuitEventsQuery): Promise<CircuitEvent[]>;
  resetCircuit(input: { metricsKey: string; apiType: string }): Promise<Circuit>;

  listPricing(): Promise<ModelPricing[]>;
  getPricing(input: { model: string }): Promise<ModelPricing>;
  addPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingChange>;
  previewPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingPreview>;
  deletePricing(input: { model: string; effectiveFrom?: number | string }): Promise<PricingChange>;
  /** Searches the bundled price catalogue (bounded; prices in USD per 1M tokens, as in force now). */
  searchCatalogue(input: CatalogueQuery): Promise<CatalogueSearchResult>;
  /** Which catalogue data prices new requests, and which data priced the stored ones. */
  getCatalogueStatus(): Promise<CatalogueStatus>;
  /** Downloads the package's published data file and says what it would change; nothing is used yet. */
  checkCatalogueUpdate(): Promise<CatalogueUpdateCheck>;
  /** Keeps the checked download (by its version) and prices new requests with it; stored costs stay. */
  applyCatalogueUpdate(input: CatalogueApplyInput): Promise<CatalogueStatus>;
  /** Back to the bundled catalogue for new requests; the kept download is removed. */
  resetCatalogue(): Promise<CatalogueStatus>;
  /** What re-pricing stored catalogue-priced requests with the active data would do, per model; writes nothing. */
  previewCatalogueReprice(): Promise<CatalogueRepricePreview>;
  /** Re-prices stored catalogue-priced requests with the active data (confirm after the preview). */
  repriceCatalogue(): Promise<CatalogueRepriceResult>;

  deleteModel(input: { model: string }): Promise<ModelDeleteResult>;
  deleteChannels(input: { metricsKeys: string[]; apiType: string }): Promise<ChannelsDeleteResult>;
  cleanup(input: CleanupBody): Promise<CleanupResult>;
  /** What `cleanup` (or a retention setting) would remove now, without removing anything. */
  previewCleanup(input: CleanupPreviewBody): Promise<CleanupPreview>;
  getStorageInfo(): Promise<StorageInfo>;

  getSettings(): Promise<Settings>;
  updateSettings(patch: SettingsPatch): Promise<Settings>;

  /** The cloud model each local model is compared with in `savings` (chosen by the user, never by default). */
  listSavingsReferences(): Promise<SavingsReference[]>;
  /** Sets (a catalogue entry "provider/model-id") or clears (null) a model's cloud reference. */
  setSavingsReference(input: SavingsReferenceInput): Promise<SavingsReference>;

  /** Metering-proxy routes (`/r/<name>/...`); saving a name that exists replaces that route. */
  listRoutes(): Promise<ProxyRoute[]>;
  saveRoute(input: { name: string; route: ProxyRouteInput }): Promise<ProxyRoute>;
  deleteRoute(input: { name: string }): Promise<{ name: string }>;

  /** Launcher watchers; without an id, saving adds a watcher. */
  listWatchers(): Promise<Watcher[]>;
  saveWatcher(input: { id?: string; watcher: WatcherInput }): Promise<Watcher>;
  deleteWatcher(input: { id: string }): Promise<{ id: string }>;

  /** Imports an LLM-Manager monitoring.db or a ccx metrics.db from a path on the machine running the core. */
  importDatabase(input: ImportRequest): Promise<ImportReport>;

  /** Budgets, each with its status for the current period; saving an id that exists replaces it. */
  listBudgets(): Promise<Budget[]>;
  saveBudget(input: { id: string; budget: BudgetInput }): Promise<Budget>;
  deleteBudget(input: { id: string }): Promise<{ id: string }>;
  /** Alerts sent, newest first, with their webhook delivery state. */
  listBudgetAlerts(input: BudgetAlertsQuery): Promise<BudgetAlert[]>;
  /** The current month overall: spent, projected at month end, daily points for the projection. */
  getForecast(): Promise<Forecast>;

  /** Coding agents' log sources (Claude Code, Codex...): folders found, switch, import progress. */
  listAgentSources(): Promise<AgentSource[]>;
  /** What switching an agent on would import (files, size, period, sessions), without importing. */
  previewAgentSource(input: AgentSourceRef): Promise<AgentPreview>;
  /** On: imports the agent's backlog, then follows its logs. Off: stops following; imported data stays. */
  setAgentSource(input: AgentSourceUpdate): Promise<AgentSource>;

  /** A batch forwarded by another ModelMeter (requests, runs, circuit states), stored as coming from its host; idempotent. */
  ingestForwarded(body: ForwardBatchInput): Promise<ForwardBatchResult>;
  /** Where this machine forwards its ledger, and how far behind it is. */
  getForwarding(): Promise<ForwardingStatus>;
  setForwarding(input: ForwardingUpdate): Promise<ForwardingStatus>;
  /** The machines this ledger has records from (this one first, as name null). */
  listHosts(): Promise<HostInfo[]>;
}

export type LedgerOperation = keyof LedgerApi;

/** Every operation by name: the IPC channels are derived from this list, so none is forgotten. */
export const LEDGER_OPERATIONS = [
  'ingestRequests',
  'reportRun',
  'putCircuits',
  'getSummary',
  'getHistory',
  'listRuns',
  'listProgramRuns',
  'listRequests',
  'listProjects',
  'listCircuits',
  'listCircuitEvents',
  'resetCircuit',
  'listPricing',
  'getPricing',
  'addPriceVersion',
  'previewPriceVersion',
  'deletePricing',
  'searchCatalogue',
  'getCatalogueStatus',
  'checkCatalogueUpdate',
  'applyCatalogueUpdate',
  'resetCatalogue',
  'previewCatalogueReprice',
  'repriceCatalogue',
  'deleteModel',
  'deleteChannels',
  'cleanup',
  'previewCleanup',
  'getStorageInfo',
  'getSettings',
  'updateSettings',
  'listSavingsReferences',
  'setSavingsReference',
  'listRoutes',
  'saveRoute',
  'deleteRoute',
  'listWatchers',
  'saveWatcher',
  'deleteWatcher',
  'importDatabase',
  'listBudgets',
  'saveBudget',
  'deleteBudget',
  'listBudgetAlerts',
  'getForecast',
  'listAgentSources',
  'previewAgentSource',
  'setAgentSource',
  'ingestForwarded',
  'getForwarding',
  'setForwarding',
  'listHosts',
] as const satisfies readonly LedgerOperation[];

export type { ChannelRef };
