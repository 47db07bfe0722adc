import type { Statement } from 'better-sqlite3';
import type { CircuitStateName } from '../../../shared/schemas/circuit.js';
import type { HistoryGroupBy } from '../../../shared/schemas/queries.js';
import { projectName } from '../../../shared/project-name.js';
import type { HistoryBucket, HostSummary, ModelSummary, Money, ProjectSummary, Summary, UsageTotals } from '../../../shared/types.js';
import { fromNanos, versionAt } from '../pricing/rules.js';
import { bucketStarts, isCalendarInterval } from '../time/buckets.js';
import type { TimeRange } from '../time/ranges.js';
import type { StoreContext } from './context.js';
import { HistoryGrid, type CellTotals, type HistoryRow } from './history-grid.js';
import { RawEdges } from './raw-edges.js';
import { S_CACHE_READ, S_CACHE_WRITE, S_COST, S_FAILURES, S_INPUT, S_OUTPUT, S_REQUESTS } from './rollups.js';
import type { RunStore } from './runs.js';
import { runtimeCells } from './runtime.js';
import type { UsageFilter, UsageQuery } from './usage-query.js';

/** Totals being summed, with cost kept in exact nanos per currency id until the end. */
class Accumulator implements CellTotals {
  requests = 0;
  failures = 0;
  inputTokens = 0;
  outputTokens = 0;
  cacheReadTokens = 0;
  cacheWriteTokens = 0;
  unpricedRequests = 0;
  runtimeMs = 0;
  /**
   * The first currency's cost in two fields, a Map only from a second one: a month of hourly cells by
   * model is ~36,000 accumulators alive at once, and a Map each was a third of their memory (all of it
   * copied by every scavenge while the grid is summed).
   */
  private currencyId = 0;
  private nanos = 0;
  private more: Map<number, number> | null = null;

  /** Made when read (once per cell, as the answer is shaped): short-lived, unlike the cell. */
  get costNanos(): ReadonlyMap<number, number> {
    if (this.currencyId === 0) return NO_COSTS;
    const costs = new Map([[this.currencyId, this.nanos]]);
    if (this.more !== null) for (const [currency, nanos] of this.more) costs.set(currency, nanos);
    return costs;
  }

  addSums(currencyId: number, sums: readonly number[]): void {
    this.requests += sums[S_REQUESTS]!;
    this.failures += sums[S_FAILURES]!;
    this.inputTokens += sums[S_INPUT]!;
    this.outputTokens += sums[S_OUTPUT]!;
    this.cacheReadTokens += sums[S_CACHE_READ]!;
    this.cacheWriteTokens += sums[S_CACHE_WRITE]!;
    if (currencyId === 0) this.unpricedRequests += sums[S_REQUESTS]!;
    else this.addCost(currencyId, sums[S_COST]!);
  }

  addCost(currencyId: number, nanos: number): void {
    if (this.currencyId === 0 || this.currencyId === currencyId) {
      this.currencyId = currencyId;
      this.nanos += nanos;
      return;
    }
    this.more ??= new Map();
    this.more.set(currencyId, (this.more.get(currencyId) ?? 0) + nanos);
  }

  merge(other: Accumulator): void {
    this.requests += other.requests;
    this.failures += other.failures;
    this.inputTokens += other.inputTokens;
    this.outputTokens += other.outputTokens;
    this.cacheReadTokens += other.cacheReadTokens;
    this.cacheWriteTokens += other.cacheWriteTokens;
    this.unpricedRequests += other.unpricedRequests;
    this.runtimeMs += other.runtimeMs;
    for (const [currency, nanos] of other.costNanos) this.addCost(currency, nanos);
  }

  totals(money: (nanos: ReadonlyMap<number, number>) => Money): UsageTotals {
    return withTotals({}, this, money);
  }
}

