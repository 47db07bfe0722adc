import { historyQuerySchema, programRunsQuerySchema, projectsQuerySchema, requestsQuerySchema, runsQuerySchema, summaryQuerySchema, type HistoryQuery, type RangePreset, type ProgramRunsQuery, type ProjectsQuery, type RequestsQuery, type RunsQuery, type SummaryQuery } from '../../shared/schemas/queries.js';
import type { CurrencyConversion, History, ProgramRun, ProjectInfo, RequestPage, Run, Savings, Summary } from '../../shared/types.js';
import type { ExportArgs } from '../ledger/export/export-page.js';
import { EXPORT_START, type ExportCursor } from '../ledger/export/export-rows.js';
import type { ExportFormat } from '../ledger/export/export-text.js';
import { parseInput } from '../ledger/input/validation.js';
import { appendFields } from '../ledger/reads/json-answers.js';
import { jsonText, type HistoryArgs, type JsonAnswer, type ReadCall, type RequestsArgs, type SummaryFacts } from '../ledger/reads/protocol.js';
import { readWorkerCount, ReadWorkerPool } from '../ledger/reads/read-pool.js';
import { compiledReadWorker } from '../ledger/reads/read-worker-client.js';
import { hostIdOf } from '../ledger/reads/read-queries.js';
import { InlineReads, type ReadExecutor } from '../ledger/reads/reads.js';
import { workerNice } from '../ledger/threads/background-priority.js';
import { autoInterval } from '../ledger/time/buckets.js';
import { assertOrdered, resolveRange, today } from '../ledger/time/ranges.js';
import type { KeyVault } from '../sources/secrets/key-vault.js';
import { DomainService, type ServiceContext } from './domain-service.js';

/**
 * Requests in a page of an export: a read worker writes one out in ~8 ms, so a dashboard's read queued
 * behind it waits no longer than that. Pages of 2,000 cost ~40 % more a row: what a page holds (its
 * rows three times over, as read, named and put in cells) outlives the young generation's scavenges.
 */
export const EXPORT_PAGE = 1_000;

export interface ExportFilter {
  format: ExportFormat;
  from?: number;
  to?: number;
  /** A preset ending now, as the summary takes it (not with from/to); without any, everything. */
  range?: RangePreset;
  model?: string;
  project?: string;
  /** A machine's name as forwarded, or LOCAL_HOST for this one. */
  host?: string;
}

/** A page of an export as the file holds it, and how far the export has come with it. */
export interface ExportChunk {
  bytes: Uint8Array;
  /** Requests the page holds (none in the runs' page, the last). */
  requests: number;
  /** The first chunk only: the requests the range holds (ExportPage.total). */
  total?: number | null;
}

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
  /** How many read workers at most (see readWorkerCount(): MODELMETER_READ_WORKERS, else from the cores). */
  readWorkers?: number;
  /** The better-sqlite3 addon the worker's connection loads (Electron's build on the desktop). */
  nativeBinding?: string;
  /** Where the read worker reports that it stopped or could not start. */
  log?: (message: string) => void;
}

/** The ranges warmReads reads. */
const WARM_RANGES: readonly RangePreset[] = ['today', '30d'];

/** What was used and what it cost: summary, history, runs, the request log and its export. */
export class UsageService extends DomainService {
  private readonly reads: ReadExecutor;

  constructor(context: ServiceContext, options: LedgerServiceOptions) {
    super(context);
    this.reads = this.readExecutor(options);
  }

