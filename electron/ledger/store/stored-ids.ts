import type { Database, Statement } from 'better-sqlite3';
import { FingerprintSet, FOLD_LIMIT, HINT_MODULO, TextHash } from './id-fingerprints.js';

/**
 * Request ids and response ids are kept in tables keyed by their request's id (migration 17), so they
 * are found by the millisecond of their row (a bucket: `id >> 10`, a rowid range), not by the id alone:
 * a unique index on random ids (UUIDs, hashes, `chatcmpl-...`) put every new id on a page of its own, so
 * a commit of 1,700 records wrote ~1,700 index pages to the WAL, and such records went in at ~40-55 % of
 * the rate of records without ids. Kept in time order, a commit's ids share the pages of its last
 * milliseconds. (Buckets of ~17.5 minutes, `id >> 30`, until migration 16: records sent live, or a few
 * milliseconds apart, filled a bucket with hundreds of thousands of ids, and a commit's ids again landed
 * on a page each.)
 */
const BUCKET_IDS = 2 ** 10;

/** The bucket (`id >> 10` in SQL, one millisecond's rowid range) an id is found in. */
function idBucket(id: number): number {
  return Math.floor(id / BUCKET_IDS);
}

/**
 * A kind of id stored once at most: `${kind}_ids` holds them (a request's id, the text), `${kind}_id_log`
 * what each connection stored.
 */
export type IdKind = 'request' | 'response';

/** SQL for the `kind` id of the request whose id is the SQL `rowId` (NULL when it has none): readers' column. */
export function storedIdSql(kind: IdKind, rowId: string): string {
  return `(SELECT value FROM ${kind}_ids q WHERE q.id = ${rowId})`;
}

/**
 * Transactions of id hashes kept for the other connections writing the same file: one that wrote no id
 * for longer (the main connection, which writes requests only when the writer thread is down) scans
 * the ids' table again when it next does.
 */
export const LOG_KEPT = 64;

/** The page cache of a scan of every id (negative: KiB, as PRAGMA cache_size takes it). */
const SCAN_CACHE_KIB = -2048;

/**
 * Id rows inserted by one statement call: a call per row cost ~1.5 µs of an id's ~2.4 µs ingest (a
 * random UUID, in process), about what one binding of 128 values costs.
 */
const INSERT_ROWS = 64;

/** Bytes per id in the log: its two hashes and its row's bucket (low 32 bits, then high), little-endian. */
const LOG_ENTRY = 16;
const LOW_32 = 2 ** 32;

/**
 * Which ids of one kind are stored: the API promises that a record whose requestId is stored is never
 * stored again, and one upstream answer (its response id) is one request, over the whole ledger, while
 * the ids' table finds an id only in a bucket it is told. So this connection keeps a FingerprintSet of
 * every stored id (6 bytes a slot, 8-16 a stored id) with its bucket's low 32 bits (~49.7 days of
 * milliseconds), built by scanning the table when first needed. An id whose fingerprint no entry has is
 * not stored (most new ids, at the cost of a hash and a probe); for each entry that matches, the table
 * is searched in the buckets its hint names between the newest and oldest bucket holding ids, newest
 * first (one search in ledgers younger than 49.7 days, and for an id sent again within them). A false
 * match costs a search per 49.7 days of ledger, about one new id in 10,000.
 *
 * Other connections write to the same file (the main thread's and the writer thread's, another
 * process): every transaction that stores ids appends their hashes and buckets to the kind's log, and
 * each connection adds the other writers' entries at the start of its next write. The log keeps the
 * last LOG_KEPT transactions; a connection that fell further behind scans the table again.
 */
export class StoredIds {
  /** The fingerprints, from a scan of the table and every id stored since. */
  private fingerprints: FingerprintSet | null = null;
  private readonly hash = new TextHash();
  /** The text `hash` holds, so `stored` after `has` does not hash it again. */
  private hashed: string | null = null;
  /** The oldest and newest buckets holding ids (a deleted row may leave them wider: harmless). */
  private lowest = Infinity;
  private highest = -Infinity;
  /** This connection's mark in the log; others' entries are the ones to add. */
  private readonly writer = Math.floor(Math.random() * 2 ** 52);
  /** The last log entry the fingerprints hold. */
  private seenSeq = 0;
  /** Hashes and buckets of the ids stored in the write in progress, for the log. */
  private pending = new DataView(new ArrayBuffer(128 * LOG_ENTRY));
  private pendingCount = 0;