/**
 * `head` with `totals` set after its own keys, in UsageTotals' order: a history row built in one
 * object (`{ ts, model, ...totals }` made two per cell, 1,550 cells for a month by model).
 */
function withTotals<T extends object>(head: T, totals: CellTotals, money: (nanos: ReadonlyMap<number, number>) => Money): T & UsageTotals {
  const row = head as T & UsageTotals;
  row.requests = totals.requests;
  row.failures = totals.failures;
  row.inputTokens = totals.inputTokens;
  row.outputTokens = totals.outputTokens;
  row.cacheReadTokens = totals.cacheReadTokens;
  row.cacheWriteTokens = totals.cacheWriteTokens;
  row.unpricedRequests = totals.unpricedRequests;
  row.runtimeSeconds = totals.runtimeMs / 1000;
  row.cost = money(totals.costNanos);
  return row;
}

const NO_COSTS: ReadonlyMap<number, number> = new Map();

export interface HistoryRequest {
  range: TimeRange;
  intervalSeconds: number;
  filter: UsageFilter;
  /** Runtime and hourly cost only make sense unfiltered by channel or api type. */
  includeRuntime: boolean;
  /**
   * One row per model, per project (null = none; runs, having no project, are left out), per host (null =
   * this machine, each with its own runs) or per channel (null = none, with the runs: they go through
   * no channel); null: a single row.
   */
  groupBy: HistoryGroupBy | null;
}

/** Builds the summary and history answers from usage sums and runs. */
export class Reports {
  constructor(
    private readonly ctx: StoreContext,
    private readonly usage: UsageQuery,
    private readonly runs: RunStore,
  ) {
    this.anyHost = ctx.db.prepare('SELECT 1 FROM hosts LIMIT 1');
  }

  private readonly versionsOf = (modelId: number) => this.ctx.prices.versions(modelId);
  /** Prepared once: preparing it per summary cost ~0.1 ms, 5 % of a summary of today. */
  private readonly anyHost: Statement;

