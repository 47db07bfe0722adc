import { Counter, Gauge, Registry } from 'prom-client';
import type { CircuitStateName } from '../../../shared/schemas/circuit.js';
import type { MetricsSnapshot } from './snapshot.js';

/** The circuit states as numbers, the order an alert rule compares with (> 0: not closed). */
export const CIRCUIT_STATE_VALUE: Record<CircuitStateName, number> = { closed: 0, half_open: 1, open: 2 };

/** OpenTelemetry GenAI's token types (`gen_ai.token.type`), ours for the cache. */
const TOKEN_TYPES = [
  ['input', 'inputTokens'],
  ['output', 'outputTokens'],
  ['cache_read', 'cacheReadTokens'],
  ['cache_write', 'cacheWriteTokens'],
] as const;

const MODEL = 'gen_ai_request_model';

/**
 * A private registry whose metrics fill themselves from the snapshot of the scrape in progress
 * (prom-client's `collect` callbacks): nothing is counted in memory, so a restart resets nothing and
 * every figure is the ledger's own all-time total.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private snapshot: MetricsSnapshot | null = null;

  constructor() {
    const registers = [this.registry];
    const current = (): MetricsSnapshot | null => this.snapshot;

    new Counter({
      name: 'modelmeter_requests_total',
      help: 'LLM requests in the ledger, by model and outcome (success or failure).',
      labelNames: [MODEL, 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const model of current()?.models ?? []) {
          this.inc({ [MODEL]: model.model, outcome: 'success' }, model.requests - model.failures);
          this.inc({ [MODEL]: model.model, outcome: 'failure' }, model.failures);
        }
      },
    });
    new Counter({
      name: 'modelmeter_tokens_total',
      help: 'Tokens in the ledger, by model and token type (input, output, cache_read, cache_write).',
      labelNames: [MODEL, 'gen_ai_token_type'],
      registers,
      collect() {
        this.reset();
        for (const model of current()?.models ?? []) {
          for (const [type, field] of TOKEN_TYPES) this.inc({ [MODEL]: model.model, gen_ai_token_type: type }, model[field]);
        }
      },
    });
    new Counter({
      name: 'modelmeter_cost_total',
      help: 'Cost of the priced requests and runtime in the ledger, in the currency\'s main unit, by model and currency.',
      labelNames: [MODEL, 'currency'],
      registers,
      collect() {
        this.reset();
        for (const model of current()?.models ?? []) {
          for (const [currency, amount] of Object.entries(model.cost)) this.inc({ [MODEL]: model.model, currency }, amount);
        }
      },
    });
    new Counter({
      name: 'modelmeter_runtime_seconds_total',
      help: 'Seconds each local model has been running (sum over its runs).',
      labelNames: [MODEL],
      registers,
      collect() {
        this.reset();
        for (const model of current()?.models ?? []) this.inc({ [MODEL]: model.model }, model.runtimeSeconds);
      },
    });
    new Gauge({
      name: 'modelmeter_model_running',
      help: '1 while the model is running, else 0.',
      labelNames: [MODEL],
      registers,
      collect() {
        this.reset();
        for (const model of current()?.models ?? []) this.set({ [MODEL]: model.model }, model.running ? 1 : 0);
      },
    });
    new Gauge({
      name: 'modelmeter_circuit_state',
      help: 'Circuit-breaker state per upstream channel: 0 closed, 1 half-open, 2 open.',
      labelNames: ['metrics_key', 'api_type', 'channel_label'],
      registers,
      collect() {
        this.reset();
        for (const circuit of current()?.circuits ?? []) {
          this.set({ metrics_key: circuit.metricsKey, api_type: circuit.apiType, channel_label: circuit.label ?? '' }, CIRCUIT_STATE_VALUE[circuit.state]);
        }
      },
    });
    new Gauge({
      name: 'modelmeter_budget_spent_ratio',
      help: 'Spent / amount of each enabled budget in its current period (1 = the whole budget).',
      labelNames: ['budget_id', 'budget_name', 'currency', 'period'],
      registers,
      collect() {
        this.reset();
        for (const budget of current()?.budgets ?? []) {
          if (!budget.enabled) continue;
          this.set({ budget_id: budget.id, budget_name: budget.name, currency: budget.currency, period: budget.period }, budget.status.spent / budget.amount);
        }
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of one snapshot. */
  async render(snapshot: MetricsSnapshot): Promise<string> {
    this.snapshot = snapshot;
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = null;
    }
  }
}
