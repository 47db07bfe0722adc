import type { Database, Statement } from 'better-sqlite3';
import { FingerprintTable, TextHash } from './id-fingerprints.js';
import { firstIdAt } from './request-ids.js';

/**
 * Request ids are indexed by the time of their row first (`id >> 30`, ~17.5 minutes of ids), not by
 * the id alone: a unique index on random ids (UUIDs, hashes) put every new id on a page of its own, so a
 * commit of 1,700 records wrote ~1,700 index pages to the WAL, and such records went in at ~40 % of the
 * rate of records without ids. Clustered by time, a commit's ids share the pages of the last bucket.
 */
export const ID_BUCKET_SHIFT = 30;
const BUCKET_IDS = 2 ** ID_BUCKET_SHIFT;

/** The bucket of the index (`id >> 30` in SQL) a request id's row is filed under. */
export function idBucket(id: number): number {
  return Math.floor(id / BUCKET_IDS);
}

/** Transactions of request-id hashes kept for the other connections writing the same file. */
export const LOG_KEPT = 512;

/** Bytes per id in the log: its two hashes, little-endian. */
const LOG_ENTRY = 8;

/**
 * Which request ids are stored: the API promises that a record whose requestId is stored is never
 * stored again, over the whole ledger, while the index only finds an id quickly in a known bucket.
 * So this connection keeps a FingerprintTable of every stored id (~2-5 bytes each), built by scanning
 * the index when the first id is asked about, and trusts only its "not stored": for "may be stored",
 * the index is searched in the record's own bucket (a retry carries the same time), then in every
 * bucket that holds ids (one search each, ~0.6 ms per thousand buckets: a hash false positive, about
 * one new id in 10,000, or an id sent again with another time).
 *
 * Other connections write to the same file (the main thread's and the writer thread's, another
 * process): every transaction that stores ids appends their hashes to request_id_log, and each
 * connection adds the other writers' entries at the start of its next write. The log keeps the last
 * LOG_KEPT transactions; a connection that fell further behind scans the index again.
 */
export class StoredRequestIds {
  private table: FingerprintTable | null = null;
  private readonly hash = new TextHash();
  /** The text `hash` holds, so `stored` after `has` does not hash it again. */
  private hashed: string | null = null;
  /** This connection's mark in the log; others' entries are the ones to add. */
  private readonly writer = Math.floor(Math.random() * 2 ** 52);
  /** The last log entry this table holds. */
  private seenSeq = 0;
  /** Hashes of the ids stored in the write in progress, for the log. */
  private pending = new Uint32Array(256);
  private pendingCount = 0;

  private readonly inBucket: Statement<[number, string], number>;
  private readonly inAnyBucket: Statement<[string], number>;
  private readonly everyId: Statement<[], string>;
  private readonly countIds: Statement<[], number>;
  private readonly logHead: Statement<[], { lo: number | null; hi: number | null }>;
  private readonly othersEntries: Statement<[number, number], Buffer>;
  private readonly append: Statement<[number, Buffer]>;
  private readonly trim: Statement<[number]>;

  constructor(private readonly db: Database) {
    this.inBucket = db.prepare<[number, string], number>(`SELECT 1 FROM requests WHERE id >> 30 = ? AND request_id = ?`).pluck();
    // Every bucket holding ids, found by skipping through the index (two searches a bucket, in SQLite).
    this.inAnyBucket = db
      .prepare<[string], number>(
        `WITH RECURSIVE buckets(b) AS (
           SELECT (SELECT id >> 30 FROM requests WHERE request_id IS NOT NULL ORDER BY id >> 30 LIMIT 1)
           UNION ALL
           SELECT (SELECT id >> 30 FROM requests WHERE request_id IS NOT NULL AND id >> 30 > buckets.b ORDER BY id >> 30 LIMIT 1)
           FROM buckets WHERE b IS NOT NULL)
         SELECT 1 FROM buckets
         WHERE b IS NOT NULL AND EXISTS (SELECT 1 FROM requests WHERE id >> 30 = buckets.b AND request_id = ?)
         LIMIT 1`,
      )
      .pluck();
    this.everyId = db.prepare<[], string>(`SELECT request_id FROM requests WHERE request_id IS NOT NULL`).pluck();
    this.countIds = db.prepare<[], number>(`SELECT count(*) FROM requests WHERE request_id IS NOT NULL`).pluck();
    this.logHead = db.prepare(`SELECT min(seq) AS lo, max(seq) AS hi FROM request_id_log`);
    this.othersEntries = db.prepare<[number, number], Buffer>(`SELECT hashes FROM request_id_log WHERE seq > ? AND writer <> ? ORDER BY seq`).pluck();
    this.append = db.prepare<[number, Buffer]>(`INSERT INTO request_id_log (writer, hashes) VALUES (?, ?)`);
    this.trim = db.prepare<[number]>(`DELETE FROM request_id_log WHERE seq <= ?`);
  }