  private readonly inBucket: Statement<[number, number, string], number>;
  private readonly insert: Statement<[number, string]>;
  private readonly insertMany: Statement<(number | string)[]>;
  /** Rows stored but not yet inserted, `INSERT_ROWS` at most (a request's id, then the text, each). */
  private readonly unwritten: (number | string)[] = new Array<number | string>(2 * INSERT_ROWS).fill(0);
  private unwrittenCount = 0;
  private readonly everyId: Statement<[], [number, string]>;
  private readonly countIds: Statement<[], number>;
  private readonly logHead: Statement<[], { lo: number | null; hi: number | null }>;
  private readonly othersEntries: Statement<[number, number], Buffer>;
  private readonly append: Statement<[number, Buffer]>;
  private readonly trim: Statement<[number]>;

  constructor(
    private readonly db: Database,
    kind: IdKind,
    /** FingerprintSet's: a test's smaller one shows both ways of growing. */
    private readonly foldLimit = FOLD_LIMIT,
  ) {
    const table = `${kind}_ids`;
    const log = `${kind}_id_log`;
    this.inBucket = db.prepare<[number, number, string], number>(`SELECT id FROM ${table} WHERE id >= ? AND id < ? AND value = ?`).pluck();
    this.insert = db.prepare<[number, string]>(`INSERT INTO ${table} (id, value) VALUES (?, ?)`);
    this.insertMany = db.prepare<(number | string)[]>(`INSERT INTO ${table} (id, value) VALUES ${Array<string>(INSERT_ROWS).fill('(?, ?)').join(', ')}`);
    this.everyId = db.prepare<[], [number, string]>(`SELECT id >> 10, value FROM ${table}`).raw();
    this.countIds = db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck();
    this.logHead = db.prepare(`SELECT min(seq) AS lo, max(seq) AS hi FROM ${log}`);
    this.othersEntries = db.prepare<[number, number], Buffer>(`SELECT hashes FROM ${log} WHERE seq > ? AND writer <> ? ORDER BY seq`).pluck();
    this.append = db.prepare<[number, Buffer]>(`INSERT INTO ${log} (writer, hashes) VALUES (?, ?)`);
    this.trim = db.prepare<[number]>(`DELETE FROM ${log} WHERE seq <= ?`);
  }

  /**
   * Reads every stored id now, in a read transaction of its own (one snapshot for the scan and the log),
   * rather than in the first write that asks: ~0.5 s for 770,000 ids. The writer thread calls it once
   * started, before any batch has arrived.
   */
  load(): void {
    if (this.fingerprints === null) this.db.transaction(() => this.build()).deferred();
  }

  /**
   * Call first in every write that may store ids (the write lock held, so nothing commits between
   * this and the write's end): adds what other connections stored since this one last looked.
   */
  beginWrite(): void {
    this.pendingCount = 0;
    this.unwrittenCount = 0;
    if (this.fingerprints === null) return;
    const { lo, hi } = this.logHead.get()!;
    if (hi === null || lo === null || hi <= this.seenSeq) return;
    if (lo > this.seenSeq + 1) {
      // Entries this connection never read were trimmed: only the table knows them now.
      this.build();
      return;
    }
    for (const entry of this.othersEntries.iterate(this.seenSeq, this.writer)) this.addLogged(entry);
    this.seenSeq = hi;
  }

  /** How many fingerprint tables this connection holds (0 before its first scan). */
  get tableCount(): number {
    return this.fingerprints?.tables.length ?? 0;
  }

  /** Whether a row holds `text` (rows written earlier in this transaction included). */
  has(text: string): boolean {
    return this.rowOf(text) !== undefined;
  }

  /** The id of the row holding `text` (rows written earlier in this transaction included), if any. */
  rowOf(text: string): number | undefined {
    if (this.fingerprints === null) this.build();
    const hash = this.hash.of(text);
    this.hashed = text;
    for (const table of this.fingerprints!.tables) {
      for (let at = table.nextMatch(hash, table.start(hash)); at !== -1; at = table.nextMatch(hash, at + 1)) {
        // The id may be one of this write's rows not yet inserted.
        this.insertUnwritten();
        // The buckets from the newest back whose low 32 bits are the hint.
        const hint = table.hintAt(at);
        for (let bucket = this.highest - ((this.highest - hint) % HINT_MODULO); bucket >= this.lowest; bucket -= HINT_MODULO) {
          const id = this.inBucket.get(bucket * BUCKET_IDS, (bucket + 1) * BUCKET_IDS, text);
          if (id !== undefined) return id;
        }
      }
    }
    return undefined;
  }

