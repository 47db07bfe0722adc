import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { CircuitUpdateInput } from '../../../shared/schemas/circuit.js';
import type { ForwardedRun } from '../../../shared/schemas/forwarding.js';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import type { StoreContext } from '../store/context.js';
import { MetaEntries } from '../store/meta-entries.js';
import { BatchRows } from './batch-rows.js';
import { Backfill } from './backfill.js';
import { createForwardTriggers, dropForwardTriggers, forwardTriggersPresent, OUTBOX_KIND } from './triggers.js';

export interface KindCounts {
  requests: number;
  runs: number;
  circuits: number;
}

/** One batch read from the outbox: the records to send and what to delete once the target has them. */
export interface OutboxBatch {
  requests: RequestRecordInput[];
  runs: ForwardedRun[];
  circuits: CircuitUpdateInput[];
  /** The entries read are exactly those with seq <= lastSeq (seq only grows: see migration 7). */
  readonly lastSeq: number;
  /** The highest seq when the rows were read: later entries of a run or circuit sent are covered up to it. */
  readonly snapshotSeq: number;
  readonly runIds: readonly number[];
  readonly channelIds: readonly number[];
  /** Entries read, by kind (deleted rows included). */
  readonly entries: KindCounts;
}

const META_INSTANCE = 'instance_id';
const META_TARGET = 'forward_target';

/**
 * The forwarding outbox (migration 7): entries are queued by triggers in the transactions that write
 * the rows (see triggers.ts), read in batches of at most `limit` entries oldest first, and deleted
 * only once the target acknowledged them. Nothing here holds the whole outbox in memory.
 */
export class Outbox {
  private readonly rows: BatchRows;
  private readonly backfill: Backfill;
  private readonly meta: MetaEntries;
  private readonly head: Statement<[number], { seq: number; kind: number; ref: number }>;
  private readonly maxSeq: Statement<[], { seq: number | null }>;
  private readonly deleteUpTo: Statement<[number]>;
  private readonly deleteCovered: Statement<[number, string, number, number]>;
  private readonly countByKind: Statement<[], { kind: number; n: number }>;
  private readonly oldest: Statement<[], { queued_at: number }>;
  private instance: string | null = null;

  constructor(private readonly ctx: StoreContext) {
    const db = ctx.db;
    this.rows = new BatchRows(db);
    this.backfill = new Backfill(ctx);
    this.meta = new MetaEntries(db);
    this.head = db.prepare(`SELECT seq, kind, ref FROM forward_outbox ORDER BY seq LIMIT ?`);
    this.maxSeq = db.prepare(`SELECT max(seq) AS seq FROM forward_outbox`);
    this.deleteUpTo = db.prepare(`DELETE FROM forward_outbox WHERE seq <= ?`);
    // The literal "kind <> 1" lets SQLite use the partial index on (kind, ref).
    this.deleteCovered = db.prepare(
      `DELETE FROM forward_outbox WHERE kind <> 1 AND kind = ? AND ref IN (SELECT value FROM json_each(?)) AND seq > ? AND seq <= ?`,
    );
    this.countByKind = db.prepare(`SELECT kind, count(*) AS n FROM forward_outbox GROUP BY kind`);
    this.oldest = db.prepare(`SELECT queued_at FROM forward_outbox ORDER BY seq LIMIT 1`);
  }

  /** This ledger's identity, made once: it names requests that carry no requestId of their own. */
  instanceId(): string {
    if (this.instance !== null) return this.instance;
    const stored = this.meta.get(META_INSTANCE);
    if (stored !== undefined) return (this.instance = stored);
    const made = randomUUID();
    this.ctx.write(() => this.meta.set(META_INSTANCE, made));
    return (this.instance = made);
  }

