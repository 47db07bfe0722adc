import type { BudgetScope } from '../../../shared/schemas/budgets.js';
import type { HistoryQuery, SummaryQuery } from '../../../shared/schemas/queries.js';
import type { History, Money, ProxyRoute, Summary } from '../../../shared/types.js';
import { hasLocalWeightsName } from '../../ledger/store/local-models.js';
import type { Ledger } from '../../ledger/store/ledger.js';
import { fromNanos, versionAt } from '../../ledger/pricing/rules.js';
import type { TimeRange } from '../../ledger/time/ranges.js';
import { addMoney } from './currency.js';

/** The reads budgets are computed from: the same summary and history every view shows. */
export interface SpendReads {
  getSummary(query: SummaryQuery): Promise<Summary>;
  getHistory(query: HistoryQuery): Promise<History>;
  listRoutes(): Promise<ProxyRoute[]>;
}

/** A model priced by the hour in the scope: its runtime in the range and the hourly price in force now. */
export interface HourlyModel {
  model: string;
  runtimeSeconds: number;
  /** Null when the model has no hourly price in force now. */
  price: { currency: string; perHour: number } | null;
}

/** What a scope spent in a range, per currency, with the hourly-priced models apart (they forecast from runs). */
export interface ScopeSpend {
  /** Everything in scope, hourly cost included. */
  cost: Money;
  /** The part of `cost` from models priced by the hour (their runtime cost). */
  hourlyCost: Money;
  hourly: HourlyModel[];
}

const HOUR_SECONDS = 3600;

/**
 * Spend of a budget's scope over a range, read through the summary (model, project, local, cloud,
 * all: the summary already prices runtime of hourly models, so no cost maths is repeated here) or the
 * history filtered by channel (channel and route: requests only, since runs belong to no channel).
 */
export class ScopeSpendReader {
  constructor(
    private readonly ledger: Ledger,
    private readonly reads: SpendReads,
  ) {}

  async read(scope: BudgetScope, range: TimeRange): Promise<ScopeSpend> {
    if (scope.kind === 'channel') return { cost: await this.channelCost({ metricsKey: scope.metricsKey }, range), hourlyCost: {}, hourly: [] };
    if (scope.kind === 'route') return { cost: await this.routeCost(scope.route, range), hourlyCost: {}, hourly: [] };
    const query: SummaryQuery = { from: range.from, to: range.to };
    if (scope.kind === 'project') query.project = scope.project;
    const summary = await this.reads.getSummary(query);
    const out: ScopeSpend = { cost: {}, hourlyCost: {}, hourly: [] };
    for (const row of summary.models) {
      if (scope.kind === 'model' && row.model !== scope.model) continue;
      if (scope.kind === 'local' && !this.isLocal(row.model, row.pricingMethod)) continue;
      if (scope.kind === 'cloud' && this.isLocal(row.model, row.pricingMethod)) continue;
      addMoney(out.cost, row.cost);
      if (row.pricingMethod === 'hourly') {
        addMoney(out.hourlyCost, row.cost);
        out.hourly.push({ model: row.model, runtimeSeconds: row.runtimeSeconds, price: this.hourlyPrice(row.model) });
      }
    }
    return out;
  }

  /**
   * Local: a model with runs (a launcher served it), priced by the hour, or named like local weights.
   * Cloud: every other model.
   */
  private isLocal(model: string, pricingMethod: string | null): boolean {
    if (pricingMethod === 'hourly' || hasLocalWeightsName(model)) return true;
    const id = this.ledger.ctx.models.find(model);
    return id !== undefined && this.ledger.ctx.localModels.modelHasRuns(id);
  }

  private hourlyPrice(model: string): HourlyModel['price'] {
    const id = this.ledger.ctx.models.find(model);
    if (id === undefined) return null;
    const version = versionAt(this.ledger.ctx.prices.versions(id), this.ledger.ctx.now());
    if (!version || version.method !== 'hourly') return null;
    return { currency: version.currency, perHour: fromNanos(version.hourlyNanos) };
  }

  private async channelCost(filter: { metricsKey: string } | { baseUrl: string }, range: TimeRange): Promise<Money> {
    // One bucket per hour keeps the bucket count small for a month and never crosses the range's ends.
    const history = await this.reads.getHistory({ from: range.from, to: range.to, interval: HOUR_SECONDS, ...filter });
    const cost: Money = {};
    for (const bucket of history.buckets) addMoney(cost, bucket.cost);
    return cost;
  }

  /**
   * A proxy route's spend: its channels' requests. A channel whose key the app holds has a fixed
   * metricsKey; one that passes each client's key through is found by its base URL instead.
   */
  private async routeCost(name: string, range: TimeRange): Promise<Money> {
    const route = (await this.reads.listRoutes()).find((candidate) => candidate.name === name);
    const cost: Money = {};
    if (!route) return cost;
    const seen = new Set<string>();
    for (const channel of route.channels) {
      const filter = channel.metricsKey ? { metricsKey: channel.metricsKey } : { baseUrl: channel.baseUrl };
      const key = JSON.stringify(filter);
      if (seen.has(key)) continue;
      seen.add(key);
      addMoney(cost, await this.channelCost(filter, range));
    }
    return cost;
  }
}

/** Runtime-weighted hourly rate of the scope's hourly models, in `ms` of running per ms of wall time × price. */
export function hourlyRunRate(models: readonly HourlyModel[], windowMs: number): { currency: string; perMs: number }[] {
  const rates: { currency: string; perMs: number }[] = [];
  for (const model of models) {
    if (!model.price || windowMs <= 0) continue;
    const runningShare = (model.runtimeSeconds * 1000) / windowMs;
    rates.push({ currency: model.price.currency, perMs: (runningShare * model.price.perHour) / (HOUR_SECONDS * 1000) });
  }
  return rates;
}
