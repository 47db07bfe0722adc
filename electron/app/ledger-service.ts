import type { CircuitsBody, IngestBody, LedgerApi } from '../../shared/api.js';
import type { CircuitsResult } from '../../shared/schemas/circuit.js';
import type { ImportRequest, ProxyRouteInput, WatcherInput } from '../../shared/schemas/integrations.js';
import type { PriceVersionInput } from '../../shared/schemas/pricing.js';
import type { CatalogueApplyInput, CatalogueQuery } from '../../shared/schemas/catalogue.js';
import type { CatalogueRepricePreview, CatalogueRepriceResult, CatalogueSearchResult, CatalogueStatus, CatalogueUpdateCheck } from '../../shared/types.js';
import type { CircuitEventsQuery, CircuitsQuery, CleanupBody, CleanupPreviewBody, HistoryQuery, ProgramRunsQuery, ProjectsQuery, RequestsQuery, RunsQuery, SummaryQuery } from '../../shared/schemas/queries.js';
import type { RequestRecord } from '../../shared/schemas/request-record.js';
import type { RunEventInput } from '../../shared/schemas/run-event.js';
import type { SettingsPatch } from '../../shared/schemas/settings.js';
import type { SavingsReferenceInput } from '../../shared/schemas/savings.js';
import type { SavingsReference } from '../../shared/types.js';
import type { ChannelsDeleteResult, Circuit, CircuitEvent, CleanupPreview, CleanupResult, History, ImportReport, IngestResult, ModelDeleteResult, ModelPricing, PricingChange, PricingPreview, ProgramRun, ProjectInfo, ProxyRoute, RequestPage, Run, Settings, StorageInfo, Summary, Watcher } from '../../shared/types.js';
import { LedgerEvents } from '../ledger/events/bus.js';
import type { BufferedWriter, BufferedWriterOptions } from '../ledger/ingest/buffered-writer.js';
import type { Ledger } from '../ledger/store/ledger.js';
import type { WriteResult } from '../ledger/store/request-writer.js';
import { IntegrationConfig } from '../sources/integrations/integration-config.js';
import type { BreakerStepInput } from '../sources/ports.js';
import { MemoryKeyVault } from '../sources/secrets/key-vault.js';
import { MemoryOtlpHeaderVault, type OtlpHeaderVault } from '../sources/secrets/otlp-headers.js';
import { CircuitService } from './circuit-service.js';
import { ImportService } from './import-service.js';
import { BudgetService, type BudgetServiceOptions } from './budget-service.js';
import type { BudgetAlertsQuery, BudgetInput } from '../../shared/schemas/budgets.js';
import type { Budget, BudgetAlert, Forecast } from '../../shared/types.js';
import { AgentService } from './agent-service.js';
import type { AgentPreview, AgentSource, AgentSourceRef, AgentSourceUpdate } from '../../shared/schemas/agents.js';
import { IngestService, type IngestOptions } from './ingest-service.js';
import { IntegrationService } from './integration-service.js';
import { MaintenanceService } from './maintenance-service.js';
import { PricingService } from './pricing-service.js';
import type { RepricingJobsOptions } from './repricing-jobs.js';
import { CatalogueService } from './catalogue-service.js';
import { CatalogueUpdateService } from './catalogue-update-service.js';
import { SavingsService } from './savings-service.js';
import { SettingsService } from './settings-service.js';
import { UsageService } from './usage-service.js';
import type { JsonAnswer } from '../ledger/reads/protocol.js';
import { MetricsService } from './metrics/metrics-service.js';
import { ForwardService } from './forwarding/forward-service.js';
import type { ForwardTokenVault } from '../sources/secrets/forward-token.js';
import { HostService } from './hosts/host-service.js';
import type { ForwardBatchInput, ForwardBatchResult, ForwardingStatus, ForwardingUpdate, HostInfo } from '../../shared/schemas/forwarding.js';
import type { ExportChunk, ExportFilter, LedgerServiceOptions } from './usage-service.js';

export type { ExportChunk, ExportFilter, LedgerServiceOptions } from './usage-service.js';
export type { BreakerStepInput } from '../sources/ports.js';

/**
 * The data API of ModelMeter (shared/api.ts), composed of one service per domain (./*-service.ts):
 * every call is routed to its domain, which validates the input with the shared schemas, so the
 * HTTP routes and the IPC handlers stay thin transports. It also satisfies the ports of
 * electron/sources/ports.ts, which is how the proxy, watchers and importers reach the ledger.
 */
