/**
 * The one data API of ModelMeter. The service in electron/app implements it; the HTTP routes and
 * (later) the desktop IPC bridge are two transports of it, and the renderer calls it through either.
 * Inputs are the *input* types of the schemas: every transport validates with the same schemas.
 */
import type { ChannelRef, CircuitsResult, CircuitUpdateInput } from './schemas/circuit.js';
import type { ImportRequest, ProxyRouteInput, WatcherInput } from './schemas/integrations.js';
import type { PriceVersionInput } from './schemas/pricing.js';
import type { CatalogueQuery } from './schemas/catalogue.js';
import type { CatalogueSearchResult } from './types.js';
import type {
  CircuitEventsQuery,
  CircuitsQuery,
  CleanupBody,
  CleanupPreviewBody,
  HistoryQuery,
  ProgramRunsQuery,
  RequestsQuery,
  RunsQuery,
  SummaryQuery,
} from './schemas/queries.js';
import type { RequestRecordInput } from './schemas/request-record.js';
import type { RunEventInput } from './schemas/run-event.js';
import type { SettingsPatch } from './schemas/settings.js';
import type { SavingsReferenceInput } from './schemas/savings.js';
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
  'listCircuits',
  'listCircuitEvents',
  'resetCircuit',
  'listPricing',
  'getPricing',
  'addPriceVersion',
  'previewPriceVersion',
  'deletePricing',
  'searchCatalogue',
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
] as const satisfies readonly LedgerOperation[];

export type { ChannelRef };
