import type { Budget, Circuit, Money, ModelSummary, Summary } from '../../../shared/types.js';
import { MAX_TIME_MS, MIN_TIME_MS } from '../../../shared/schemas/time.js';

/** The label that stands for every model past the cardinality limit. */
export const OTHER_MODEL = 'other';

/** The whole ledger: what GET /summary?from=0&to=7258118400000 answers, so /metrics equals it. */
export const ALL_TIME = { from: MIN_TIME_MS, to: MAX_TIME_MS } as const;

/** One model's all-time figures as exposed (a real model, or the sum of the rest as "other"). */
export interface ModelFigures {
  model: string;
  requests: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  runtimeSeconds: number;
  running: boolean;
  cost: Money;
}

/** What one scrape shows; read once per scrape so every series comes from the same moment. */
export interface MetricsSnapshot {
  models: ModelFigures[];
  circuits: Circuit[];
  /** Null when this build has no budgets. */
  budgets: Budget[] | null;
}

/** What the snapshot is read through: the data API, as any client would read it. */
export interface MetricsReads {
  getSummary(query: { from: number; to: number }): Promise<Summary>;
  listCircuits(query: Record<string, never>): Promise<Circuit[]>;
  listBudgets?(): Promise<Budget[]>;
}

function figures(model: ModelSummary): ModelFigures {
  return {
    model: model.model,
    requests: model.requests,
    failures: model.failures,
    inputTokens: model.inputTokens,
    outputTokens: model.outputTokens,
    cacheReadTokens: model.cacheReadTokens,
    cacheWriteTokens: model.cacheWriteTokens,
    runtimeSeconds: model.runtimeSeconds,
    running: model.running,
    cost: { ...(model.cost ?? {}) },
  };
}

/**
 * Bounds the label cardinality: the `limit` models with the most requests (then the most runtime,
 * then by name, so the choice is stable between scrapes) keep their label; the rest are summed into
 * one "other" series, which is "running" when any of them runs.
 */
export function bucketModels(models: readonly ModelSummary[], limit: number): ModelFigures[] {
  const ranked = [...models].sort((a, b) => b.requests - a.requests || b.runtimeSeconds - a.runtimeSeconds || (a.model < b.model ? -1 : 1));
  const kept = ranked.slice(0, limit).map(figures);
  const rest = ranked.slice(limit);
  if (rest.length === 0) return kept;
  const other: ModelFigures = {
    model: OTHER_MODEL,
    requests: 0,
    failures: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    runtimeSeconds: 0,
    running: false,
    cost: {},
  };
  for (const model of rest) {
    other.requests += model.requests;
    other.failures += model.failures;
    other.inputTokens += model.inputTokens;
    other.outputTokens += model.outputTokens;
    other.cacheReadTokens += model.cacheReadTokens;
    other.cacheWriteTokens += model.cacheWriteTokens;
    other.runtimeSeconds += model.runtimeSeconds;
    other.running ||= model.running;
    for (const [currency, amount] of Object.entries(model.cost ?? {})) other.cost[currency] = (other.cost[currency] ?? 0) + amount;
  }
  return [...kept, other];
}

/** Reads the all-time figures, the circuits and (where the build has them) the budgets. */
export async function readSnapshot(reads: MetricsReads, maxModels: number): Promise<MetricsSnapshot> {
  const [summary, circuits, budgets] = await Promise.all([
    reads.getSummary({ ...ALL_TIME }),
    reads.listCircuits({}),
    reads.listBudgets ? reads.listBudgets() : Promise.resolve(null),
  ]);
  return { models: bucketModels(summary.models, maxModels), circuits, budgets };
}
