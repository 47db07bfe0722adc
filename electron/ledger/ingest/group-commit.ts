import type { RequestRecord } from '../../../shared/schemas/request-record.js';
import type { Ledger } from '../store/ledger.js';
import type { WriteResult } from '../store/request-writer.js';

/**
 * Records one transaction takes before the rest wait for the next turn of the event loop: several
 * full batches arriving together must not hold the loop for all of them at once.
 */
export const MAX_COMMIT_RECORDS = 5_000;

interface Pending {
  records: RequestRecord[];
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

/**
 * The committed write path for HTTP ingest: a promise resolves only after its records are committed.
 * Batches that arrive while the event loop is busy share one transaction (one WAL sync) and one
 * write of their rollups; should one of them fail, each is written again in its own savepoint so that
 * it does not take the others with it.
 */
export class GroupCommitWriter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly onCommit: (results: WriteResult[]) => void = () => {},
  ) {}

  submit(records: RequestRecord[]): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.schedule();
    });
  }

  /** Writes everything queued now, however much (used on close). */
  flush(): void {
    while (this.queue.length > 0) this.commitSome();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.commitSome();
      if (this.queue.length > 0) this.schedule();
    });
  }

  /**
   * The batches' rows in one transaction with their rollups summed once (RequestWriter.begin): an
   * hour or day row they all touch is written once, not once per batch. False, with nothing
   * written, when any batch fails: each is then written in a savepoint of its own, so that one bad
   * batch does not take the others with it.
   */
  private commitTogether(batch: Pending[]): boolean {
    const { ledger } = this;
    let results: WriteResult[];
    try {
      results = ledger.write(() => {
        ledger.requests.begin();
        const written = batch.map((pending) => ledger.requests.add(pending.records));
        ledger.requests.finish();
        return written;
      });
    } catch {
      return false;
    }
    batch.forEach((pending, i) => pending.resolve(results[i]!));
    this.onCommit(results);
    return true;
  }

  /** One transaction: the oldest batches up to MAX_COMMIT_RECORDS records (at least one batch). */
  private commitSome(): void {
    let taken = 0;
    let count = 0;
    while (taken < this.queue.length && (taken === 0 || count + this.queue[taken]!.records.length <= MAX_COMMIT_RECORDS)) {
      count += this.queue[taken]!.records.length;
      taken++;
    }
    const batch = this.queue.splice(0, taken);
    if (batch.length === 0) return;
    if (batch.length > 1 && this.commitTogether(batch)) return;
    const outcomes: ({ ok: true; result: WriteResult } | { ok: false; error: unknown })[] = [];
    try {
      this.ledger.write(() => {
        for (const pending of batch) {
          try {
            outcomes.push({ ok: true, result: this.ledger.write(() => this.ledger.requests.write(pending.records)) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    const committed: WriteResult[] = [];
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        committed.push(outcome.result);
        pending.resolve(outcome.result);
      } else {
        pending.reject(outcome.error);
      }
    });
    if (committed.length > 0) this.onCommit(committed);
  }
}