export class LedgerService implements LedgerApi {
  readonly events = new LedgerEvents();
  readonly integrations: IntegrationConfig;
  private readonly ingest: IngestService;
  private readonly usage: UsageService;
  private readonly circuit: CircuitService;
  private readonly pricing: PricingService;
  private readonly catalogue: CatalogueService;
  private readonly catalogueUpdates: CatalogueUpdateService;
  private readonly maintenance: MaintenanceService;
  private readonly settings: SettingsService;
  private readonly savings: SavingsService;
  private readonly integrationService: IntegrationService;
  private readonly imports: ImportService;
  /** The coding agents' log sources; the hosts start and close their followers with the core. */
  readonly agents: AgentService;
  /** Budgets; the hosts start and stop its alerts (budgets.alerter) with the core. */
  readonly budgets: BudgetService;
  /** Prometheus /metrics and the OTLP push; the HTTP host serves the one and starts and stops the other. */
  readonly metrics: MetricsService;
  /** Forwarding this ledger to another ModelMeter; the hosts start and stop its sender with the core. */
  readonly forwarding: ForwardService;
  /** Machines that forward here, and the batches they send. */
  private readonly hosts: HostService;

  constructor(
    readonly ledger: Ledger,
    options: LedgerServiceOptions & IngestOptions & { budgets?: BudgetServiceOptions; /** Slices of re-pricing and of deletions (tests make them small). */ repricing?: RepricingJobsOptions; /** The OTLP push's headers (the data folder's file; memory in tests). */ otlpHeaders?: OtlpHeaderVault; /** The forwarding target's token (a file; memory in tests). */ forwardToken?: ForwardTokenVault } = {},
  ) {
    this.integrations = new IntegrationConfig(ledger, options.keyVault ?? new MemoryKeyVault());
    const context = { ledger, events: this.events };
    this.ingest = new IngestService(context, options);
    this.usage = new UsageService(context, options);
    this.circuit = new CircuitService(context);
    this.pricing = new PricingService(context, { ...(options.log ? { log: options.log } : {}), ...options.repricing });
    this.catalogue = new CatalogueService(context);
    this.catalogueUpdates = new CatalogueUpdateService(context, options.log ? { log: options.log } : {}, this.pricing.repricing);
    this.maintenance = new MaintenanceService(context, { ...(options.log ? { log: options.log } : {}), ...options.repricing });
    const otlpHeaders = options.otlpHeaders ?? new MemoryOtlpHeaderVault();
    this.settings = new SettingsService(context, otlpHeaders, () => this.metrics.otlpStatus);
    this.savings = new SavingsService(context);
    this.integrationService = new IntegrationService(context, this.integrations);
    // Imports write through this whole API, as any client would.
    this.imports = new ImportService(context, options, this);
    this.agents = new AgentService(context, (body) => this.ingestRequests(body));
    // Budgets read spend through this API's summary and history, as the views do.
    this.budgets = new BudgetService(context, this, options.budgets);
    // Metrics read the all-time figures through this API's summary, circuits and budgets.
    this.metrics = new MetricsService(context, this, otlpHeaders);
    this.forwarding = new ForwardService(context, options.forwardToken ? { tokenVault: options.forwardToken } : {});
    // Forwarded batches are written as the ingest and circuit paths write their own.
    this.hosts = new HostService(context, this.ingest, this.circuit);
  }

  /** Stops the read workers, if there are any; call before closing the ledger. */
  /** Resolves once no price change is being re-priced (a stop waits for it; a kill leaves it pending). */
  repricingIdle(): Promise<void> {
    return this.pricing.repricing.idle();
  }

  /** Resolves once no deletion of a model or channels is under way (a kill leaves it pending for the next start). */
  deletionsIdle(): Promise<void> {
    return this.maintenance.deletionsIdle();
  }

  closeReads(): Promise<void> {
    return this.usage.closeReads();
  }

  /**
   * See UsageService.warmReads: startCore calls it once, READ_WARM_UP_DELAY_MS after the start. The
   * month's forecast follows (its own ranges: the month so far by day, the trailing window), the
   * Overview's slowest first call.
   */
  async warmReads(): Promise<void> {
    if (await this.usage.warmReads()) await this.budgets.getForecast().catch(() => undefined);
  }

