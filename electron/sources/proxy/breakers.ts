import type { FailureClass } from '../../../shared/schemas/request-record.js';
import type { Circuit } from '../../../shared/types.js';
import { advance, closedBreaker, recordResult, type BreakerState, type BreakerStep } from '../../ledger/breaker/circuit-breaker.js';
import type { BreakerStepInput, CircuitStore, LedgerAccess } from '../ports.js';
import type { CircuitStateInput } from '../../ledger/store/circuits.js';

/** One upstream channel as the breakers know it: (metricsKey, apiType) plus what the UI shows. */
export interface ChannelRef {
  metricsKey: string;
  apiType: string;
  baseUrl: string;
  keyMask: string | null;
  label: string | null;
}

interface Entry {
  state: BreakerState;
  /** A half-open breaker lets one request through at a time: its probe. */
  probing: boolean;
  /** What the store holds, to write only what changed. */
  stored: CircuitStateInput;
  /** Whether this process already made sure the store knows the channel (base URL, key mask). */
  registered: boolean;
}

/** The right to send one request to a channel; hand it back with the result. */
export interface Lease {
  readonly ref: ChannelRef;
  readonly probe: boolean;
}

export interface BreakerRegistryOptions {
  now: () => number;
  log: (message: string) => void;
}

const entryKey = (metricsKey: string, apiType: string) => `${apiType} ${metricsKey}`;

function storedFields(state: BreakerState): CircuitStateInput {
  return {
    state: state.state,
    consecutiveFailures: state.consecutiveFailures,
    openedAt: state.openedAt,
    nextRetryAt: state.nextRetryAt,
    backoffLevel: state.backoffLevel,
  };
}

function sameStored(a: CircuitStateInput, b: CircuitStateInput): boolean {
  return (
    a.state === b.state &&
    a.consecutiveFailures === b.consecutiveFailures &&
    a.openedAt === b.openedAt &&
    a.nextRetryAt === b.nextRetryAt &&
    a.backoffLevel === b.backoffLevel
  );
}

function fromCircuit(circuit: Circuit): BreakerState {
  // The rolling window is not stored: after a restart it fills again from new results.
  return {
    state: circuit.state,
    consecutiveFailures: circuit.consecutiveFailures,
    openedAt: circuit.openedAt,
    nextRetryAt: circuit.nextRetryAt,
    backoffLevel: circuit.backoffLevel,
    window: [],
  };
}

/**
 * The proxy's circuit breakers, one per (metricsKey, apiType), on the pure rules of
 * electron/ledger/breaker/circuit-breaker.ts. Decisions are made in memory; what changed is written to the
 * store (state and transition log) right after, off the request's path, and every change of state
 * goes out as a `circuits` event. Changes made elsewhere (a manual reset, `PUT /circuits`) are
 * picked up from the store.
 */