  /** Stores `text` as the id of the request `id` (inserted in this write): its row goes in with the next INSERT_ROWS, or at endWrite. */
  stored(text: string, id: number): void {
    const unwritten = this.unwritten;
    unwritten[2 * this.unwrittenCount] = id;
    unwritten[2 * this.unwrittenCount + 1] = text;
    if (++this.unwrittenCount === INSERT_ROWS) {
      this.insertMany.run(...unwritten);
      this.unwrittenCount = 0;
    }
    if (this.hashed !== text) this.hash.of(text);
    this.hashed = null;
    const bucket = idBucket(id);
    this.remember(this.hash, bucket);
    if ((this.pendingCount + 1) * LOG_ENTRY > this.pending.byteLength) {
      const grown = new Uint8Array(this.pending.byteLength * 2);
      grown.set(new Uint8Array(this.pending.buffer));
      this.pending = new DataView(grown.buffer);
    }
    const at = this.pendingCount * LOG_ENTRY;
    this.pending.setUint32(at, this.hash.first, true);
    this.pending.setUint32(at + 4, this.hash.second, true);
    this.pending.setUint32(at + 8, bucket % LOW_32, true);
    this.pending.setUint32(at + 12, Math.floor(bucket / LOW_32), true);
    this.pendingCount++;
  }

  /** Call last in the write: logs the ids it stored for the other connections, and trims the log. */
  endWrite(): void {
    this.insertUnwritten();
    if (this.pendingCount === 0) return;
    const bytes = Buffer.from(this.pending.buffer.slice(0, this.pendingCount * LOG_ENTRY));
    this.pendingCount = 0;
    const seq = Number(this.append.run(this.writer, bytes).lastInsertRowid);
    if (seq > LOG_KEPT) this.trim.run(seq - LOG_KEPT);
  }

  /** Inserts the rows stored since the last statement call, one call each. */
  private insertUnwritten(): void {
    const unwritten = this.unwritten;
    for (let row = 0; row < this.unwrittenCount; row++) this.insert.run(unwritten[2 * row] as number, unwritten[2 * row + 1] as string);
    this.unwrittenCount = 0;
  }

  private remember(hash: TextHash, bucket: number): void {
    if (bucket < this.lowest) this.lowest = bucket;
    if (bucket > this.highest) this.highest = bucket;
    this.fingerprints!.add(hash, bucket);
  }

  private addLogged(entry: Buffer): void {
    const hash = new TextHash();
    for (let at = 0; at + LOG_ENTRY <= entry.length; at += LOG_ENTRY) {
      hash.first = entry.readUInt32LE(at);
      hash.second = entry.readUInt32LE(at + 4);
      this.remember(hash, entry.readUInt32LE(at + 12) * LOW_32 + entry.readUInt32LE(at + 8));
    }
  }

  /** Scans every stored id into new fingerprints; the log is then read from its newest entry on. */
  private build(): void {
    // Through a small page cache: with the connection's own (32 MB) the scans' pages stayed in the
    // process's memory after them (+33 MiB RSS at 770,000 ids: freed to malloc, which kept them).
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = ${SCAN_CACHE_KIB}`);
    try {
      const fingerprints = new FingerprintSet(this.countIds.get()!, this.foldLimit);
      const hash = new TextHash();
      let lowest = Infinity;
      let highest = -Infinity;
      for (const [bucket, text] of this.everyId.iterate()) {
        fingerprints.add(hash.of(text), bucket);
        if (bucket < lowest) lowest = bucket;
        if (bucket > highest) highest = bucket;
      }
      this.fingerprints = fingerprints;
      this.lowest = lowest;
      this.highest = highest;
      this.seenSeq = this.logHead.get()!.hi ?? 0;
    } finally {
      this.db.pragma(`cache_size = ${cacheSize}`);
    }
  }
}