  /** The non-blocking path for producers inside the process; see BufferedWriter. */
  createBufferedWriter(options?: BufferedWriterOptions): BufferedWriter {
    return this.ingest.createBufferedWriter(options);
  }

  /** Writes already-normalised records at once, in one transaction (benchmarks, importers). */
  writeRecords(records: RequestRecord[]): WriteResult {
    return this.ingest.writeRecords(records);
  }

  ingestRequests(body: IngestBody | unknown): Promise<IngestResult> {
    return this.ingest.ingestRequests(body);
  }

  reportRun(input: RunEventInput): Promise<Run> {
    return this.ingest.reportRun(input);
  }

  putCircuits(body: CircuitsBody | unknown): Promise<CircuitsResult> {
    return this.circuit.putCircuits(body);
  }

  getSummary(query: SummaryQuery): Promise<Summary> {
    return this.usage.getSummary(query).then((summary) => this.savings.addTo(summary));
  }

  getHistory(query: HistoryQuery): Promise<History> {
    return this.usage.getHistory(query);
  }

  listRuns(query: RunsQuery): Promise<Run[]> {
    return this.usage.listRuns(query);
  }

  listProgramRuns(query: ProgramRunsQuery): Promise<ProgramRun[]> {
    return this.usage.listProgramRuns(query);
  }

  listRequests(query: RequestsQuery): Promise<RequestPage> {
    return this.usage.listRequests(query);
  }

  listProjects(query: ProjectsQuery): Promise<ProjectInfo[]> {
    return this.usage.listProjects(query);
  }

  // The read answers as the JSON text HTTP sends, serialised in the read worker (not part of
  // LedgerApi: IPC carries objects). Each is byte for byte JSON.stringify of its object twin.
  getSummaryJson(query: SummaryQuery): Promise<JsonAnswer> {
    return this.usage.getSummaryJson(query, (facts) => this.savings.savingsOf(facts));
  }

  getHistoryJson(query: HistoryQuery): Promise<JsonAnswer> {
    return this.usage.getHistoryJson(query);
  }

  listRequestsJson(query: RequestsQuery): Promise<JsonAnswer> {
    return this.usage.listRequestsJson(query);
  }

  listProjectsJson(query: ProjectsQuery): Promise<JsonAnswer> {
    return this.usage.listProjectsJson(query);
  }

  listCircuits(query: CircuitsQuery): Promise<Circuit[]> {
    return this.circuit.listCircuits(query);
  }

  listCircuitEvents(query: CircuitEventsQuery): Promise<CircuitEvent[]> {
    return this.circuit.listCircuitEvents(query);
  }

  resetCircuit(input: { metricsKey: string; apiType: string }): Promise<Circuit> {
    return this.circuit.resetCircuit(input);
  }

  listPricing(): Promise<ModelPricing[]> {
    return this.pricing.listPricing();
  }

  searchCatalogue(input: CatalogueQuery): Promise<CatalogueSearchResult> {
    return this.catalogue.searchCatalogue(input);
  }

  getCatalogueStatus(): Promise<CatalogueStatus> {
    return this.catalogueUpdates.getCatalogueStatus();
  }

  checkCatalogueUpdate(): Promise<CatalogueUpdateCheck> {
    return this.catalogueUpdates.checkCatalogueUpdate();
  }

  applyCatalogueUpdate(input: CatalogueApplyInput): Promise<CatalogueStatus> {
    return this.catalogueUpdates.applyCatalogueUpdate(input);
  }

  resetCatalogue(): Promise<CatalogueStatus> {
    return this.catalogueUpdates.resetCatalogue();
  }

  previewCatalogueReprice(): Promise<CatalogueRepricePreview> {
    return this.catalogueUpdates.previewCatalogueReprice();
  }

  repriceCatalogue(): Promise<CatalogueRepriceResult> {
    return this.catalogueUpdates.repriceCatalogue();
  }

  getPricing(input: { model: string }): Promise<ModelPricing> {
    return this.pricing.getPricing(input);
  }

  addPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingChange> {
    return this.pricing.addPriceVersion(input);
  }

  previewPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingPreview> {
    return this.pricing.previewPriceVersion(input);
  }

  deletePricing(input: { model: string; effectiveFrom?: number | string }): Promise<PricingChange> {
    return this.pricing.deletePricing(input);
  }

  deleteModel(input: { model: string }): Promise<ModelDeleteResult> {
    return this.maintenance.deleteModel(input);
  }

