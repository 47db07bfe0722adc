import { machineCalendar, type DayCalendar } from '../time/day-calendar.js';
import { openDatabase, type Database, type OpenOptions } from './database.js';
import { CircuitStore } from './circuits.js';
import { ConfigStore } from './config-store.js';
import { SavingsStore } from './savings-store.js';
import { StoreContext } from './context.js';
import { ForwardedRuns } from './forwarded-runs.js';
import { HostList } from './host-list.js';
import { Maintenance } from './maintenance.js';
import { UsageRemoval } from './usage-removal.js';
import { PendingDeletions } from './pending-deletions.js';
import { PendingRepricing } from './pending-repricing.js';
import { PricingStore } from './pricing-store.js';
import { ProjectList } from './project-list.js';
import { Reports } from './reports.js';
import { Repricer } from './repricing.js';
import { RequestLog } from './request-log.js';
import { RequestWriter } from './request-writer.js';
import { ProgramRunStore, RunStore } from './runs.js';
import { SettingsStore } from './settings-store.js';
import { UsageQuery } from './usage-query.js';

/**
 * The store: one SQLite connection and the parts that read and write it. Only the service talks to
 * it; it knows nothing of HTTP, IPC or Electron.
 */
export class Ledger {
  readonly ctx: StoreContext;
  readonly requests: RequestWriter;
  readonly requestLog: RequestLog;
  readonly usage: UsageQuery;
  readonly runs: RunStore;
  readonly programRuns: ProgramRunStore;
  readonly circuits: CircuitStore;
  readonly pricing: PricingStore;
  readonly reports: Reports;
  readonly maintenance: Maintenance;
  readonly settings: SettingsStore;
  readonly config: ConfigStore;
  readonly savings: SavingsStore;
  readonly projects: ProjectList;
  /** Runs forwarded by other ModelMeters, upserted by (host, origin id). */
  readonly forwardedRuns: ForwardedRuns;
  readonly hosts: HostList;
  readonly repricer: Repricer;
  readonly removal: UsageRemoval;
  readonly pendingDeletions: PendingDeletions;
  readonly pendingRepricing: PendingRepricing;

  private constructor(
    readonly db: Database,
    now: () => number,
    calendar: DayCalendar | undefined,
  ) {
    this.ctx = new StoreContext(db, now, calendar ?? machineCalendar(), db.readonly);
    this.requests = new RequestWriter(this.ctx);
    this.requestLog = new RequestLog(this.ctx);
    this.usage = new UsageQuery(this.ctx);
    this.runs = new RunStore(this.ctx);
    this.programRuns = new ProgramRunStore(this.ctx);
    this.circuits = new CircuitStore(this.ctx);
    this.repricer = new Repricer(this.ctx);
    this.removal = new UsageRemoval(this.ctx);
    this.pendingDeletions = new PendingDeletions(this.ctx);
    this.pricing = new PricingStore(this.ctx, this.repricer);
    this.pendingRepricing = new PendingRepricing(this.ctx);
    this.reports = new Reports(this.ctx, this.usage, this.runs);
    this.maintenance = new Maintenance(this.ctx, this.circuits);
    this.config = new ConfigStore(this.ctx);
    this.settings = new SettingsStore(this.ctx, this.config);
    this.savings = new SavingsStore(this.ctx, this.config);
    this.projects = new ProjectList(this.ctx);
    this.forwardedRuns = new ForwardedRuns(this.ctx, this.runs);
    this.hosts = new HostList(this.ctx);
  }

  static open(file: string, options: OpenOptions & { now?: () => number; calendar?: DayCalendar } = {}): Ledger {
    const db = openDatabase(file, options);
    try {
      return new Ledger(db, options.now ?? Date.now, options.calendar);
    } catch (error) {
      // Setting up writes (StoreContext aligns the day rollups): a busy database must not leak the connection.
      db.close();
      throw error;
    }
  }

  write<T>(work: () => T): T {
    return this.ctx.write(work);
  }

  close(): void {
    if (!this.db.open) return;
    if (this.db.readonly) {
      this.db.close();
      return;
    }
    // Fold the WAL back into the main file so the folder holds one self-contained database.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
