import type { CircuitStateName } from '../../../shared/schemas/circuit.js';
import type { FailureClass } from '../../../shared/schemas/request-record.js';
import type { Settings } from '../../../shared/types.js';

export type BreakerSettings = Settings['breaker'];

/** One channel's breaker, as the proxy keeps it in memory and persists it through the store. */
export interface BreakerState {
  state: CircuitStateName;
  consecutiveFailures: number;
  openedAt: number | null;
  nextRetryAt: number | null;
  backoffLevel: number;
  /** The last counted results, oldest first; true is a failure. */
  window: boolean[];
}

export interface BreakerStep {
  state: BreakerState;
  /** Present when the state changed. */
  transition: { from: CircuitStateName; to: CircuitStateName; reason: string } | null;
}

export function closedBreaker(): BreakerState {
  return { state: 'closed', consecutiveFailures: 0, openedAt: null, nextRetryAt: null, backoffLevel: 0, window: [] };
}

/** Only upstream trouble counts: client cancels, quota and non-retryable errors never trip a breaker. */
export function countsAgainstChannel(failureClass: FailureClass | null): boolean {
  return failureClass === 'retryable' || failureClass === 'overloaded';
}

export function backoffMs(level: number, settings: BreakerSettings): number {
  return Math.min(settings.baseBackoffSeconds * 2 ** level, settings.maxBackoffSeconds) * 1000;
}

function open(state: BreakerState, level: number, now: number, settings: BreakerSettings, reason: string): BreakerStep {
  return {
    state: { ...state, state: 'open', openedAt: now, nextRetryAt: now + backoffMs(level, settings), backoffLevel: level },
    transition: { from: state.state, to: 'open', reason },
  };
}

/**
 * The breaker rules of product.md: a rolling window of counted results; open on N consecutive counted
 * failures, on a high failure rate over enough results, or at once when the upstream says it is
 * overloaded; half-open after the backoff; one success closes, a failure reopens one level higher.
 */
export function recordResult(
  state: BreakerState,
  result: { success: boolean; failureClass: FailureClass | null },
  now: number,
  settings: BreakerSettings,
): BreakerStep {
  if (!result.success && !countsAgainstChannel(result.failureClass)) return { state, transition: null };
  const current = advance(state, now).state;
  if (current.state === 'half_open') {
    if (result.success) return { state: closedBreaker(), transition: { from: 'half_open', to: 'closed', reason: 'probe succeeded' } };
    return open(current, current.backoffLevel + 1, now, settings, 'probe failed');
  }
  if (current.state === 'open') {
    // A result that arrives while open (a request started before it opened) changes nothing.
    return { state: current, transition: null };
  }
  // The common case on a healthy channel: a success on a full window of successes changes nothing,
  // so the same state is kept rather than copied on every proxied request.
  if (result.success && current.consecutiveFailures === 0 && current.window.length === settings.windowSize && !current.window.includes(true)) {
    return { state: current, transition: null };
  }
  const window = [...current.window, !result.success].slice(-settings.windowSize);
  if (result.success) return { state: { ...current, consecutiveFailures: 0, window }, transition: null };
  const next: BreakerState = { ...current, consecutiveFailures: current.consecutiveFailures + 1, window };
  if (result.failureClass === 'overloaded') return open(next, 0, now, settings, 'upstream overloaded');
  if (next.consecutiveFailures >= settings.consecutiveFailures) {
    return open(next, 0, now, settings, `${next.consecutiveFailures} consecutive failures`);
  }
  const failures = window.filter(Boolean).length;
  if (window.length >= settings.minResults && failures / window.length >= settings.failureRate) {
    return open(next, 0, now, settings, `failure rate ${Math.round((failures / window.length) * 100)}% over ${window.length} results`);
  }
  return { state: next, transition: null };
}

/** An open breaker whose retry time has come is half-open: the next request is its probe. */
export function advance(state: BreakerState, now: number): BreakerStep {
  if (state.state === 'open' && state.nextRetryAt !== null && now >= state.nextRetryAt) {
    return { state: { ...state, state: 'half_open' }, transition: { from: 'open', to: 'half_open', reason: 'retry time reached' } };
  }
  return { state, transition: null };
}

export function allowsRequest(state: BreakerState, now: number): boolean {
  return advance(state, now).state.state !== 'open';
}

export function resetBreaker(state: BreakerState): BreakerStep {
  return { state: closedBreaker(), transition: state.state === 'closed' ? null : { from: state.state, to: 'closed', reason: 'manual reset' } };
}
