import type { LedgerApi } from '../../../../shared/api.js';
import type { LedgerEvent } from '../../../../shared/types.js';
import type { Budget } from '../../../../shared/types.js';
import { BUDGET_WARNING_PERCENT, type RunningModel, type TrayBudget } from './render-tray.js';

export interface TrayTarget {
  setTodayCost(cost: Record<string, number>): void;
  setRunningModels(models: RunningModel[]): void;
  setCircuits(open: number, halfOpen: number): void;
  setBudget(budget: TrayBudget | null): void;
  /** Machines with records here, this one included. */
  setMachines(count: number): void;
  tick(): void;
}

export interface TrayFeedOptions {
  service: Pick<LedgerApi, 'getSummary' | 'listRuns' | 'listBudgets' | 'listHosts'> & { events: { subscribe(listener: (event: LedgerEvent) => void): () => void } };
  target: TrayTarget;
  log: (message: string) => void;
  /** At most one reload per this many ms, however many events arrive. */
  throttleMs?: number;
  /** Runtimes in the menu move on this clock. */
  tickMs?: number;
  /** Budgets are also reloaded on this clock: hourly cost grows while no event arrives. */
  budgetRefreshMs?: number;
}

/** This machine plus every other that forwards here (listHosts names this one null). */
export function machineCount(hosts: readonly { name: string | null }[]): number {
  return 1 + new Set(hosts.flatMap((host) => (host.name === null ? [] : [host.name]))).size;
}

/** The enabled budget furthest through its amount, if it reached the warning level. */
export function trayBudget(budgets: readonly Budget[]): TrayBudget | null {
  let top: Budget | null = null;
  for (const budget of budgets) {
    if (!budget.enabled || budget.status.percent < BUDGET_WARNING_PERCENT) continue;
    if (!top || budget.status.percent > top.status.percent) top = budget;
  }
  return top ? { name: top.name, percent: top.status.percent } : null;
}

/**
 * Keeps the tray's numbers current: today's summary and the running runs, reloaded on ledger events
 * (throttled: a burst of ingests gives one reload at the end of the window), plus a slow tick so
 * runtimes advance while nothing else happens.
 */
export class TrayFeed {
  private unsubscribe: (() => void) | null = null;
  private pending: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private budgetTimer: NodeJS.Timeout | null = null;
  private lastLoad = 0;
  private loading: Promise<void> | null = null;
  /** Runs change only with run events (and deletes); a flood of request events needs no run list. */
  private runsStale = true;
  /**
   * Budget statuses cost a summary per budget: they are read again when a budget changes or alerts,
   * prices change, and on budgetRefreshMs (spend between thresholds, and hourly cost, shows within
   * that), not on every burst of requests.
   */
  private budgetsStale = true;
  /**
   * The machine count changes when a machine forwards here for the first time (a `hosts` event) or
   * data is deleted; request events mark it stale at most once per budgetRefreshMs, the pace the
   * budgets are read at, so a flood of forwarded requests never lists hosts on every burst.
   */
  private hostsStale = true;
  private hostsReadAt = 0;

  constructor(private readonly options: TrayFeedOptions) {}

  start(): Promise<void> {
    this.unsubscribe = this.options.service.events.subscribe((event) => {
      if (event.type === 'runs' || event.type === 'data') this.runsStale = true;
      if (event.type === 'budgets' || event.type === 'budget-alert' || event.type === 'pricing' || event.type === 'data') this.budgetsStale = true;
      if (event.type === 'hosts' || event.type === 'data') this.hostsStale = true;
      else if (event.type === 'requests' && Date.now() - this.hostsReadAt >= (this.options.budgetRefreshMs ?? 60_000)) this.hostsStale = true;
      this.schedule();
    });
    this.ticker = setInterval(() => this.options.target.tick(), this.options.tickMs ?? 30_000);
    this.budgetTimer = setInterval(() => {
      this.budgetsStale = true;
      this.schedule();
    }, this.options.budgetRefreshMs ?? 60_000);
    return this.refresh();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.pending) clearTimeout(this.pending);
    if (this.ticker) clearInterval(this.ticker);
    if (this.budgetTimer) clearInterval(this.budgetTimer);
    this.pending = this.ticker = this.budgetTimer = null;
  }

  private schedule(): void {
    if (this.pending) return;
    const wait = Math.max(0, this.lastLoad + (this.options.throttleMs ?? 2_000) - Date.now());
    this.pending = setTimeout(() => {
      this.pending = null;
      void this.refresh();
    }, wait);
  }

  async refresh(): Promise<void> {
    // One load at a time; events during it are picked up by the next scheduled one.
    if (this.loading) return this.loading;
    this.lastLoad = Date.now();
    this.loading = this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const { service, target } = this.options;
    const reloadRuns = this.runsStale;
    const reloadBudgets = this.budgetsStale;
    const reloadHosts = this.hostsStale;
    this.runsStale = this.budgetsStale = this.hostsStale = false;
    if (reloadHosts) {
      this.hostsReadAt = Date.now();
      // Apart from the rest: a ledger that cannot list hosts still shows today's numbers.
      void service.listHosts().then(
        (hosts) => target.setMachines(machineCount(hosts)),
        (error: unknown) => this.options.log(`tray: cannot list machines: ${(error as Error).message}`),
      );
    }
    try {
      const [summary, runs, budgets] = await Promise.all([
        service.getSummary({ range: 'today' }),
        reloadRuns ? service.listRuns({ limit: 1_000 }) : null,
        reloadBudgets ? service.listBudgets() : null,
      ]);
      target.setTodayCost(summary.totals.cost);
      target.setCircuits(summary.circuits.open, summary.circuits.half_open);
      if (budgets) target.setBudget(trayBudget(budgets));
      if (!runs) return;
      const since = new Map<string, number>();
      for (const run of runs) {
        if (!run.running) continue;
        since.set(run.model, Math.min(since.get(run.model) ?? run.start, run.start));
      }
      target.setRunningModels([...since].map(([model, start]) => ({ model, since: start })).sort((a, b) => a.model.localeCompare(b.model)));
    } catch (error) {
      if (reloadRuns) this.runsStale = true;
      if (reloadBudgets) this.budgetsStale = true;
      this.options.log(`tray: cannot load today's numbers: ${(error as Error).message}`);
    }
  }
}