  /**
   * Reads every stored id now, in a read transaction of its own (one snapshot for the scan and the log),
   * rather than in the first write that asks: ~0.5 s for 770,000 ids. The writer thread calls it once
   * started, before any batch has arrived.
   */
  load(): void {
    if (this.table === null) this.db.transaction(() => this.build()).deferred();
  }

  /**
   * Call first in every write that may store ids (the write lock held, so nothing commits between
   * this and the write's end): adds what other connections stored since this one last looked.
   */
  beginWrite(): void {
    this.pendingCount = 0;
    if (this.table === null) return;
    const { lo, hi } = this.logHead.get()!;
    if (hi === null || lo === null || hi <= this.seenSeq) return;
    if (lo > this.seenSeq + 1) {
      // Entries this connection never read were trimmed: only the index knows them now.
      this.build();
      return;
    }
    for (const entry of this.othersEntries.iterate(this.seenSeq, this.writer)) this.addLogged(entry);
    this.seenSeq = hi;
  }

  /** Whether a row holds `requestId` (rows written earlier in this transaction included). */
  has(requestId: string, ts: number): boolean {
    if (this.table === null) this.build();
    this.hashed = requestId;
    if (!this.table!.mayHold(this.hash.of(requestId))) return false;
    if (this.inBucket.get(idBucket(firstIdAt(ts)), requestId) !== undefined) return true;
    return this.inAnyBucket.get(requestId) !== undefined;
  }

  /** Call once a row holding `requestId` is inserted. */
  stored(requestId: string): void {
    if (this.hashed !== requestId) this.hash.of(requestId);
    this.hashed = null;
    this.remember(this.hash);
    if (this.pendingCount * 2 + 2 > this.pending.length) {
      const grown = new Uint32Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending[this.pendingCount * 2] = this.hash.first;
    this.pending[this.pendingCount * 2 + 1] = this.hash.second;
    this.pendingCount++;
  }

  /** Call last in the write: logs the ids it stored for the other connections, and trims the log. */
  endWrite(): void {
    if (this.pendingCount === 0) return;
    const bytes = Buffer.alloc(this.pendingCount * LOG_ENTRY);
    for (let i = 0; i < this.pendingCount * 2; i++) bytes.writeUInt32LE(this.pending[i]!, i * 4);
    this.pendingCount = 0;
    const seq = Number(this.append.run(this.writer, bytes).lastInsertRowid);
    if (seq > LOG_KEPT) this.trim.run(seq - LOG_KEPT);
  }

  /** Ids held in memory, and the bytes that takes (0 before the first id was asked about). */
  get footprint(): { ids: number; bytes: number } {
    return { ids: this.table?.size ?? 0, bytes: this.table?.bytes ?? 0 };
  }

  private remember(hash: TextHash): void {
    if (this.table!.add(hash)) return;
    // Full: a table twice the size, from the index (which holds this transaction's rows too).
    this.build(this.table!.size * 2);
    this.table!.add(hash);
  }

  private addLogged(entry: Buffer): void {
    const hash = new TextHash();
    for (let at = 0; at + LOG_ENTRY <= entry.length; at += LOG_ENTRY) {
      hash.first = entry.readUInt32LE(at);
      hash.second = entry.readUInt32LE(at + 4);
      this.remember(hash);
    }
  }

  /** Scans every stored id into a new table; the log is then read from its newest entry on. */
  private build(room = 0): void {
    const table = new FingerprintTable(Math.max(room, this.countIds.get()!));
    const hash = new TextHash();
    for (const requestId of this.everyId.iterate()) {
      if (!table.add(hash.of(requestId))) throw new Error('request id table sized below its scan');
    }
    this.table = table;
    this.seenSeq = this.logHead.get()!.hi ?? 0;
  }
}