  /**
   * `filter.projectId` narrows it to one project's requests (-1 matches none); runs belong to no
   * project, so a project-filtered summary has no runtime. `filter.hostId` narrows requests and runs
   * to one machine (0 = this one). `byHost` is there once any host has forwarded records here.
   */
  summary(range: TimeRange, circuits: Record<CircuitStateName, number>, filter: { projectId?: number; hostId?: number } = {}): Omit<Summary, 'converted'> {
    const now = this.ctx.now();
    const spec = { from: range.from, to: range.to, starts: [range.from], widthMs: null };
    const perModel = new Map<number, Accumulator>();
    const of = (modelId: number) => {
      let acc = perModel.get(modelId);
      if (!acc) perModel.set(modelId, (acc = new Accumulator()));
      return acc;
    };
    const perProject = new Map<number, Accumulator>();
    const usageFilter = {
      ...(filter.projectId === undefined ? {} : { projectId: filter.projectId }),
      ...(filter.hostId === undefined ? {} : { hostId: filter.hostId }),
    };
    // The raw rows at the range's edges are read once for the model rows and both splits.
    const edges = new RawEdges();
    const cells = this.usage.run(spec, usageFilter, { model: true }, undefined, edges);
    for (const cell of cells) of(cell.modelId).addSums(cell.currencyId, cell.sums);
    // Unfiltered, a split reads only its dimension's rollups; "none" is what the model cells hold
    // beyond them. Filtered by the same dimension, the cells already are the one value's. A split by
    // the other dimension of a filtered summary cannot be answered from the rollups and is left out.
    const split = (by: 'project' | 'host', own: number | undefined, other: number | undefined) =>
      other !== undefined ? null : own === undefined ? this.usage.run(spec, {}, { [by]: true }, cells, edges) : cells;
    const projectCells = split('project', filter.projectId, filter.hostId);
    for (const cell of projectCells ?? []) {
      let acc = perProject.get(cell.projectId);
      if (!acc) perProject.set(cell.projectId, (acc = new Accumulator()));
      acc.addSums(cell.currencyId, cell.sums);
    }
    const perHost = new Map<number, Accumulator>();
    const hostCells = this.hasHosts() ? split('host', filter.hostId, filter.projectId) : null;
    for (const cell of hostCells ?? []) {
      let acc = perHost.get(cell.hostId);
      if (!acc) perHost.set(cell.hostId, (acc = new Accumulator()));
      acc.addSums(cell.currencyId, cell.sums);
    }
    const running = this.runs.runningModelIds(filter.hostId);
    if (filter.projectId === undefined) {
      for (const cell of runtimeCells(this.runs.spans(range.from, range.to, undefined, filter.hostId), spec, now, true, this.versionsOf)) {
        const acc = of(cell.modelId);
        acc.runtimeMs += cell.runtimeMs;
        for (const [currency, nanos] of cell.costNanos) acc.addCost(currency, nanos);
      }
      for (const modelId of running) of(modelId);
    }

    const total = new Accumulator();
    const models: ModelSummary[] = [];
    for (const [modelId, acc] of perModel) {
      total.merge(acc);
      const current = versionAt(this.ctx.prices.versions(modelId), now);
      const totals = acc.totals((nanos) => this.money(nanos));
      let cost: Money | null = totals.cost;
      // Requests with no price in force are unpriced, never free: a model whose requests in the range
      // were all unpriced has no cost, even when it has a price now.
      if (acc.costNanos.size === 0) cost = current && acc.unpricedRequests === 0 ? { [current.currency]: 0 } : null;
      models.push({
        ...totals,
        model: this.ctx.models.nameOf(modelId),
        running: running.has(modelId),
        pricingMethod: current?.method ?? null,
        cost,
      });
    }
    models.sort((a, b) => b.requests - a.requests || b.runtimeSeconds - a.runtimeSeconds || a.model.localeCompare(b.model));
    const byProject: ProjectSummary[] = [];
    for (const [projectId, acc] of perProject) {
      const { runtimeSeconds: _runtime, ...totals } = acc.totals((nanos) => this.money(nanos));
      const project = projectId === 0 ? null : this.ctx.projects.nameOf(projectId);
      byProject.push({ project, name: project === null ? '' : projectName(project), ...totals });
    }
    byProject.sort((a, b) => b.requests - a.requests || (a.project ?? '').localeCompare(b.project ?? ''));
    const summary: Omit<Summary, 'converted'> = { from: range.from, to: range.to, totals: total.totals((nanos) => this.money(nanos)), models, circuits };
    if (projectCells !== null) summary.byProject = byProject;
    if (hostCells !== null) {
      const byHost: HostSummary[] = [];
      for (const [hostId, acc] of perHost) {
        const { runtimeSeconds: _runtime, ...totals } = acc.totals((nanos) => this.money(nanos));
        byHost.push({ host: hostId === 0 ? null : this.ctx.hosts.nameOf(hostId), ...totals });
      }
      // This machine first, then the others by requests.
      byHost.sort((a, b) => (a.host === null ? -1 : b.host === null ? 1 : b.requests - a.requests || a.host.localeCompare(b.host)));
      summary.byHost = byHost;
    }
    return summary;
  }

  /** Whether any machine has forwarded here (one indexed row read). */
  private hasHosts(): boolean {
    return this.anyHost.get() !== undefined;
  }

