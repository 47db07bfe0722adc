import { performance } from 'node:perf_hooks';
import { circuitUpdateSchema, type CircuitUpdateInput } from '../../../shared/schemas/circuit.js';
import { priceVersionInputSchema, type PriceTier, type PriceVersionInput } from '../../../shared/schemas/pricing.js';
import { MAX_TOKENS, type RequestRecordInput } from '../../../shared/schemas/request-record.js';
import { runEventSchema } from '../../../shared/schemas/run-event.js';
import { MAX_TIME_MS } from '../../../shared/schemas/time.js';
import { parseIngestBody } from '../../ledger/input/ingest-body.js';
import type { ImportPorts } from '../ports.js';
import { parseInput } from '../../ledger/input/validation.js';
import { HOUR_MS } from '../../ledger/time/ranges.js';
import { ImportError, type ImportOptions, type ImportPhase, type ImportReport } from './types.js';

export const DEFAULT_BATCH = 5_000;
/** Runs are written one event at a time; hand the event loop back this often. */
const RUNS_PER_TURN = 200;
const RUNS_PAGE = 10_000;
const HISTORY_CHUNK_HOURS = 4_000;
/** Longest stretch of reading before the event loop gets a turn (a row can be slow: big cells are cut in SQL, after SQLite loaded them). */
const TURN_MS = 20;
/** Records validated between looks at the clock in the check pass. */
const CHECK_SLICE = 250;

/**
 * 'check' reads the whole file and validates everything it would write, writing nothing; 'write'
 * writes. An import checks first, so nothing a file holds (a malformed page, a value the ledger
 * refuses) can stop it halfway.
 */
export type WriterMode = 'check' | 'write';

export interface Segment {
  start: number;
  end: number;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Epoch seconds (both tools store seconds, LLM-Manager as REAL) to milliseconds. A value already past
 * 1e11 cannot be seconds (that is year 5138), so it is taken as milliseconds.
 */
export function toMs(value: unknown): number | null {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return null;
  const ms = Math.round(n > 1e11 ? n : n * 1000);
  return ms > MAX_TIME_MS ? null : ms;
}

/** A token count from a source column: whole, not negative, within what the ledger accepts. */
export function tokens(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number(value ?? 0);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(Math.round(n), MAX_TOKENS);
}

/** What the ledger stores of a model name; readers cut longer ones in SQL (see cell()). */
export const MAX_MODEL_CHARS = 256;

/** A model name as the ledger takes it, or null for a blank one. */
export function modelName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const name = value.trim() === '' ? '' : value;
  if (name === '') return null;
  // Longer names cannot be stored; cutting keeps the rows (and the cut name is still recognisable).
  return [...name.slice(0, MAX_MODEL_CHARS * 2)].slice(0, MAX_MODEL_CHARS).join('');
}

/**
 * Writes what a reader found through the LedgerService API, in batches, reporting progress and
 * giving the event loop a turn between batches so a running server keeps answering.
 */
export class ImportWriter {
  private pending: RequestRecordInput[] = [];
  private readonly batchSize: number;
  private readonly rawFrom: number;
  private readonly occupied = new Map<string, { from: number; hours: Set<number> }>();
  private expiredSkipped = 0;
  private readonly models = new Set<string>();
  private requestTotal = 0;
  private lastTurn = performance.now();

