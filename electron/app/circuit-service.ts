import type { CircuitsBody } from '../../shared/api.js';
import { ApiError } from '../../shared/errors.js';
import { circuitUpdateSchema, MAX_CIRCUIT_UPDATES, type CircuitsResult, type CircuitUpdate } from '../../shared/schemas/circuit.js';
import { circuitEventsQuerySchema, circuitResetQuerySchema, circuitsQuerySchema, type CircuitEventsQuery, type CircuitsQuery } from '../../shared/schemas/queries.js';
import { metricsKeySchema } from '../../shared/schemas/request-record.js';
import type { Circuit, CircuitEvent } from '../../shared/types.js';
import { maskKey, metricsKey as computeMetricsKey, normalizeBaseUrl } from '../ledger/channels/metrics-key.js';
import { parseInput } from '../ledger/input/validation.js';
import { channelIdsOf } from '../ledger/reads/read-queries.js';
import { assertOrdered } from '../ledger/time/ranges.js';
import type { BreakerStepInput } from '../sources/ports.js';
import { DomainService } from './domain-service.js';

/** A circuit whose state a write changed, for the event announcing it. */
export interface CircuitChange {
  metricsKey: string;
  apiType: string;
  state: Circuit['state'];
}

/** Upstream channels' circuit states: reported by gateways, stepped by the proxy's breakers, reset by a person. */
export class CircuitService extends DomainService {
  async putCircuits(body: CircuitsBody | unknown): Promise<CircuitsResult> {
    const items = Array.isArray(body)
      ? body
      : body !== null && typeof body === 'object' && 'circuits' in body && Object.keys(body).length === 1
        ? (body as { circuits: unknown }).circuits
        : [body];
    if (!Array.isArray(items)) throw new ApiError('validation_failed', 'circuits must be an array', [{ field: 'circuits', reason: 'expected an array' }]);
    if (items.length > MAX_CIRCUIT_UPDATES) {
      throw new ApiError('payload_too_large', `one PUT holds at most ${MAX_CIRCUIT_UPDATES} circuit states; this one has ${items.length}`);
    }
    const updates = items.map((item, index) => {
      try {
        return parseInput(circuitUpdateSchema, item, 'circuit state');
      } catch (error) {
        if (error instanceof ApiError && items.length > 1) {
          throw new ApiError(error.code, `circuit ${index}: ${error.message}`, error.details?.map((d) => ({ ...d, index })));
        }
        throw error;
      }
    });
    const changed = this.ledger.write(() => this.writeUpdates(updates));
    this.announce(changed);
    return { updated: updates.length, changed: changed.length };
  }

  /**
   * Applies validated circuit states; call inside a write transaction (a forwarded batch writes them
   * with its runs), then announce() what changed once it is committed.
   */
  writeUpdates(updates: readonly CircuitUpdate[]): CircuitChange[] {
    const ledger = this.ledger;
    const now = this.now;
    const changed: CircuitChange[] = [];
    updates.forEach((update, index) => {
      const apiTypeId = ledger.ctx.apiTypes.ensure(update.apiType);
      let key = update.metricsKey;
      let meta: { baseUrl?: string; keyMask?: string; label?: string } = {};
      if (update.channel) {
        const baseUrl = normalizeBaseUrl(update.channel.baseUrl);
        if (update.channel.apiKey !== undefined) {
          key = computeMetricsKey(baseUrl, update.channel.apiKey);
          meta = { baseUrl, keyMask: maskKey(update.channel.apiKey) };
        } else {
          const found = ledger.ctx.channels.keyByMask(baseUrl, update.channel.keyMask!, apiTypeId);
          if (found === undefined) {
            throw new ApiError('not_found', `no known ${update.apiType} channel at ${baseUrl} with key ${update.channel.keyMask}; give the apiKey or the metricsKey`, [
              { index, field: 'channel', reason: 'unknown channel' },
            ]);
          }
          key = found;
        }
      }
      if (update.label !== undefined) meta.label = update.label;
      const channelId = ledger.ctx.channels.ensure(key!, apiTypeId, meta);
      const transition = ledger.circuits.set(channelId, update, update.ts ?? now, update.reason ?? null);
      if (transition) changed.push({ metricsKey: key!, apiType: update.apiType, state: transition.to });
    });
    return changed;
  }

