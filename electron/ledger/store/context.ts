import type { Database, Transaction } from 'better-sqlite3';
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
  readonly localModels: LocalModels;
  /** Pricing from the bundled catalogue where the user has no price; off only for benchmarks and tests. */
  catalogue: CatalogueMatcher | null = new CatalogueMatcher();
  readonly channels: ChannelDirectory;
  readonly prices: PriceBook;
  readonly rollups: RollupWriter;
  readonly coverage: Coverage;
  readonly ids: RequestIds;
  /** One wrapper for every write: better-sqlite3 builds a new one per db.transaction() call (~4 µs). */
  private readonly transaction: Transaction<(work: () => unknown) => unknown>;

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
    this.channels = new ChannelDirectory(db, this.apiTypes);
    this.localModels = new LocalModels(db, this.channels);
    this.prices = new PriceBook(db, this.currencies);
    this.rollups = new RollupWriter(db, calendar);
    this.coverage = new Coverage(db);
    this.ids = new RequestIds(db);
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
      // Nested inside another write this is a savepoint, as before.
      return this.transaction.immediate(work) as T;
    } catch (error) {
      this.models.forget();
      this.sources.forget();
      this.apiTypes.forget();
      this.currencies.forget();
      this.providers.forget();
      this.priceSources.forget();
    this.projects.forget();
    this.branches.forget();
      this.channels.forget();
      this.localModels.forget();
      this.ids.reload();
      this.prices.reload();
      throw error;
    }
  }
}