export class BreakerRegistry {
  private readonly entries = new Map<string, Entry>();
  private pending: BreakerStepInput[] = [];
  private flushScheduled = false;
  private applying = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly service: LedgerAccess & CircuitStore,
    private readonly options: BreakerRegistryOptions,
  ) {}

  start(): void {
    for (const circuit of this.service.ledger.circuits.list()) {
      const state = fromCircuit(circuit);
      this.entries.set(entryKey(circuit.metricsKey, circuit.apiType), { state, probing: false, stored: storedFields(state), registered: false });
    }
    this.unsubscribe = this.service.events.subscribe((event) => {
      if (this.applying) return;
      if (event.type === 'circuits') this.reload(event.metricsKey, event.apiType);
      else if (event.type === 'data' && (event.reason === 'channels-deleted' || event.reason === 'import')) this.entries.clear();
    });
  }

  /** Writes what is still queued; the caller closes the ledger after. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.flush();
  }

  /**
   * The channels to try, by priority: those whose breaker lets a request through. When none does,
   * the one whose retry time comes first, as a probe (`forced`).
   */
  plan(refs: readonly ChannelRef[]): { order: ChannelRef[]; forced: boolean } {
    const now = this.options.now();
    const order: ChannelRef[] = [];
    let nearest: { ref: ChannelRef; at: number } | null = null;
    for (const ref of refs) {
      const entry = this.entry(ref);
      const state = advance(entry.state, now).state;
      if (state.state === 'closed' || (state.state === 'half_open' && !entry.probing)) order.push(ref);
      else {
        const at = state.nextRetryAt ?? now;
        if (nearest === null || at < nearest.at) nearest = { ref, at };
      }
    }
    if (order.length > 0 || nearest === null) return { order, forced: false };
    return { order: [nearest.ref], forced: true };
  }

  /**
   * Takes the right to send a request to a channel now, or null when its breaker no longer allows
   * it (it opened, or another request is its half-open probe). `force` probes an open channel.
   */
  acquire(ref: ChannelRef, force = false): Lease | null {
    const now = this.options.now();
    const entry = this.entry(ref);
    this.apply(ref, entry, advance(entry.state, now), now);
    if (entry.state.state === 'open' && force) {
      this.apply(ref, entry, { state: { ...entry.state, state: 'half_open' }, transition: { from: 'open', to: 'half_open', reason: 'probe: every channel of the route is open' } }, now);
    }
    switch (entry.state.state) {
      case 'closed':
        return { ref, probe: false };
      case 'half_open':
        if (entry.probing && !force) return null;
        entry.probing = true;
        return { ref, probe: true };
      case 'open':
        return null;
    }
  }

  /** Hands a lease back with the attempt's outcome; results that do not count change nothing. */
  release(lease: Lease, result: { success: boolean; failureClass: FailureClass | null }): void {
    const now = this.options.now();
    const entry = this.entry(lease.ref);
    if (lease.probe) entry.probing = false;
    this.apply(lease.ref, entry, recordResult(entry.state, result, now, this.service.ledger.settings.get().breaker), now);
  }

  /** The breaker state the registry holds for a channel (tests and diagnostics). */
  stateOf(metricsKey: string, apiType: string): BreakerState | undefined {
    return this.entries.get(entryKey(metricsKey, apiType))?.state;
  }

  private entry(ref: ChannelRef): Entry {
    const key = entryKey(ref.metricsKey, ref.apiType);
    let entry = this.entries.get(key);
    if (!entry) {
      const state = this.loadState(ref.metricsKey, ref.apiType) ?? closedBreaker();
      entry = { state, probing: false, stored: storedFields(state), registered: false };
      this.entries.set(key, entry);
    }
    if (!entry.registered) {
      entry.registered = true;
      this.queue({ metricsKey: ref.metricsKey, apiType: ref.apiType, channel: { baseUrl: ref.baseUrl, keyMask: ref.keyMask, label: ref.label }, ts: this.options.now(), reason: null });
    }
    return entry;
  }

  private apply(ref: ChannelRef, entry: Entry, step: BreakerStep, now: number): void {
    entry.state = step.state;
    if (step.transition) {
      const name = ref.label ?? ref.baseUrl;
      this.options.log(`circuit ${ref.apiType} ${ref.metricsKey} (${name}): ${step.transition.from} -> ${step.transition.to} (${step.transition.reason})`);
    }
    // Compared before copying: on a healthy channel nothing changes, request after request.
    if (sameStored(step.state, entry.stored)) return;
    const fields = storedFields(step.state);
    entry.stored = fields;
    this.queue({
      metricsKey: ref.metricsKey,
      apiType: ref.apiType,
      channel: { baseUrl: ref.baseUrl, keyMask: ref.keyMask, label: ref.label },
      circuit: fields,
      ts: now,
      reason: step.transition?.reason ?? null,
    });
  }

  private queue(step: BreakerStepInput): void {
    this.pending.push(step);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // A write (and its fsync) must not hold up the answer that is being decided right now.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const steps = this.pending;
    this.pending = [];
    this.applying = true;
    try {
      this.service.applyBreakerSteps(steps);
    } catch (error) {
      this.options.log(`circuit states could not be stored: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.applying = false;
    }
  }

  private loadState(metricsKey: string, apiType: string): BreakerState | undefined {
    const ctx = this.service.ledger.ctx;
    const apiTypeId = ctx.apiTypes.find(apiType);
    const channelId = apiTypeId === undefined ? undefined : ctx.channels.find(metricsKey, apiTypeId);
    const circuit = channelId === undefined ? undefined : this.service.ledger.circuits.get(channelId);
    return circuit ? fromCircuit(circuit) : undefined;
  }

  /** A change made outside the proxy (manual reset, external report): the store is right. */
  private reload(metricsKey: string, apiType: string): void {
    const entry = this.entries.get(entryKey(metricsKey, apiType));
    if (!entry) return;
    const state = this.loadState(metricsKey, apiType) ?? closedBreaker();
    entry.state = state;
    entry.stored = storedFields(state);
    entry.probing = false;
  }
}
