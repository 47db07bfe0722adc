import { ApiError } from '../../../../shared/errors.js';
import { MAX_FUTURE_MS, requestRecordSchema } from '../../../../shared/schemas/request-record.js';
import type { AgentCursor } from '../../../ledger/store/agent-cursors.js';
import type { AgentRecord } from '../format.js';
import type { AgentSourcePorts } from '../../ports.js';

/** At most this many records per ingest call: one transaction stays short (and within MAX_BATCH_RECORDS). */
export const MAX_AGENT_BATCH = 1_000;

/**
 * Collects an agent's records and sends them to the ledger in batches of at most MAX_AGENT_BATCH.
 * A record the ledger refuses (a model name it cannot store, a time far in the future) is dropped
 * and logged, never the batch around it: one odd line in someone's log must not stop an import.
 *
 * Cursors are queued behind the records they cover and saved, with the agent's counts, in one
 * transaction right after the batch holding their last record is committed: never before, and
 * without a sync of their own per file (a backlog of thousands of small files stays fast).
 */
export class RecordBatch {
  private pending: AgentRecord[] = [];
  /** Records pushed and records committed (or dropped) so far: a cursor waits until its mark is committed. */
  private pushed = 0;
  private sent = 0;
  private cursors: { cursor: AgentCursor; mark: number }[] = [];
  /** Records added to the ledger by this batcher (duplicates excluded). */
  accepted = 0;
  /** Records dropped because the ledger refused them. */
  rejected = 0;

  constructor(
    private readonly ports: AgentSourcePorts,
    private readonly agent: string,
    private readonly log: (message: string) => void,
    private readonly maxBatch = MAX_AGENT_BATCH,
  ) {}

  get full(): boolean {
    return this.pending.length >= this.maxBatch;
  }

  get size(): number {
    return this.pending.length;
  }

  push(records: readonly AgentRecord[]): void {
    for (const record of records) this.pending.push(record);
    this.pushed += records.length;
  }

  /** Saves `cursor` once every record pushed so far is committed. */
  queueCursor(cursor: AgentCursor): void {
    this.cursors.push({ cursor, mark: this.pushed });
  }

  /** Sends every full batch; what remains waits for more or for flush(). */
  async drainFull(): Promise<void> {
    while (this.pending.length >= this.maxBatch) await this.send(this.pending.splice(0, this.maxBatch));
  }

  /** Sends everything pending; resolves once it is committed. */
  async flush(): Promise<void> {
    while (this.pending.length > 0) await this.send(this.pending.splice(0, this.maxBatch));
    this.settle(0, null);
  }

  /** Forgets what is pending (after a failure: the lines are read again from the last cursor). */
  discard(): void {
    this.pending = [];
    this.cursors = [];
    this.sent = this.pushed;
  }

  /** Counts what a batch added and saves the cursors it completed, in one transaction. */
  private settle(accepted: number, newest: number | null): void {
    let ready = 0;
    while (ready < this.cursors.length && this.cursors[ready]!.mark <= this.sent) ready++;
    const cursors = this.cursors.splice(0, ready).map((entry) => entry.cursor);
    const added = accepted > 0 ? { agent: this.agent, records: accepted, lastRecordAt: newest } : undefined;
    this.ports.agentCursors.saveCursors(cursors, added);
  }

  private async send(batch: AgentRecord[]): Promise<void> {
    let records = batch;
    let result;
    this.sent += batch.length;
    try {
      result = await this.ports.ingestRequests(records);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'validation_failed') throw error;
      const latest = this.ports.ledger.ctx.now() + MAX_FUTURE_MS;
      records = batch.filter((record, index) => {
        const check = requestRecordSchema.safeParse(record);
        if (check.success && record.ts <= latest) return true;
        if (check.success) {
          this.log(`${this.agent}: skipped a record (${index}) timestamped more than 24 hours ahead`);
          return false;
        }
        this.log(`${this.agent}: skipped a record (${index}): ${check.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
        return false;
      });
      this.rejected += batch.length - records.length;
      if (records.length === 0) return this.settle(0, null);
      result = await this.ports.ingestRequests(records);
    }
    this.accepted += result.accepted;
    let newest: number | null = null;
    for (const record of records) if (newest === null || record.ts > newest) newest = record.ts;
    this.settle(result.accepted, newest);
  }
}
