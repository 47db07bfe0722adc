import type { RequestRecord } from '../../shared/schemas/request-record.js';
import type { Ledger } from '../store/ledger.js';
import type { WriteResult } from '../store/request-writer.js';

interface Pending {
  records: RequestRecord[];
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

/**
 * The committed write path for HTTP ingest: a promise resolves only after its records are committed.
 * Batches that arrive while the event loop is busy share one transaction (one WAL sync), each batch in
 * its own savepoint so one failing batch does not take the others with it.
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
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Writes everything queued now; also used on close. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
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
