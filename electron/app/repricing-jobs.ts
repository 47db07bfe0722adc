import { ApiError } from '../../shared/errors.js';
import type { LedgerEvent } from '../../shared/types.js';
import type { CompiledVersion } from '../ledger/pricing/rules.js';
import type { Ledger } from '../ledger/store/ledger.js';
import { emptyOutcome, type RepricePart, type RepriceOutcome } from '../ledger/store/repricing.js';
import { DEFAULT_SLICE_MS, inSlices, RAW_PART_MS } from './slices.js';
import { taskProgress } from './task-progress.js';

export interface RepricingJobsOptions {
  /** How long one transaction may re-price before it commits and lets the event loop run (ms). */
  sliceMs?: number;
  /** Where a re-pricing that failed says so (it stays pending and is tried again at the next start). */
  log?: (message: string) => void;
}

/**
 * Re-prices what a price change left pending (PendingRepricing), a slice of parts per transaction with
 * a turn of the event loop between slices. One transaction used to re-price a whole window: at 10M
 * requests a new price for a model with 1.2M requests in its window held the main thread 17-23 s, the
 * proxy, the dashboard and ingest all stopped. Requests written meanwhile are priced by the new
 * versions already (they are stored first); a slice prices its parts under the versions in force when
 * it runs, so any order of changes ends in the same costs. One model at a time, in the order asked.
 */
export class RepricingJobs {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly sliceMs: number;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: RepricingJobsOptions = {},
    /** Where re-pricings (and their previews) say how far they have come. */
    private readonly emit: (event: LedgerEvent) => void = () => {},
  ) {
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  }

  /** Re-prices the model's pending window; resolves with what changed once it is all done. */
  run(modelId: number): Promise<RepriceOutcome> {
    const work = this.tail.then(() => this.work(modelId));
    this.tail = work.catch(() => undefined);
    return work;
  }

  /** Finishes every re-pricing a stop left pending (at start). */
  resume(): Promise<void> {
    const jobs = this.ledger.pendingRepricing.list();
    return Promise.all(
      jobs.map((job) =>
        this.run(job.modelId).catch((error: unknown) => {
          this.options.log?.(`re-pricing of model ${job.modelId} failed (${error instanceof Error ? error.message : String(error)}); it is tried again at the next start`);
        }),
      ),
    ).then(() => undefined);
  }

  /**
   * What re-pricing [from, to) under `versions` would change, read in the same slices with a turn of
   * the event loop between them (4.7 s of one thread for 1.2M requests at 10M otherwise). Nothing is
   * written; requests stored meanwhile may or may not be counted, as for any preview of live data.
   */
  async preview(modelId: number, versions: readonly CompiledVersion[], from: number, to: number): Promise<RepriceOutcome> {
    const { repricer } = this.ledger;
    const outcome = emptyOutcome();
    await this.sliced(
      this.partsOf(modelId, from, to),
      (take) => {
        for (let part = take(); part; part = take()) repricer.runParts(modelId, versions, [part], from, to, false, outcome);
      },
      false,
      this.progressOf('reprice-preview', modelId),
    );
    return outcome;
  }

  /** The parts a re-pricing of [from, to) goes through in slices. */
  partsOf(modelId: number, from: number, to: number): RepricePart[] {
    return this.ledger.repricer.partsOf(modelId, from, to, RAW_PART_MS);
  }

  /**
   * inSlices() at this job runner's slice length; `writes`: the slices commit (StoreContext.betweenWrites
   * between them); `progress`: told after each slice (progressOf).
   */
  sliced(
    parts: readonly RepricePart[],
    slice: (take: () => RepricePart | undefined, next: () => RepricePart | undefined) => boolean | void,
    writes = false,
    progress?: (done: number, total: number) => void,
  ): Promise<void> {
    return inSlices(parts, this.sliceMs, slice, {
      ...(writes ? { between: () => this.ledger.ctx.betweenWrites() } : {}),
      ...(progress ? { progress } : {}),
    });
  }

  /** A model's re-pricing (or its preview) on the event stream as it goes. */
  progressOf(task: 'reprice' | 'reprice-preview', modelId: number): (done: number, total: number) => void {
    // A preview for a model never recorded (id -1) has nothing to go through.
    if (modelId < 0) return () => {};
    return taskProgress(this.emit, { task, model: this.ledger.ctx.models.nameOf(modelId) });
  }

  /** Resolves once nothing is being re-priced. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  private async work(modelId: number): Promise<RepriceOutcome> {
    const { ledger } = this;
    const outcome = emptyOutcome();
    const job = ledger.pendingRepricing.get(modelId);
    if (!job) return outcome;
    const to = job.to ?? Number.POSITIVE_INFINITY;
    let dropped = false;
    // `next` starts at a whole hour: the window may start inside it, and what is before is not its to re-price.
    await this.sliced(this.partsOf(modelId, Math.max(job.next, job.from), to), (take, next) =>
      ledger.write(() => {
        const versions = ledger.ctx.prices.versions(modelId);
        for (let part = take(); part; part = take()) ledger.repricer.runParts(modelId, versions, [part], job.from, to, true, outcome);
        // Another change merged into this window meanwhile: the run queued for it takes over from here.
        const rest = next();
        const going = rest ? ledger.pendingRepricing.advance(modelId, job.seq, rest.from) : ledger.pendingRepricing.finish(modelId, job.seq);
        // Neither this run's nor another's: the model is being deleted (MaintenanceService drops it first).
        dropped = !going && ledger.pendingRepricing.get(modelId) === undefined;
        return rest ? going : false;
      }),
      true,
      this.progressOf('reprice', modelId),
    );
    if (dropped) throw new ApiError('conflict', 'the model was deleted while its requests were being re-priced');
    return outcome;
  }
}
