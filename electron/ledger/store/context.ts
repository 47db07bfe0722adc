import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { machineCalendar, type DayCalendar } from '../time/day-calendar.js';
import { ChannelDirectory } from './channels.js';
import { Coverage } from './coverage.js';
import { CatalogueMatcher } from '../pricing/catalogue.js';
import { Dictionary } from './dictionaries.js';
import { LocalModels } from './local-models.js';
import { PriceBook } from './price-book.js';
import { RequestIds } from './request-ids.js';
import { alignDayRollups } from './day-rollups.js';
import { RollupWriter } from './rollups.js';

/**
 * Turns between two writing connections of one process (the main thread and the writer thread,
 * electron/ledger/ingest/writer/): the outermost write transaction enters before BEGIN and leaves after
 * COMMIT, so the other side wakes the moment the lock is free instead of sleeping in SQLite's busy
 * handler. SQLite's locking still decides; a gate only shortens the wait.
 */
export interface WriteGate {
  enter(): void;
  /** enter() without blocking the event loop (see StoreContext.writeWhenFree). */
  enterAsync(): Promise<void>;
  leave(): void;
}

/** How often the slices of a long write wait for the writer thread's checkpoint (StoreContext.betweenWrites). */
const CHECKPOINT_GAP_MS = 250;

/** The writer thread seen from the main connection: it folds the WAL into the file, which the main connection then does not. */
export interface Checkpointer {
  /** Resolves once the thread has folded in what was committed before the call. */
  checkpoint(): Promise<void>;
}

/** What every part of the store shares: the connection and the in-memory mirrors of small tables. */
export class StoreContext {
  readonly models: Dictionary;
  readonly sources: Dictionary;
  readonly apiTypes: Dictionary;
  readonly currencies: Dictionary;
  readonly providers: Dictionary;
  readonly priceSources: Dictionary;
  readonly projects: Dictionary;
  readonly branches: Dictionary;
  /** Machines that forwarded records here (this machine itself is never in it: its rows hold NULL). */
  readonly hosts: Dictionary;
  readonly localModels: LocalModels;
  /** Set while a writer thread shares the file (see WriteGate). */
  gate: WriteGate | null = null;
  /** Set while a writer thread checkpoints for this connection (see Checkpointer). */
  checkpointer: Checkpointer | null = null;
  /** Pricing from the bundled catalogue where the user has no price; off only for benchmarks and tests. */
  catalogue: CatalogueMatcher | null = new CatalogueMatcher();
  readonly channels: ChannelDirectory;
  readonly prices: PriceBook;
  readonly rollups: RollupWriter;
  readonly coverage: Coverage;
  readonly ids: RequestIds;
  /** One wrapper for every write: better-sqlite3 builds a new one per db.transaction() call (~4 µs). */
  private readonly transaction: Transaction<(work: () => unknown) => unknown>;
  /**
   * PRAGMA data_version when the mirrors were last known good: it moves when another connection (the
   * writer thread, electron/ledger/ingest/writer/, or the main connection seen from there) commits.
   */
  private readonly dataVersion: Statement<[], number>;
  private mirrorsAt: number;

  constructor(
    readonly db: Database,
    readonly now: () => number = Date.now,
    readonly calendar: DayCalendar = machineCalendar(),
    /** A reader's context (electron/ledger/reads/): it never writes, so it aligns nothing either. */
    readonly readonly = false,
  ) {
    this.models = new Dictionary(db, 'models', now);
    this.sources = new Dictionary(db, 'sources', now);
    this.apiTypes = new Dictionary(db, 'api_types', now);
    this.currencies = new Dictionary(db, 'currencies', now);
    this.providers = new Dictionary(db, 'providers', now);
    this.priceSources = new Dictionary(db, 'price_sources', now);
    this.projects = new Dictionary(db, 'projects', now);
    this.branches = new Dictionary(db, 'branches', now);
    this.hosts = new Dictionary(db, 'hosts', now);
    this.channels = new ChannelDirectory(db, this.apiTypes);
    this.localModels = new LocalModels(db, this.channels);
    this.prices = new PriceBook(db, this.currencies);
    this.rollups = new RollupWriter(db, calendar);
    this.coverage = new Coverage(db);
    this.ids = new RequestIds(db);
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.mirrorsAt = this.dataVersion.get()!;
    this.transaction = db.transaction((work: () => unknown) => work());
    if (!readonly) this.write(() => alignDayRollups(db, calendar, this.coverage.rawFrom));
  }

