import { HOUR_MS } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import { MetaEntries } from './meta-entries.js';

/**
 * A model's re-pricing that is stored but not finished: its window, the first hour not yet re-priced,
 * and a number that changes whenever another change is merged in (whoever is working on it then stops
 * and leaves the rest to the run queued after it).
 */
export interface PendingReprice {
  modelId: number;
  from: number;
  /** null: no end (the newest version's window). */
  to: number | null;
  next: number;
  seq: number;
}

const META_KEY = 'repricing_pending';

/**
 * The re-pricings still to do, in the meta table: written in the transaction that stores a price
 * change, moved on by each slice of hours, removed by the last. After a crash the ledger finds them
 * here and finishes them: a price change's window never stays half at the old price.
 */
export class PendingRepricing {
  private readonly meta: MetaEntries;

  constructor(ctx: StoreContext) {
    this.meta = new MetaEntries(ctx.db);
  }

  list(): PendingReprice[] {
    const value = this.meta.get(META_KEY);
    return value === undefined ? [] : (JSON.parse(value) as PendingReprice[]);
  }

  get(modelId: number): PendingReprice | undefined {
    return this.list().find((job) => job.modelId === modelId);
  }

  /** Adds [from, to) of a model; a window already pending for it grows to cover both. Call in a write. */
  add(modelId: number, from: number, to: number): PendingReprice {
    const jobs = this.list();
    const end = Number.isFinite(to) ? to : null;
    const start = Math.floor(from / HOUR_MS) * HOUR_MS;
    const found = jobs.find((job) => job.modelId === modelId);
    let job: PendingReprice;
    if (!found) {
      job = { modelId, from, to: end, next: start, seq: 1 };
      jobs.push(job);
    } else {
      job = found;
      job.from = Math.min(job.from, from);
      job.to = job.to === null || end === null ? null : Math.max(job.to, end);
      job.next = Math.min(job.next, start);
      job.seq++;
    }
    this.save(jobs);
    return job;
  }

  /** The hours before `next` are re-priced; `seq` is the number the caller started with. False: merged meanwhile, nothing moved. */
  advance(modelId: number, seq: number, next: number): boolean {
    const jobs = this.list();
    const job = jobs.find((entry) => entry.modelId === modelId);
    if (!job || job.seq !== seq) return false;
    job.next = next;
    this.save(jobs);
    return true;
  }

  /** The whole window is re-priced, unless another change was merged in since `seq`. */
  finish(modelId: number, seq: number): boolean {
    const jobs = this.list();
    const job = jobs.find((entry) => entry.modelId === modelId);
    if (!job || job.seq !== seq) return false;
    this.save(jobs.filter((entry) => entry !== job));
    return true;
  }

  /** The model is gone (deleted): nothing of it is left to re-price. Call in a write. */
  drop(modelId: number): void {
    const jobs = this.list();
    if (jobs.some((job) => job.modelId === modelId)) this.save(jobs.filter((job) => job.modelId !== modelId));
  }

  private save(jobs: PendingReprice[]): void {
    if (jobs.length === 0) this.meta.delete(META_KEY);
    else this.meta.set(META_KEY, JSON.stringify(jobs));
  }
}