  constructor(
    private readonly service: ImportPorts,
    readonly report: ImportReport,
    private readonly options: ImportOptions,
    readonly mode: WriterMode = 'write',
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 100_000) {
      throw new ImportError('bad_option', 'batchSize must be a whole number from 1 to 100000');
    }
    // Raw rows before this were removed by retention, and with them the request ids that make a second
    // import of the same rows a no-op; see dropExpiredDuplicates.
    this.rawFrom = service.ledger.ctx.coverage.rawFrom;
  }

  progress(phase: ImportPhase, done: number, total: number): void {
    // The check pass shows as reading the file, by its request rows.
    if (this.mode === 'check') {
      if (phase === 'requests') this.options.onProgress?.({ phase: 'reading', done, total });
      return;
    }
    this.options.onProgress?.({ phase, done, total });
  }

  /** Call once per source row: hands the event loop a turn when reading has held it for a while. */
  async tick(): Promise<void> {
    if (performance.now() - this.lastTurn < TURN_MS) return;
    await yieldTurn();
    this.lastTurn = performance.now();
  }

  checkAbort(): void {
    if (this.options.signal?.aborted) {
      throw new ImportError('aborted', 'the import was cancelled; what was written so far stays, and importing the file again completes it');
    }
  }

  noteModel(name: string): void {
    this.models.add(name);
  }

  modelNames(): string[] {
    return [...this.models].sort((a, b) => a.localeCompare(b));
  }

  note(text: string): void {
    this.report.notes.push(text);
  }

  /** How many request rows the reader expects, for the progress total. */
  expectRequests(total: number): void {
    this.requestTotal = total;
    this.progress('requests', 0, total);
  }

  async addRequest(record: RequestRecordInput): Promise<void> {
    this.report.requests.read++;
    this.pending.push(record);
    if (this.pending.length >= this.batchSize) await this.flushRequests();
  }

  skipRequest(): void {
    this.report.requests.read++;
    this.report.requests.skipped++;
  }

  async flushRequests(): Promise<void> {
    if (this.pending.length === 0) return;
    this.checkAbort();
    if (this.mode === 'check') {
      // The same validation ingest runs, so the write pass cannot be refused halfway; in slices, with turns between.
      const now = this.service.ledger.ctx.now();
      for (let start = 0; start < this.pending.length; start += CHECK_SLICE) {
        parseIngestBody({ records: this.pending.slice(start, start + CHECK_SLICE) }, now);
        await this.tick();
      }
      this.pending = [];
      this.progress('requests', this.report.requests.read, Math.max(this.requestTotal, this.report.requests.read));
      await this.turn();
      return;
    }
    const batch = await this.dropExpiredDuplicates(this.pending);
    this.pending = [];
    if (batch.length > 0) {
      const result = await this.service.ingestRequests({ records: batch });
      this.report.requests.accepted += result.accepted;
      this.report.requests.duplicates += result.duplicates;
    }
    this.progress('requests', this.report.requests.read, Math.max(this.requestTotal, this.report.requests.read));
    await this.turn();
  }

  private async turn(): Promise<void> {
    await yieldTurn();
    this.lastTurn = performance.now();
  }

  /**
   * Request ids only make a re-import a no-op while the raw rows that carry them exist. Before the
   * retention horizon only rollups remain, so there a source row counts as already imported when its
   * model already has requests in the same hour. This never double-counts a re-import; its cost is
   * that history ModelMeter already holds for that model and hour keeps the source's rows out.
   */
  private async dropExpiredDuplicates(records: RequestRecordInput[]): Promise<RequestRecordInput[]> {
    if (this.rawFrom <= 0) return records;
    const oldest = new Map<string, number>();
    for (const record of records) {
      const ts = record.ts as number;
      if (ts < this.rawFrom) oldest.set(record.model, Math.min(oldest.get(record.model) ?? ts, ts));
    }
    if (oldest.size === 0) return records;
    for (const [model, ts] of oldest) await this.loadOccupiedHours(model, Math.floor(ts / HOUR_MS) * HOUR_MS);
    const kept = records.filter((record) => {
      const ts = record.ts as number;
      if (ts >= this.rawFrom) return true;
      return !this.occupied.get(record.model)!.hours.has(Math.floor(ts / HOUR_MS) * HOUR_MS);
    });
    const dropped = records.length - kept.length;
    this.report.requests.duplicates += dropped;
    this.expiredSkipped += dropped;
    return kept;
  }

  /** Hours before the retention horizon in which the model already has requests, from `from` on. */
  private async loadOccupiedHours(model: string, from: number): Promise<void> {
    let entry = this.occupied.get(model);
    const to = entry ? entry.from : Math.ceil(this.rawFrom / HOUR_MS) * HOUR_MS;
    if (entry && entry.from <= from) return;
    if (!entry) this.occupied.set(model, (entry = { from, hours: new Set() }));
    for (let start = from; start < to; start += HISTORY_CHUNK_HOURS * HOUR_MS) {
      const end = Math.min(to, start + HISTORY_CHUNK_HOURS * HOUR_MS);
      const history = await this.service.getHistory({ from: start, to: end, interval: HOUR_MS / 1000, model });
      for (const bucket of history.buckets) if (bucket.requests > 0) entry.hours.add(bucket.ts);
    }
    entry.from = from;
  }

  /**
   * A model's price from the source, effective from the beginning of its history (so its imported
   * requests are priced). A model that already has prices in ModelMeter keeps them.
   */
  async addPrice(model: string, version: PriceVersionInput): Promise<void> {
    this.checkAbort();
    if (this.mode === 'check') {
      parseInput(priceVersionInputSchema, { ...version, effectiveFrom: 0 }, `price of "${model}"`);
      return;
    }
    const current = await this.service.getPricing({ model });
    if (current.versions.length > 0) {
      const [only] = current.versions;
      const same =
        current.versions.length === 1 &&
        only!.effectiveFrom === 0 &&
        only!.method === version.method &&
        only!.currency === version.currency &&
        (only!.hourly ?? null) === (version.hourly ?? null) &&
        canonicalTiers(only!.tiers) === canonicalTiers(version.tiers ?? null);
      if (same) this.report.prices.existing++;
      else {
        this.report.prices.skipped++;
        this.note(`"${model}" already has its own prices in ModelMeter; the imported ones were not applied.`);
      }
      return;
    }
    await this.service.addPriceVersion({ model, version: { ...version, effectiveFrom: 0 } });
    this.report.prices.added++;
  }

  /**
   * Runs of one model from one source, each a start and a stop at the source's times. A run already
   * recorded from the same source and start is an earlier import of it.
   */
  async addRuns(model: string, source: string, segments: readonly Segment[], into: 'runs' | 'programRuns', progress: { done: number; total: number }): Promise<void> {
    const counts = this.report[into];
    if (this.mode === 'check') {
      for (const segment of segments) {
        counts.read++;
        parseInput(runEventSchema, { model, event: 'start', ts: segment.start, source }, 'run event');
        parseInput(runEventSchema, { model, event: 'stop', ts: segment.end, source }, 'run event');
        await this.tick();
      }
      return;
    }
    const known = await this.knownRunStarts(model, source);
    let sinceTurn = 0;
    for (const segment of segments) {
      counts.read++;
      progress.done++;
      if (known.has(segment.start)) {
        counts.existing++;
        continue;
      }
      this.checkAbort();
      await this.service.reportRun({ model, event: 'start', ts: segment.start, source });
      await this.service.reportRun({ model, event: 'stop', ts: segment.end, source });
      known.add(segment.start);
      counts.added++;
      if (++sinceTurn >= RUNS_PER_TURN) {
        sinceTurn = 0;
        this.progress('runs', progress.done, progress.total);
        await yieldTurn();
      }
    }
    this.progress('runs', progress.done, progress.total);
  }

  private async knownRunStarts(model: string, source: string): Promise<Set<number>> {
    const starts = new Set<number>();
    let to: number | undefined;
    for (;;) {
      const page = await this.service.listRuns(to === undefined ? { model, limit: RUNS_PAGE } : { model, limit: RUNS_PAGE, to });
      for (const run of page) if (run.source === source) starts.add(run.start);
      if (page.length < RUNS_PAGE) return starts;
      const oldest = page[page.length - 1]!.start;
      // Runs sharing the oldest start could straddle the page edge; ask again from just after it.
      to = to === oldest + 1 ? oldest : oldest + 1;
      if (to <= 0) return starts;
    }
  }

  /** A circuit state from the source; checked only, in the check pass. */
  async putCircuit(update: CircuitUpdateInput): Promise<void> {
    if (this.mode === 'check') parseInput(circuitUpdateSchema, update, 'circuit state');
    else await this.service.putCircuits(update);
  }

  finish(): void {
    if (this.expiredSkipped > 0) {
      this.note(
        `${this.expiredSkipped} request rows older than ModelMeter's retention horizon were counted as duplicates: their model already had requests in the same hour (an earlier import), and the raw rows that would tell them apart have expired.`,
      );
    }
    this.report.models = this.modelNames();
  }
}

function canonicalTiers(tiers: readonly PriceTier[] | null): string {
  if (tiers === null) return 'null';
  return JSON.stringify(
    tiers.map((tier) => [tier.maxPromptTokens, tier.input, tier.output, tier.cacheRead ?? null, tier.cacheWrite ?? null]),
  );
}