  announce(changed: readonly CircuitChange[]): void {
    for (const change of changed) this.events.emit({ type: 'circuits', ...change });
  }

  async listCircuits(query: CircuitsQuery): Promise<Circuit[]> {
    const parsed = parseInput(circuitsQuerySchema, query, 'circuits query');
    if (parsed.apiType === undefined) return this.ledger.circuits.list();
    const apiTypeId = this.ledger.ctx.apiTypes.find(parsed.apiType);
    return apiTypeId === undefined ? [] : this.ledger.circuits.list(apiTypeId);
  }

  async listCircuitEvents(query: CircuitEventsQuery): Promise<CircuitEvent[]> {
    const parsed = parseInput(circuitEventsQuerySchema, query, 'circuit events query');
    assertOrdered(parsed.from, parsed.to);
    const filter: { channelIds?: number[]; from?: number; to?: number; limit: number } = { limit: parsed.limit };
    if (parsed.from !== undefined) filter.from = parsed.from;
    if (parsed.to !== undefined) filter.to = parsed.to;
    if (parsed.metricsKey !== undefined) filter.channelIds = this.channelIds(parsed.metricsKey, parsed.apiType);
    else if (parsed.apiType !== undefined) {
      const apiTypeId = this.ledger.ctx.apiTypes.find(parsed.apiType);
      filter.channelIds = apiTypeId === undefined ? [] : this.ledger.ctx.channels.idsOfApiType(apiTypeId);
    }
    return this.ledger.circuits.events(filter);
  }

  async resetCircuit(input: { metricsKey: string; apiType: string }): Promise<Circuit> {
    const { apiType } = parseInput(circuitResetQuerySchema, { apiType: input.apiType }, 'circuit reset');
    parseInput(metricsKeySchema, input.metricsKey, 'metricsKey');
    const [channelId] = this.channelIds(input.metricsKey, apiType);
    const circuit = channelId === undefined ? undefined : this.ledger.circuits.get(channelId);
    if (channelId === undefined || !circuit) {
      throw new ApiError('not_found', `no circuit for metricsKey ${input.metricsKey} and apiType ${apiType}`);
    }
    const transition = this.ledger.write(() => this.ledger.circuits.reset(channelId, this.now));
    if (transition) this.events.emit({ type: 'circuits', metricsKey: input.metricsKey, apiType, state: 'closed' });
    return this.ledger.circuits.get(channelId)!;
  }

  /** Channel ids of a metricsKey, in one api type or all of them. */
  private channelIds(metricsKey: string, apiType: string | undefined): number[] {
    return channelIdsOf(this.ledger.ctx, metricsKey, apiType);
  }

  /**
   * Persists the proxy's breaker steps in one write transaction: each makes sure its channel exists
   * (base URL, key mask, label) and, when it carries a state, stores it and logs a change of state.
   * A `circuits` event goes out for every change of state. Answers the changes, in order.
   */
  applyBreakerSteps(steps: readonly BreakerStepInput[]): { metricsKey: string; apiType: string; state: Circuit['state'] }[] {
    const ledger = this.ledger;
    const changed = ledger.write(() => {
      const out: { metricsKey: string; apiType: string; state: Circuit['state'] }[] = [];
      for (const step of steps) {
        const apiTypeId = ledger.ctx.apiTypes.ensure(step.apiType);
        const channelId = ledger.ctx.channels.ensure(step.metricsKey, apiTypeId, step.channel);
        if (!step.circuit) continue;
        const transition = ledger.circuits.set(channelId, step.circuit, step.ts, step.reason);
        if (transition) out.push({ metricsKey: step.metricsKey, apiType: step.apiType, state: transition.to });
      }
      return out;
    });
    for (const change of changed) this.events.emit({ type: 'circuits', ...change });
    return changed;
  }
}