  deleteChannels(input: { metricsKeys: string[]; apiType: string }): Promise<ChannelsDeleteResult> {
    return this.maintenance.deleteChannels(input);
  }

  cleanup(input: CleanupBody): Promise<CleanupResult> {
    return this.maintenance.cleanup(input);
  }

  previewCleanup(input: CleanupPreviewBody): Promise<CleanupPreview> {
    return this.maintenance.previewCleanup(input);
  }

  /** An export as the file's bytes, page after page, with its progress (UsageService.exportPages). */
  exportPages(filter: ExportFilter): AsyncGenerator<ExportChunk> {
    return this.usage.exportPages(filter);
  }

  getStorageInfo(): Promise<StorageInfo> {
    return this.maintenance.getStorageInfo();
  }

  getSettings(): Promise<Settings> {
    return this.settings.getSettings();
  }

  updateSettings(patch: SettingsPatch): Promise<Settings> {
    return this.settings.updateSettings(patch);
  }

  listSavingsReferences(): Promise<SavingsReference[]> {
    return this.savings.listSavingsReferences();
  }

  setSavingsReference(input: SavingsReferenceInput): Promise<SavingsReference> {
    return this.savings.setSavingsReference(input);
  }

  listRoutes(): Promise<ProxyRoute[]> {
    return this.integrationService.listRoutes();
  }

  saveRoute(input: { name: string; route: ProxyRouteInput }): Promise<ProxyRoute> {
    return this.integrationService.saveRoute(input);
  }

  deleteRoute(input: { name: string }): Promise<{ name: string }> {
    return this.integrationService.deleteRoute(input);
  }

  listWatchers(): Promise<Watcher[]> {
    return this.integrationService.listWatchers();
  }

  saveWatcher(input: { id?: string; watcher: WatcherInput }): Promise<Watcher> {
    return this.integrationService.saveWatcher(input);
  }

  deleteWatcher(input: { id: string }): Promise<{ id: string }> {
    return this.integrationService.deleteWatcher(input);
  }

  /**
   * Imports an LLM-Manager or ccx database from a path on this machine, one at a time; progress goes
   * out as `import` events so every open view can show it.
   */
  importDatabase(input: ImportRequest): Promise<ImportReport> {
    return this.imports.importDatabase(input);
  }

  listAgentSources(): Promise<AgentSource[]> {
    return this.agents.listAgentSources();
  }

  previewAgentSource(input: AgentSourceRef): Promise<AgentPreview> {
    return this.agents.previewAgentSource(input);
  }

  setAgentSource(input: AgentSourceUpdate): Promise<AgentSource> {
    return this.agents.setAgentSource(input);
  }

  listBudgets(): Promise<Budget[]> {
    return this.budgets.listBudgets();
  }

  saveBudget(input: { id: string; budget: BudgetInput }): Promise<Budget> {
    return this.budgets.saveBudget(input);
  }

  deleteBudget(input: { id: string }): Promise<{ id: string }> {
    return this.budgets.deleteBudget(input);
  }

  listBudgetAlerts(input: BudgetAlertsQuery): Promise<BudgetAlert[]> {
    return this.budgets.listBudgetAlerts(input);
  }

  getForecast(): Promise<Forecast> {
    return this.budgets.getForecast();
  }

  ingestForwarded(body: ForwardBatchInput): Promise<ForwardBatchResult> {
    return this.hosts.ingestForwarded(body);
  }

  getForwarding(): Promise<ForwardingStatus> {
    return this.forwarding.getForwarding();
  }

  setForwarding(input: ForwardingUpdate): Promise<ForwardingStatus> {
    return this.forwarding.setForwarding(input);
  }

  listHosts(): Promise<HostInfo[]> {
    return this.hosts.listHosts();
  }

  /** Today's range, for the tray and quick view. */
  todayRange(): { from: number; to: number } {
    return this.usage.todayRange();
  }

  /** Flushes what is queued; the caller then closes the ledger. */
  flush(): void {
    this.ingest.flush();
  }

  /**
   * Persists the proxy's breaker steps in one write transaction: each makes sure its channel exists
   * (base URL, key mask, label) and, when it carries a state, stores it and logs a change of state.
   * A `circuits` event goes out for every change of state. Answers the changes, in order.
   */
  applyBreakerSteps(steps: readonly BreakerStepInput[]): { metricsKey: string; apiType: string; state: Circuit['state'] }[] {
    return this.circuit.applyBreakerSteps(steps);
  }
}