  /**
   * Makes sure the triggers queue new rows for `target`. Off before, or another target: the existing
   * ledger is queued too (in steps, see backfillStep), so the target gets the history. Answers
   * whether a backfill started.
   */
  switchOn(target: string): boolean {
    return this.ctx.write(() => {
      const same = forwardTriggersPresent(this.ctx.db) && this.meta.get(META_TARGET) === target;
      createForwardTriggers(this.ctx.db);
      if (same) return false;
      this.meta.set(META_TARGET, target);
      // In the triggers' transaction: every row after these bounds is queued by a trigger.
      this.backfill.begin();
      return true;
    });
  }

  /** Drops the triggers; what waits stays (it is sent if forwarding comes back on). */
  switchOff(): void {
    this.ctx.write(() => {
      dropForwardTriggers(this.ctx.db);
      this.meta.delete(META_TARGET);
      this.backfill.cancel();
    });
  }

  get backfilling(): boolean {
    return this.backfill.pending();
  }

  /** Queues the next chunk of the existing ledger in one short transaction; answers what it queued. */
  backfillStep(chunk = 5_000): KindCounts {
    return this.backfill.step(chunk);
  }

  /** Waiting entries by kind: one COUNT, for the start; the sender keeps counters after that. */
  counts(): KindCounts {
    const out: KindCounts = { requests: 0, runs: 0, circuits: 0 };
    for (const { kind, n } of this.countByKind.all()) addKind(out, kind, n);
    return out;
  }

  oldestQueuedAt(): number | null {
    return this.oldest.get()?.queued_at ?? null;
  }

  /**
   * The oldest `limit` entries and the current state of the rows they name, read in one snapshot.
   * Several entries of one run or circuit give one item; a request, run or circuit deleted since it
   * was queued gives none (its entries go with the batch). Null when nothing waits.
   */
  read(limit: number): OutboxBatch | null {
    const instanceId = this.instanceId();
    return this.ctx.db.transaction(() => {
      const entries = this.head.all(limit);
      if (entries.length === 0) return null;
      const requestIds = new Set<number>();
      const runIds = new Set<number>();
      const channelIds = new Set<number>();
      const counts: KindCounts = { requests: 0, runs: 0, circuits: 0 };
      for (const { kind, ref } of entries) {
        addKind(counts, kind, 1);
        if (kind === OUTBOX_KIND.request) requestIds.add(ref);
        else if (kind === OUTBOX_KIND.run) runIds.add(ref);
        else if (kind === OUTBOX_KIND.circuit) channelIds.add(ref);
      }
      return {
        requests: this.rows.requestRecords([...requestIds], instanceId),
        runs: this.rows.runRecords([...runIds]),
        circuits: this.rows.circuitRecords([...channelIds]),
        lastSeq: entries[entries.length - 1]!.seq,
        snapshotSeq: this.maxSeq.get()?.seq ?? 0,
        runIds: [...runIds],
        channelIds: [...channelIds],
        entries: counts,
      };
    })();
  }

  /**
   * Deletes exactly what the batch covered, in one transaction: the entries it read, and later
   * entries of its runs and circuits queued before it was read (their state then was what was sent).
   * Answers the entries deleted by kind.
   */
  ack(batch: OutboxBatch): KindCounts {
    return this.ctx.write(() => {
      const deleted = { ...batch.entries };
      this.deleteUpTo.run(batch.lastSeq);
      if (batch.snapshotSeq > batch.lastSeq) {
        if (batch.runIds.length) deleted.runs += this.deleteCovered.run(OUTBOX_KIND.run, JSON.stringify(batch.runIds), batch.lastSeq, batch.snapshotSeq).changes;
        if (batch.channelIds.length) deleted.circuits += this.deleteCovered.run(OUTBOX_KIND.circuit, JSON.stringify(batch.channelIds), batch.lastSeq, batch.snapshotSeq).changes;
      }
      return deleted;
    });
  }
}

export function addKind(counts: KindCounts, kind: number, n: number): void {
  if (kind === OUTBOX_KIND.request) counts.requests += n;
  else if (kind === OUTBOX_KIND.run) counts.runs += n;
  else if (kind === OUTBOX_KIND.circuit) counts.circuits += n;
}