  /** A history summed, one row of cells per model, project or host: history() shapes it, so does the read worker's JSON. */
  historyGrid(request: HistoryRequest): HistoryGrid {
    const now = this.ctx.now();
    const { range, intervalSeconds } = request;
    const starts = bucketStarts(range, intervalSeconds);
    const spec = {
      from: range.from,
      to: range.to,
      starts,
      widthMs: isCalendarInterval(intervalSeconds) ? null : intervalSeconds * 1000,
    };
    const grid = new Map<number, Accumulator[]>();
    const row = (modelId: number) => {
      let accs = grid.get(modelId);
      if (!accs) grid.set(modelId, (accs = starts.map(() => new Accumulator())));
      return accs;
    };
    const { groupBy } = request;
    const byProject = groupBy === 'project';
    const byHost = groupBy === 'host';
    const byModel = groupBy === 'model';
    const byChannel = groupBy === 'channel';
    if (groupBy === null || byHost) row(0);
    for (const cell of this.usage.run(spec, request.filter, { model: byModel, project: byProject, host: byHost, channel: byChannel })) {
      row(byProject ? cell.projectId : byHost ? cell.hostId : cell.modelId)[cell.bucket]!.addSums(cell.currencyId, cell.sums);
    }
    if (request.includeRuntime && byHost) {
      // Each machine's runs in its own row.
      const spans = this.runs.spans(range.from, range.to, request.filter.modelId);
      const perHost = new Map<number, typeof spans>();
      for (const span of spans) {
        const hostId = span.hostId ?? 0;
        perHost.set(hostId, [...(perHost.get(hostId) ?? []), span]);
      }
      for (const [hostId, hostSpans] of perHost) {
        for (const cell of runtimeCells(hostSpans, spec, now, false, this.versionsOf)) {
          const acc = row(hostId)[cell.bucket]!;
          acc.runtimeMs += cell.runtimeMs;
          for (const [currency, nanos] of cell.costNanos) acc.addCost(currency, nanos);
        }
      }
    } else if (request.includeRuntime && !byProject) {
      const spans = this.runs.spans(range.from, range.to, request.filter.modelId, request.filter.hostId);
      for (const cell of runtimeCells(spans, spec, now, byModel, this.versionsOf)) {
        const acc = row(cell.modelId)[cell.bucket]!;
        acc.runtimeMs += cell.runtimeMs;
        for (const [currency, nanos] of cell.costNanos) acc.addCost(currency, nanos);
      }
    }
    const ids = [...grid.keys()].sort((a, b) => a - b);
    // Names once per row key, not once per cell.
    const rowOf = (id: number): HistoryRow => {
      const cells = grid.get(id)!;
      if (byChannel) {
        const channel = id === 0 ? undefined : this.ctx.channels.info(id);
        return { name: channel?.metricsKey ?? null, apiType: channel === undefined || channel.apiType === '' ? null : channel.apiType, cells };
      }
      if (byProject) return { name: id === 0 ? null : this.ctx.projects.nameOf(id), cells };
      if (byHost) return { name: id === 0 ? null : this.ctx.hosts.nameOf(id), cells };
      return { name: byModel ? this.ctx.models.nameOf(id) : null, cells };
    };
    return new HistoryGrid(starts, groupBy, ids.map(rowOf));
  }

  history(request: HistoryRequest): HistoryBucket[] {
    const grid = this.historyGrid(request);
    const money = (nanos: ReadonlyMap<number, number>) => this.money(nanos);
    const buckets: HistoryBucket[] = [];
    // One literal per shape, so every bucket of an answer shares one hidden class.
    const key = grid.key;
    grid.forEach((ts, row, totals) => {
      if (key === 'project') buckets.push(withTotals({ ts, project: row.name }, totals, money));
      else if (key === 'host') buckets.push(withTotals({ ts, host: row.name }, totals, money));
      else if (key === 'channel') buckets.push(withTotals({ ts, metricsKey: row.name, apiType: row.apiType ?? null }, totals, money));
      else buckets.push(key === 'model' ? withTotals({ ts, model: row.name! }, totals, money) : withTotals({ ts }, totals, money));
    });
    return buckets;
  }

  money(nanos: ReadonlyMap<number, number>): Money {
    const money: Money = {};
    for (const [currencyId, amount] of nanos) money[this.ctx.currencies.nameOf(currencyId)] = fromNanos(amount);
    return money;
  }
}
