import type { Statement } from 'better-sqlite3';
import type { StoreContext } from '../store/context.js';
import { MetaEntries } from '../store/meta-entries.js';
import { OUTBOX_KIND, type OutboxKind } from './triggers.js';

const META_BACKFILL = 'forward_backfill';

/** How far the backfill got in each table: rows with after < id <= upTo are still to queue. */
interface Cursor {
  after: number;
  upTo: number;
}
type Progress = Record<'requests' | 'runs' | 'circuits', Cursor>;

const TABLES = [
  { key: 'requests', kind: OUTBOX_KIND.request, table: 'requests', id: 'id' },
  { key: 'runs', kind: OUTBOX_KIND.run, table: 'runs', id: 'id' },
  { key: 'circuits', kind: OUTBOX_KIND.circuit, table: 'circuit_states', id: 'channel_id' },
] as const satisfies readonly { key: keyof Progress; kind: OutboxKind; table: string; id: string }[];

interface TableStatements {
  max: Statement<[], { id: number | null }>;
  chunkEnd: Statement<[number, number, number], { id: number }>;
  queue: Statement<[number, number, number]>;
}

/**
 * Queues the rows that were in the ledger when forwarding was switched on, a chunk of ids per short
 * transaction so the event loop (and every writer) waits milliseconds at most. Its progress lives in
 * `meta`, so a restart resumes it; the rows written since are queued by the triggers.
 */
export class Backfill {
  private readonly statements = new Map<string, TableStatements>();
  private readonly meta: MetaEntries;

  constructor(private readonly ctx: StoreContext) {
    const db = ctx.db;
    for (const { key, kind, table, id } of TABLES) {
      this.statements.set(key, {
        max: db.prepare(`SELECT max(${id}) AS id FROM ${table}`),
        chunkEnd: db.prepare(`SELECT ${id} AS id FROM ${table} WHERE ${id} > ? AND ${id} <= ? ORDER BY ${id} LIMIT 1 OFFSET ?`),
        queue: db.prepare(`INSERT INTO forward_outbox (kind, ref, queued_at) SELECT ${kind}, ${id}, ? FROM ${table} WHERE ${id} > ? AND ${id} <= ? ORDER BY ${id}`),
      });
    }
    this.meta = new MetaEntries(db);
  }

  /** Call in the transaction that creates the triggers. */
  begin(): void {
    const progress = {} as Progress;
    for (const { key } of TABLES) progress[key] = { after: -1, upTo: this.stmts(key).max.get()?.id ?? -1 };
    this.save(progress);
  }

  cancel(): void {
    this.meta.delete(META_BACKFILL);
  }

  pending(): boolean {
    return this.load() !== null;
  }

  step(chunk: number): Record<keyof Progress, number> {
    const queued = { requests: 0, runs: 0, circuits: 0 };
    this.ctx.write(() => {
      const progress = this.load();
      if (progress === null) return;
      const next = TABLES.find(({ key }) => progress[key].after < progress[key].upTo);
      if (next === undefined) {
        this.cancel();
        return;
      }
      const cursor = progress[next.key];
      const statements = this.stmts(next.key);
      const end = statements.chunkEnd.get(cursor.after, cursor.upTo, chunk - 1)?.id ?? cursor.upTo;
      queued[next.key] = statements.queue.run(this.ctx.now(), cursor.after, end).changes;
      cursor.after = end;
      if (TABLES.every(({ key }) => progress[key].after >= progress[key].upTo)) this.cancel();
      else this.save(progress);
    });
    return queued;
  }

  private stmts(key: string): TableStatements {
    return this.statements.get(key)!;
  }

  private load(): Progress | null {
    const raw = this.meta.get(META_BACKFILL);
    return raw === undefined ? null : (JSON.parse(raw) as Progress);
  }

  private save(progress: Progress): void {
    this.meta.set(META_BACKFILL, JSON.stringify(progress));
  }
}