  /**
   * Drops the mirrors of small tables so they are read again: a reader calls it when the writer (another
   * connection) committed since it last looked.
   */
  refreshMirrors(): void {
    this.models.forget();
    this.sources.forget();
    this.apiTypes.forget();
    this.currencies.forget();
    this.providers.forget();
    this.priceSources.forget();
    this.projects.forget();
    this.branches.forget();
    this.hosts.forget();
    this.channels.forget();
    this.localModels.forget();
    this.prices.reload();
    this.coverage.refresh();
  }

  /**
   * Runs `work` in one IMMEDIATE transaction. If it fails, the in-memory mirrors are dropped so they
   * cannot keep ids of rows that were rolled back.
   */
  write<T>(work: () => T): T {
    if (this.readonly) throw new Error('this store connection is read-only');
    try {
      // Nested inside another write this is a savepoint, as before; only the outermost one checks the
      // mirrors (a savepoint already runs on coherent ones).
      if (this.db.inTransaction) return this.transaction.immediate(work) as T;
      const gate = this.gate;
      gate?.enter();
      try {
        return this.transaction.immediate(() => {
          this.syncMirrors();
          return work();
        }) as T;
      } finally {
        gate?.leave();
      }
    } catch (error) {
      this.models.forget();
      this.sources.forget();
      this.apiTypes.forget();
      this.currencies.forget();
      this.providers.forget();
      this.priceSources.forget();
      this.projects.forget();
      this.branches.forget();
      this.hosts.forget();
      this.channels.forget();
      this.localModels.forget();
      this.ids.reload();
      this.prices.reload();
      throw error;
    }
  }

  /**
   * What runs between the transactions of a long write (a deletion's or re-pricing's slices): a turn of
   * the event loop, and, with a writer thread, every CHECKPOINT_GAP_MS its checkpoint of what they
   * committed. Folded in while the slices wait, the WAL starts over at the next slice rather than
   * growing by their every page (2 GB for a deletion of 5M requests when the thread checkpointed on a
   * timer beside them); not after every slice, which wrote the same pages into the file again and again
   * (a re-pricing of 1.9M requests took 20 % longer).
   */
  betweenWrites(): Promise<void> {
    const now = performance.now();
    if (this.checkpointer === null || now - this.checkpointedAt < CHECKPOINT_GAP_MS) return nextTurn();
    this.checkpointedAt = now;
    return this.checkpointer.checkpoint();
  }

  private checkpointedAt = -Infinity;

  /**
   * write(), once the other writing connection's transaction in progress (if any) has committed: for
   * async callers on the main thread, whose event loop must not sit waiting for the writer thread.
   */
  async writeWhenFree<T>(work: () => T): Promise<T> {
    const gate = this.gate;
    if (gate === null || this.db.inTransaction) return this.write(work);
    await gate.enterAsync();
    try {
      return this.write(work);
    } finally {
      gate.leave();
    }
  }

  /**
   * Called first inside each outermost write transaction, where the write lock is held, so what it
   * reads is what the transaction builds on: when another connection on the same file committed since
   * (names, prices, runs, coverage, request ids), every mirror is read again. Two writers are
   * serialised by SQLite, so checking here is enough for both to see each other's rows.
   */
  private syncMirrors(): void {
    const version = this.dataVersion.get()!;
    if (version === this.mirrorsAt) return;
    this.refreshMirrors();
    this.ids.reload();
    this.mirrorsAt = version;
  }
}