  private readExecutor(options: LedgerServiceOptions): ReadExecutor {
    const inline = new InlineReads(this.ledger);
    if (options.reads !== 'worker') return inline;
    const workerUrl = options.readWorker ?? compiledReadWorker();
    if (!workerUrl) throw new Error('reads: "worker" needs the compiled read worker (dist/electron/ledger/reads/read-worker.js)');
    if (this.ledger.db.memory) throw new Error('reads: "worker" needs a database file, not :memory:');
    return new ReadWorkerPool({
      size: options.readWorkers ?? readWorkerCount(),
      nice: workerNice(),
      file: this.ledger.db.name,
      workerUrl,
      fallback: inline,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** Stops the read workers, if there are any; call before closing the ledger. */
  closeReads(): Promise<void> {
    return this.reads.close();
  }

  /**
   * Warms the read workers with what a first look asks: today's summary and history by model (the
   * Overview's first range, the tray's) and the last 30 days' (the longest preset, the most rows to
   * read; every preset made the server's RSS pass 200 MB after the start). Resolves whether it warmed
   * anything: reads on the main thread have nothing to warm.
   */
  warmReads(): Promise<boolean> {
    if (!this.reads.warm) return Promise.resolve(false);
    const calls: ReadCall[] = [];
    for (const range of WARM_RANGES) {
      calls.push(this.summaryCall({ range }).call, this.historyCall({ range, interval: 'auto', groupBy: 'model' }).call);
    }
    return this.reads.warm(calls, this.now);
  }

  async getSummary(query: SummaryQuery): Promise<Summary> {
    const { call, now } = this.summaryCall(query);
    const summary = await this.reads.run(call, now);
    return { ...summary, converted: this.convert(summary.totals.cost) };
  }

  /**
   * The summary as the JSON text getSummary's answer (with `savings` from `savingsOf`) serialises to,
   * byte for byte: the worker serialises the summary, and the conversion and savings are appended to
   * that text here, never parsed again.
   */
  async getSummaryJson(query: SummaryQuery, savingsOf: (facts: SummaryFacts) => Promise<Savings | undefined>): Promise<JsonAnswer> {
    const { call, now } = this.summaryCall(query);
    const answer = await this.reads.runJson(call, now);
    if (!answer.facts) throw new Error('a summary answer carries its facts');
    const { facts } = answer;
    return { json: appendFields(jsonText(answer), { converted: this.convert(facts.cost), savings: await savingsOf(facts) }) };
  }

  private summaryCall(query: SummaryQuery): { call: ReadCall & { op: 'summary' }; now: number } {
    const parsed = parseInput(summaryQuerySchema, query, 'summary query');
    const now = this.now;
    const range = resolveRange(parsed, now);
    const call: ReadCall & { op: 'summary' } = { op: 'summary', range };
    if (parsed.project !== undefined) call.project = parsed.project;
    if (parsed.host !== undefined) call.host = parsed.host;
    return { call, now };
  }

  async getHistory(query: HistoryQuery): Promise<History> {
    const { call, now } = this.historyCall(query);
    return this.reads.run(call, now);
  }

  /** getHistory's answer as JSON text, serialised by the read worker. */
  async getHistoryJson(query: HistoryQuery): Promise<JsonAnswer> {
    const { call, now } = this.historyCall(query);
    return this.reads.runJson(call, now);
  }

  private historyCall(query: HistoryQuery): { call: ReadCall & { op: 'history' }; now: number } {
    const parsed = parseInput(historyQuerySchema, query, 'history query');
    const now = this.now;
    const range = resolveRange(parsed, now);
    const interval = parsed.interval === 'auto' ? autoInterval(range) : parsed.interval;
    const args: HistoryArgs = { range, interval };
    if (parsed.groupBy !== undefined) args.groupBy = parsed.groupBy;
    if (parsed.project !== undefined) args.project = parsed.project;
    if (parsed.model !== undefined) args.model = parsed.model;
    if (parsed.apiType !== undefined) args.apiType = parsed.apiType;
    if (parsed.metricsKey !== undefined) args.metricsKey = parsed.metricsKey;
    if (parsed.baseUrl !== undefined) args.baseUrl = parsed.baseUrl;
    if (parsed.host !== undefined) args.host = parsed.host;
    return { call: { op: 'history', args }, now };
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
    const { call, now } = this.requestsCall(query);
    return this.reads.run(call, now);
  }

  /** listRequests' answer as JSON text, serialised by the read worker. */
  async listRequestsJson(query: RequestsQuery): Promise<JsonAnswer> {
    const { call, now } = this.requestsCall(query);
    return this.reads.runJson(call, now);
  }

  private requestsCall(query: RequestsQuery): { call: ReadCall & { op: 'requests' }; now: number } {
    const parsed = parseInput(requestsQuerySchema, query, 'requests query');
    assertOrdered(parsed.from, parsed.to);
    const now = this.now;
    const args: RequestsArgs = { from: parsed.from ?? 0, to: parsed.to ?? now + 1, limit: parsed.limit };
    if (parsed.model !== undefined) args.model = parsed.model;
    if (parsed.apiType !== undefined) args.apiType = parsed.apiType;
    if (parsed.metricsKey !== undefined) args.metricsKey = parsed.metricsKey;
    if (parsed.before !== undefined) args.before = parsed.before;
    if (parsed.project !== undefined) args.project = parsed.project;
    if (parsed.host !== undefined) args.host = parsed.host;
    return { call: { op: 'requests', args }, now };
  }

  /**
   * An export as the file's bytes, page after page: the request log oldest first, then the runs in the
   * range with their hourly cost (electron/ledger/export/). What the HTTP export streams and the desktop
   * writes to a file, the first page with the requests to expect (for progress). Each page is read and
   * written out by a read worker while the one before is being sent, so the event loop only passes
   * bytes on; pulled, so a slow reader holds two pages in memory, not the export. An unknown model,
   * project or machine matches no rows.
   */
  async *exportPages(filter: ExportFilter): AsyncGenerator<ExportChunk> {
    const ctx = this.ledger.ctx;
    const now = this.now;
    const bounds = filter.range === undefined ? { from: filter.from ?? 0, to: filter.to ?? now + 1 } : resolveRange(filter, now);
    const range = {
      ...bounds,
      ...(filter.model === undefined ? {} : { modelId: ctx.models.find(filter.model) ?? -1 }),
      ...(filter.project === undefined ? {} : { projectId: ctx.projects.find(filter.project) ?? -1 }),
      ...(filter.host === undefined ? {} : { hostId: hostIdOf(ctx, filter.host) }),
    };
    const page = (args: Pick<ExportArgs, 'cursor' | 'written'>) => this.reads.run({ op: 'export', args: { ...range, ...args, format: filter.format, limit: EXPORT_PAGE } }, now);
    let cursor: ExportCursor = EXPORT_START;
    let next = page({ cursor, written: 0 });
    try {
      for (let written = 0; ; ) {
        const current = await next;
        const requests = cursor.phase === 'requests' ? current.rows : 0;
        written += current.rows;
        if (current.next !== null) next = page({ cursor: (cursor = current.next), written });
        yield { bytes: current.bytes, requests, ...(current.total === undefined ? {} : { total: current.total }) };
        if (current.next === null) return;
        // Read on this thread (no worker), a page would follow the last without a turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      // Stopped early (the reader went away): the page read ahead is dropped, its failure too.
      next.catch(() => {});
    }
  }

  /** The projects with requests, most recently seen first (for filters); read from the day rollups. */
  async listProjects(query: ProjectsQuery): Promise<ProjectInfo[]> {
    const parsed = parseInput(projectsQuerySchema, query, 'projects query');
    return this.reads.run({ op: 'projects', limit: parsed.limit }, this.now);
  }

  /** listProjects' answer as JSON text, serialised by the read worker. */
  async listProjectsJson(query: ProjectsQuery): Promise<JsonAnswer> {
    const parsed = parseInput(projectsQuerySchema, query, 'projects query');
    return this.reads.runJson({ op: 'projects', limit: parsed.limit }, this.now);
  }

  /** Today's range, for the tray and quick view. */
  todayRange(): { from: number; to: number } {
    return today(this.now);
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
}
