import fs from 'node:fs';
import type { CircuitsBody, IngestBody, LedgerApi } from '../../shared/api.js';
import { ApiError } from '../../shared/errors.js';
import { channelsDeleteSchema, circuitUpdateSchema, MAX_CIRCUIT_UPDATES, type CircuitsResult } from '../../shared/schemas/circuit.js';
import { priceVersionInputSchema, pricingDeleteQuerySchema, type PriceVersionInput } from '../../shared/schemas/pricing.js';
import {
  circuitEventsQuerySchema,
  circuitResetQuerySchema,
  circuitsQuerySchema,
  cleanupBodySchema,
  cleanupPreviewBodySchema,
  historyQuerySchema,
  programRunsQuerySchema,
  requestsQuerySchema,
  runsQuerySchema,
  summaryQuerySchema,
  type CircuitEventsQuery,
  type CircuitsQuery,
  type CleanupBody,
  type CleanupPreviewBody,
  type HistoryQuery,
  type ProgramRunsQuery,
  type RequestsQuery,
  type RunsQuery,
  type SummaryQuery,
} from '../../shared/schemas/queries.js';
import { importRequestSchema, type ImportRequest, type ProxyRouteInput, type WatcherInput } from '../../shared/schemas/integrations.js';
import { metricsKeySchema, modelNameSchema, type RequestRecord } from '../../shared/schemas/request-record.js';
import { runEventSchema, type RunEventInput } from '../../shared/schemas/run-event.js';
import { breakerContradictions, settingsPatchSchema, type SettingsPatch } from '../../shared/schemas/settings.js';
import type {
  ChannelsDeleteResult,
  Circuit,
  CircuitEvent,
  CleanupPreview,
  CleanupResult,
  CurrencyConversion,
  ExportRow,
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
  Summary,
  Watcher,
} from '../../shared/types.js';
import { maskKey, metricsKey as computeMetricsKey, normalizeBaseUrl } from '../ledger/channels/metrics-key.js';
import { LedgerEvents } from '../ledger/events/bus.js';
import { readLastCleanup, recordCleanup } from './last-cleanup.js';
import { retentionCutoff } from './retention.js';
import { importDatabase } from '../sources/importers/index.js';
import { IntegrationConfig } from '../sources/integrations/integration-config.js';
import { MemoryKeyVault, type KeyVault } from '../sources/secrets/key-vault.js';
import { BufferedWriter, type BufferedWriterOptions } from '../ledger/ingest/buffered-writer.js';
import { GroupCommitWriter } from '../ledger/ingest/group-commit.js';
import { hourlyCostNanos, type CompiledVersion } from '../ledger/pricing/rules.js';
import type { CircuitStateInput } from '../ledger/store/circuits.js';
import type { Ledger } from '../ledger/store/ledger.js';
import { tsOfId } from '../ledger/store/request-ids.js';
import type { VersionChange } from '../ledger/store/pricing-store.js';
import type { WriteResult } from '../ledger/store/request-writer.js';
import { autoInterval } from '../ledger/time/buckets.js';
import { assertOrdered, resolveRange, today } from '../ledger/time/ranges.js';
import { compiledReadWorker, ReadWorkerClient } from '../ledger/reads/read-worker-client.js';
import { channelIdsOf, type HistoryArgs, type RequestsArgs } from '../ledger/reads/read-queries.js';
import { InlineReads, type ReadExecutor } from '../ledger/reads/reads.js';
import { exportRowChunks } from './export-rows.js';
import { parseIngestBodyInChunks } from '../ledger/input/ingest-body.js';
import { parseInput } from '../ledger/input/validation.js';

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export interface ExportFilter {
  from?: number;
  to?: number;
  model?: string;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The data API of ModelMeter (shared/api.ts) over the store. Every input is validated here with the
 * shared schemas, so the HTTP routes and the IPC handlers are thin transports.
 */
export interface LedgerServiceOptions {
  /** Where proxy channels' API keys are held (the data folder's key file; memory in tests). */
  keyVault?: KeyVault;
  /**
   * Where summary, history and the request log are read: 'inline' on the main thread (the default;
   * TypeScript sources cannot start the worker), or 'worker' on a read-only connection in a worker
   * thread (electron/ledger/reads/) so a big history never stalls the event loop. 'worker' needs the compiled
   * worker entry (compiledReadWorker(), or readWorker) and a database file.
   */
  reads?: 'inline' | 'worker';
  /** The worker entry to start, when not the compiled one next to the code (tests). */
  readWorker?: URL;
  /** The better-sqlite3 addon the worker's connection loads (Electron's build on the desktop). */
  nativeBinding?: string;
  /** Where the read worker reports that it stopped or could not start. */
  log?: (message: string) => void;
}

export class LedgerService implements LedgerApi {
  readonly events = new LedgerEvents();
  readonly integrations: IntegrationConfig;
  private readonly committed: GroupCommitWriter;
  private importing: string | null = null;
  private readonly reads: ReadExecutor;
  /** The better-sqlite3 addon for other connections this process opens (import sources too). */
  private readonly nativeBinding: string | undefined;

  constructor(
    readonly ledger: Ledger,
    options: LedgerServiceOptions = {},
  ) {
    this.nativeBinding = options.nativeBinding;
    this.committed = new GroupCommitWriter(ledger, (results) => this.announceRequests(results));
    this.integrations = new IntegrationConfig(ledger, options.keyVault ?? new MemoryKeyVault());
    this.reads = this.readExecutor(options);
  }

  private readExecutor(options: LedgerServiceOptions): ReadExecutor {
    const inline = new InlineReads(this.ledger);
    if (options.reads !== 'worker') return inline;
    const workerUrl = options.readWorker ?? compiledReadWorker();
    if (!workerUrl) throw new Error('reads: "worker" needs the compiled read worker (dist/electron/ledger/reads/read-worker.js)');
    if (this.ledger.db.memory) throw new Error('reads: "worker" needs a database file, not :memory:');
    return new ReadWorkerClient({
      file: this.ledger.db.name,
      workerUrl,
      fallback: inline,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** Stops the read worker, if there is one; call before closing the ledger. */
  closeReads(): Promise<void> {
    return this.reads.close();
  }

  private get now(): number {
    return this.ledger.ctx.now();
  }

  /** The non-blocking path for producers inside the process; see BufferedWriter. */
  createBufferedWriter(options?: BufferedWriterOptions): BufferedWriter {
    return new BufferedWriter((records) => {
      const result = this.ledger.write(() => this.ledger.requests.write(records));
      this.announceRequests([result]);
    }, options);
  }

  /** Writes already-normalised records at once, in one transaction (benchmarks, importers). */
  writeRecords(records: RequestRecord[]): WriteResult {
    const result = this.ledger.write(() => this.ledger.requests.write(records));
    this.announceRequests([result]);
    return result;
  }

  async ingestRequests(body: IngestBody | unknown): Promise<IngestResult> {
    const records = await parseIngestBodyInChunks(body, this.now);
    if (records.length === 0) return { accepted: 0, duplicates: 0 };
    const result = await this.committed.submit(records);
    return { accepted: result.accepted, duplicates: result.duplicates };
  }

  async reportRun(input: RunEventInput): Promise<Run> {
    const event = parseInput(runEventSchema, input, 'run event');
    const run = this.ledger.write(() => this.ledger.runs.report(event));
    this.events.emit({ type: 'runs', model: run.model, run });
    return run;
  }

  async putCircuits(body: CircuitsBody | unknown): Promise<CircuitsResult> {
    const items = Array.isArray(body)
      ? body
      : body !== null && typeof body === 'object' && 'circuits' in body && Object.keys(body).length === 1
        ? (body as { circuits: unknown }).circuits
        : [body];
    if (!Array.isArray(items)) throw new ApiError('validation_failed', 'circuits must be an array', [{ field: 'circuits', reason: 'expected an array' }]);
    if (items.length > MAX_CIRCUIT_UPDATES) {
      throw new ApiError('payload_too_large', `one PUT holds at most ${MAX_CIRCUIT_UPDATES} circuit states; this one has ${items.length}`);
    }
    const updates = items.map((item, index) => {
      try {
        return parseInput(circuitUpdateSchema, item, 'circuit state');
      } catch (error) {
        if (error instanceof ApiError && items.length > 1) {
          throw new ApiError(error.code, `circuit ${index}: ${error.message}`, error.details?.map((d) => ({ ...d, index })));
        }
        throw error;
      }
    });
    const ledger = this.ledger;
    const now = this.now;
    const changed: { metricsKey: string; apiType: string; state: Circuit['state'] }[] = [];
    ledger.write(() =>
      updates.forEach((update, index) => {
        const apiTypeId = ledger.ctx.apiTypes.ensure(update.apiType);
        let key = update.metricsKey;
        let meta: { baseUrl?: string; keyMask?: string; label?: string } = {};
        if (update.channel) {
          const baseUrl = normalizeBaseUrl(update.channel.baseUrl);
          if (update.channel.apiKey !== undefined) {
            key = computeMetricsKey(baseUrl, update.channel.apiKey);
            meta = { baseUrl, keyMask: maskKey(update.channel.apiKey) };
          } else {
            const found = ledger.ctx.channels.keyByMask(baseUrl, update.channel.keyMask!, apiTypeId);
            if (found === undefined) {
              throw new ApiError('not_found', `no known ${update.apiType} channel at ${baseUrl} with key ${update.channel.keyMask}; give the apiKey or the metricsKey`, [
                { index, field: 'channel', reason: 'unknown channel' },
              ]);
            }
            key = found;
          }
        }
        if (update.label !== undefined) meta.label = update.label;
        const channelId = ledger.ctx.channels.ensure(key!, apiTypeId, meta);
        const transition = ledger.circuits.set(channelId, update, update.ts ?? now, update.reason ?? null);
        if (transition) changed.push({ metricsKey: key!, apiType: update.apiType, state: transition.to });
      }),
    );
    for (const change of changed) this.events.emit({ type: 'circuits', ...change });
    return { updated: updates.length, changed: changed.length };
  }

  async getSummary(query: SummaryQuery): Promise<Summary> {
    const parsed = parseInput(summaryQuerySchema, query, 'summary query');
    const now = this.now;
    const range = resolveRange(parsed, now);
    const summary = await this.reads.run({ op: 'summary', range }, now);
    return { ...summary, converted: this.convert(summary.totals.cost) };
  }

  async getHistory(query: HistoryQuery): Promise<History> {
    const parsed = parseInput(historyQuerySchema, query, 'history query');
    const now = this.now;
    const range = resolveRange(parsed, now);
    const interval = parsed.interval === 'auto' ? autoInterval(range) : parsed.interval;
    const args: HistoryArgs = { range, interval, groupByModel: parsed.groupBy === 'model' };
    if (parsed.model !== undefined) args.model = parsed.model;
    if (parsed.apiType !== undefined) args.apiType = parsed.apiType;
    if (parsed.metricsKey !== undefined) args.metricsKey = parsed.metricsKey;
    if (parsed.baseUrl !== undefined) args.baseUrl = parsed.baseUrl;
    const buckets = await this.reads.run({ op: 'history', args }, now);
    return { from: range.from, to: range.to, interval, buckets };
  }

  async listRuns(query: RunsQuery): Promise<Run[]> {
    const parsed = parseInput(runsQuerySchema, query, 'runs query');
    assertOrdered(parsed.from, parsed.to);
    let modelId: number | undefined;
    if (parsed.model !== undefined) {
      modelId = this.ledger.ctx.models.find(parsed.model);
      if (modelId === undefined) return [];
    }
    return this.ledger.runs.list({ ...parsed, modelId });
  }

  async listProgramRuns(query: ProgramRunsQuery): Promise<ProgramRun[]> {
    const parsed = parseInput(programRunsQuerySchema, query, 'program runs query');
    return this.ledger.programRuns.list(parsed.limit);
  }

  async listRequests(query: RequestsQuery): Promise<RequestPage> {
    const parsed = parseInput(requestsQuerySchema, query, 'requests query');
    assertOrdered(parsed.from, parsed.to);
    const now = this.now;
    const args: RequestsArgs = { from: parsed.from ?? 0, to: parsed.to ?? now + 1, limit: parsed.limit };
    if (parsed.model !== undefined) args.model = parsed.model;
    if (parsed.apiType !== undefined) args.apiType = parsed.apiType;
    if (parsed.metricsKey !== undefined) args.metricsKey = parsed.metricsKey;
    if (parsed.before !== undefined) args.before = parsed.before;
    return this.reads.run({ op: 'requests', args }, now);
  }

  async listCircuits(query: CircuitsQuery): Promise<Circuit[]> {
    const parsed = parseInput(circuitsQuerySchema, query, 'circuits query');
    if (parsed.apiType === undefined) return this.ledger.circuits.list();
    const apiTypeId = this.ledger.ctx.apiTypes.find(parsed.apiType);
    return apiTypeId === undefined ? [] : this.ledger.circuits.list(apiTypeId);
  }

  async listCircuitEvents(query: CircuitEventsQuery): Promise<CircuitEvent[]> {
    const parsed = parseInput(circuitEventsQuerySchema, query, 'circuit events query');
    assertOrdered(parsed.from, parsed.to);
    const filter: { channelIds?: number[]; from?: number; to?: number; limit: number } = { limit: parsed.limit };
    if (parsed.from !== undefined) filter.from = parsed.from;
    if (parsed.to !== undefined) filter.to = parsed.to;
    if (parsed.metricsKey !== undefined) filter.channelIds = this.channelIds(parsed.metricsKey, parsed.apiType);
    else if (parsed.apiType !== undefined) {
      const apiTypeId = this.ledger.ctx.apiTypes.find(parsed.apiType);
      filter.channelIds = apiTypeId === undefined ? [] : this.ledger.ctx.channels.idsOfApiType(apiTypeId);
    }
    return this.ledger.circuits.events(filter);
  }

  async resetCircuit(input: { metricsKey: string; apiType: string }): Promise<Circuit> {
    const { apiType } = parseInput(circuitResetQuerySchema, { apiType: input.apiType }, 'circuit reset');
    parseInput(metricsKeySchema, input.metricsKey, 'metricsKey');
    const [channelId] = this.channelIds(input.metricsKey, apiType);
    const circuit = channelId === undefined ? undefined : this.ledger.circuits.get(channelId);
    if (channelId === undefined || !circuit) {
      throw new ApiError('not_found', `no circuit for metricsKey ${input.metricsKey} and apiType ${apiType}`);
    }
    const transition = this.ledger.write(() => this.ledger.circuits.reset(channelId, this.now));
    if (transition) this.events.emit({ type: 'circuits', metricsKey: input.metricsKey, apiType, state: 'closed' });
    return this.ledger.circuits.get(channelId)!;
  }

  async listPricing(): Promise<ModelPricing[]> {
    return this.ledger.pricing.list();
  }

  async getPricing(input: { model: string }): Promise<ModelPricing> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const modelId = this.ledger.ctx.models.find(model);
    if (modelId === undefined) return { model, versions: [] };
    return this.ledger.pricing.describe(modelId);
  }

  async addPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingChange> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const body = parseInput(priceVersionInputSchema, input.version, 'price version');
    const ledger = this.ledger;
    const outcome = ledger.write(() => {
      const modelId = ledger.ctx.models.ensure(model);
      const change = ledger.pricing.planAdd(modelId, body, ledger.ctx.currencies.ensure(body.currency));
      return { modelId, result: ledger.pricing.apply(change, body) };
    });
    this.events.emit({ type: 'pricing', model });
    return { pricing: ledger.pricing.describe(outcome.modelId), repricedRequests: outcome.result.affected, notRepriced: outcome.result.notRepriced };
  }

  async previewPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingPreview> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const body = parseInput(priceVersionInputSchema, input.version, 'price version');
    const ctx = this.ledger.ctx;
    // A model never seen has no versions and no requests: the same plan answers "nothing changes".
    const modelId = ctx.models.find(model) ?? -1;
    // Nothing may be written by a preview, not even a new currency code: it gets a placeholder id.
    const currencyId = ctx.currencies.find(body.currency) ?? -1;
    const change = this.ledger.pricing.planAdd(modelId, body, currencyId);
    const outcome = this.ledger.pricing.preview(change);
    const runtime = this.hourlyDelta(change);
    const money = (map: Map<number, number>, extra: Map<number, number>) => {
      const merged = new Map(map);
      for (const [id, nanos] of extra) merged.set(id, (merged.get(id) ?? 0) + nanos);
      const out: Record<string, number> = {};
      for (const [id, nanos] of merged) out[id === -1 ? body.currency : ctx.currencies.nameOf(id)] = nanos / 1e9;
      return out;
    };
    return {
      model,
      version: {
        model,
        effectiveFrom: change.window.from,
        effectiveTo: Number.isFinite(change.window.to) ? change.window.to : null,
        currency: body.currency,
        method: body.method,
        tiers: body.tiers ?? null,
        hourly: body.hourly ?? null,
      },
      affectedRequests: outcome.affected,
      before: { cost: money(outcome.before, runtime.before), unpricedRequests: outcome.unpricedBefore },
      after: { cost: money(outcome.after, runtime.after), unpricedRequests: outcome.unpricedAfter },
      notRepriced: outcome.notRepriced,
    };
  }

  async deletePricing(input: { model: string; effectiveFrom?: number | string }): Promise<PricingChange> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const query = parseInput(pricingDeleteQuerySchema, input.effectiveFrom === undefined ? {} : { effectiveFrom: input.effectiveFrom }, 'pricing delete');
    const ledger = this.ledger;
    const modelId = ledger.ctx.models.find(model);
    const change = modelId === undefined ? null : ledger.pricing.planDelete(modelId, query.effectiveFrom);
    if (modelId === undefined || change === null) {
      throw new ApiError(
        'not_found',
        query.effectiveFrom === undefined ? `model "${model}" has no price` : `model "${model}" has no price version from ${new Date(query.effectiveFrom).toISOString()}`,
      );
    }
    const result = ledger.write(() => ledger.pricing.apply(change, null));
    this.events.emit({ type: 'pricing', model });
    return { pricing: ledger.pricing.describe(modelId), repricedRequests: result.affected, notRepriced: result.notRepriced };
  }

  async deleteModel(input: { model: string }): Promise<ModelDeleteResult> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const modelId = this.ledger.ctx.models.find(model);
    if (modelId === undefined) throw new ApiError('not_found', `no data for model "${model}"`);
    const ledger = this.ledger;
    const removed = ledger.write(() => ledger.maintenance.deleteModel(modelId));
    // The name's cached id is gone with the row.
    ledger.ctx.models.forget();
    ledger.ctx.prices.reload();
    this.events.emit({ type: 'data', reason: 'model-deleted' });
    return { model, ...removed };
  }

  async deleteChannels(input: { metricsKeys: string[]; apiType: string }): Promise<ChannelsDeleteResult> {
    const parsed = parseInput(channelsDeleteSchema, input, 'channel delete');
    const ids = parsed.metricsKeys.flatMap((key) => this.channelIds(key, parsed.apiType));
    if (ids.length === 0) return { requests: 0, circuits: 0, circuitEvents: 0 };
    const ledger = this.ledger;
    const removed = ledger.write(() => ledger.maintenance.deleteChannels(ids));
    ledger.ctx.channels.forget();
    this.events.emit({ type: 'data', reason: 'channels-deleted' });
    return removed;
  }

  async cleanup(input: CleanupBody): Promise<CleanupResult> {
    const { before } = parseInput(cleanupBodySchema, input, 'cleanup');
    if (before > this.now) throw new ApiError('bad_request', 'before is in the future: that would delete records that are still arriving', [{ field: 'before', reason: 'must not be in the future' }]);
    const requests = await this.ledger.maintenance.deleteRawBefore(before, yieldTurn);
    recordCleanup(this.ledger, { at: this.now, trigger: 'manual', before, requests });
    this.events.emit({ type: 'data', reason: 'cleanup' });
    return { before, requests };
  }

  async previewCleanup(input: CleanupPreviewBody): Promise<CleanupPreview> {
    const parsed = parseInput(cleanupPreviewBodySchema, input, 'cleanup preview');
    const before = parsed.before ?? retentionCutoff(this.now, parsed.retentionDays!);
    return { before, requests: this.ledger.maintenance.countRawBefore(before) };
  }

  /**
   * An export, in chunks: the request log oldest first, then the runs in the range with their hourly
   * cost (see export-rows.ts); what the HTTP export streams and the desktop writes to a file. An
   * unknown model matches no rows.
   */
  exportRows(filter: ExportFilter): Iterator<ExportRow[]> {
    const ctx = this.ledger.ctx;
    const modelId = filter.model === undefined ? undefined : (ctx.models.find(filter.model) ?? -1);
    return exportRowChunks(this.ledger, {
      from: filter.from ?? 0,
      to: filter.to ?? this.now + 1,
      ...(modelId === undefined ? {} : { modelId }),
    });
  }

  async getStorageInfo(): Promise<StorageInfo> {
    const facts = this.ledger.maintenance.storageFacts();
    const file = this.ledger.db.name;
    const walBytes = fileSize(`${file}-wal`);
    return {
      databaseBytes: facts.pageBytes + walBytes,
      walBytes,
      totalRequests: facts.totalRequests,
      oldestRawRequestAt: facts.oldestId === null ? null : tsOfId(facts.oldestId),
      newestRawRequestAt: facts.newestId === null ? null : tsOfId(facts.newestId),
      models: facts.models,
      channels: facts.channels,
      retentionDays: this.ledger.settings.get().retentionDays,
      lastCleanup: readLastCleanup(this.ledger),
    };
  }

  async getSettings(): Promise<Settings> {
    return this.ledger.settings.get();
  }

  async updateSettings(patch: SettingsPatch): Promise<Settings> {
    const parsed = parseInput(settingsPatchSchema, patch, 'settings');
    const problems = breakerContradictions({ ...this.ledger.settings.get().breaker, ...stripUndefined(parsed.breaker ?? {}) });
    if (problems.length > 0) {
      throw new ApiError('validation_failed', `invalid settings: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`, problems);
    }
    const settings = this.ledger.write(() => this.ledger.settings.update(parsed));
    this.events.emit({ type: 'data', reason: 'settings' });
    return settings;
  }

  async listRoutes(): Promise<ProxyRoute[]> {
    return this.integrations.listRoutes();
  }

  async saveRoute(input: { name: string; route: ProxyRouteInput }): Promise<ProxyRoute> {
    const route = this.integrations.saveRoute(input.name, input.route);
    this.events.emit({ type: 'routes' });
    return route;
  }

  async deleteRoute(input: { name: string }): Promise<{ name: string }> {
    this.integrations.deleteRoute(input.name);
    this.events.emit({ type: 'routes' });
    return { name: input.name };
  }

  async listWatchers(): Promise<Watcher[]> {
    return this.integrations.listWatchers();
  }

  async saveWatcher(input: { id?: string; watcher: WatcherInput }): Promise<Watcher> {
    const watcher = this.integrations.saveWatcher(input.id, input.watcher);
    this.events.emit({ type: 'watchers' });
    return watcher;
  }

  async deleteWatcher(input: { id: string }): Promise<{ id: string }> {
    this.integrations.deleteWatcher(input.id);
    this.events.emit({ type: 'watchers' });
    return { id: input.id };
  }

  /**
   * Imports an LLM-Manager or ccx database from a path on this machine, one at a time; progress goes
   * out as `import` events so every open view can show it.
   */
  async importDatabase(input: ImportRequest): Promise<ImportReport> {
    const request = parseInput(importRequestSchema, input, 'import request');
    if (this.importing !== null) throw new ApiError('conflict', `an import of ${this.importing} is running; wait for it to finish`);
    this.importing = request.path;
    let last = 0;
    try {
      const report = await importDatabase(this, request.path, {
        ...(this.nativeBinding ? { nativeBinding: this.nativeBinding } : {}),
        ...(request.currency ? { currency: request.currency } : {}),
        ...(request.programRuntime ? { programRuntime: request.programRuntime } : {}),
        onProgress: (progress) => {
          // At most a few progress events a second: a big file reports per batch.
          const now = Date.now();
          if (progress.phase !== 'done' && progress.done !== progress.total && now - last < 200) return;
          last = now;
          this.events.emit({ type: 'import', file: request.path, progress });
        },
      });
      this.events.emit({ type: 'data', reason: 'import' });
      return report;
    } finally {
      this.importing = null;
    }
  }

  /** Today's range, for the tray and quick view. */
  todayRange(): { from: number; to: number } {
    return today(this.now);
  }

  /** Flushes what is queued; the caller then closes the ledger. */
  flush(): void {
    this.committed.flush();
  }

  /** Channel ids of a metricsKey, in one api type or all of them. */
  private channelIds(metricsKey: string, apiType: string | undefined): number[] {
    return channelIdsOf(this.ledger.ctx, metricsKey, apiType);
  }

  private announceRequests(results: WriteResult[]): void {
    let count = 0;
    const models = new Set<string>();
    for (const result of results) {
      count += result.accepted;
      for (const model of result.models) models.add(model);
    }
    if (count > 0) this.events.emit({ type: 'requests', count, models: [...models] });
  }

  private convert(cost: Record<string, number>): CurrencyConversion | null {
    const settings = this.ledger.settings.get();
    if (!settings.displayCurrency) return null;
    const target = settings.displayCurrency;
    let amount = 0;
    const used: Record<string, number> = {};
    const missing: string[] = [];
    for (const [currency, value] of Object.entries(cost)) {
      if (currency === target) {
        amount += value;
        continue;
      }
      const rate = settings.currencyRates[currency];
      if (rate === undefined) missing.push(currency);
      else {
        used[currency] = rate;
        amount += value * rate;
      }
    }
    return { currency: target, amount, rates: used, missingRates: missing };
  }

  /** Hourly runtime cost in a change's window, under the old and the new versions. */
  private hourlyDelta(change: VersionChange): { before: Map<number, number>; after: Map<number, number> } {
    const now = this.now;
    const to = Math.min(change.window.to, now);
    const before = new Map<number, number>();
    const after = new Map<number, number>();
    if (to <= change.window.from) return { before, after };
    const current = this.ledger.ctx.prices.versions(change.modelId);
    for (const span of this.ledger.runs.spans(change.window.from, to, change.modelId)) {
      const start = Math.max(span.start, change.window.from);
      const end = Math.min(span.end ?? now, to);
      addHourly(before, current, start, end);
      addHourly(after, change.versions, start, end);
    }
    return { before, after };
  }

  // --- Metering proxy: breaker steps (written by the proxy helper; see electron/sources/proxy/breakers.ts) ---

  /**
   * Persists the proxy's breaker steps in one write transaction: each makes sure its channel exists
   * (base URL, key mask, label) and, when it carries a state, stores it and logs a change of state.
   * A `circuits` event goes out for every change of state. Answers the changes, in order.
   */
  applyBreakerSteps(steps: readonly BreakerStepInput[]): { metricsKey: string; apiType: string; state: Circuit['state'] }[] {
    const ledger = this.ledger;
    const changed = ledger.write(() => {
      const out: { metricsKey: string; apiType: string; state: Circuit['state'] }[] = [];
      for (const step of steps) {
        const apiTypeId = ledger.ctx.apiTypes.ensure(step.apiType);
        const channelId = ledger.ctx.channels.ensure(step.metricsKey, apiTypeId, step.channel);
        if (!step.circuit) continue;
        const transition = ledger.circuits.set(channelId, step.circuit, step.ts, step.reason);
        if (transition) out.push({ metricsKey: step.metricsKey, apiType: step.apiType, state: transition.to });
      }
      return out;
    });
    for (const change of changed) this.events.emit({ type: 'circuits', ...change });
    return changed;
  }
}

/** One breaker step of the metering proxy, for LedgerService.applyBreakerSteps. */
export interface BreakerStepInput {
  metricsKey: string;
  apiType: string;
  channel: { baseUrl: string; keyMask: string | null; label: string | null };
  /** The state to store; absent only registers the channel. */
  circuit?: CircuitStateInput;
  ts: number;
  reason: string | null;
}

function addHourly(into: Map<number, number>, versions: readonly CompiledVersion[], start: number, end: number): void {
  for (let i = 0; i < versions.length; i++) {
    const version = versions[i]!;
    if (version.method !== 'hourly') continue;
    const from = Math.max(start, version.effectiveFrom);
    const to = Math.min(end, versions[i + 1]?.effectiveFrom ?? Number.POSITIVE_INFINITY);
    if (to > from) into.set(version.currencyId, (into.get(version.currencyId) ?? 0) + hourlyCostNanos(version.hourlyNanos, to - from));
  }
}

/** A patch's fields that are set: `{ a: undefined }` must not overwrite a stored value. */
function stripUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
