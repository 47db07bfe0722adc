import { describe, expect, it } from 'vitest';
import { advance, allowsRequest, closedBreaker, recordResult, resetBreaker, type BreakerState } from '../../../../electron/ledger/breaker/circuit-breaker.js';
import { DEFAULT_SETTINGS } from '../../../../electron/ledger/store/settings-store.js';
import type { FailureClass } from '../../../../shared/schemas/request-record.js';

const settings = DEFAULT_SETTINGS.breaker;
const ok = { success: true, failureClass: null };
const fail = (failureClass: FailureClass) => ({ success: false, failureClass });

function feed(results: { success: boolean; failureClass: FailureClass | null }[], start = closedBreaker(), now = 1_000) {
  let state: BreakerState = start;
  const transitions: string[] = [];
  for (const result of results) {
    const step = recordResult(state, result, now, settings);
    state = step.state;
    if (step.transition) transitions.push(`${step.transition.from}->${step.transition.to}`);
  }
  return { state, transitions };
}

describe('circuit breaker', () => {
  it('opens after five consecutive retryable failures, not four', () => {
    expect(feed(Array(4).fill(fail('retryable'))).state.state).toBe('closed');
    const { state, transitions } = feed(Array(5).fill(fail('retryable')));
    expect(state.state).toBe('open');
    expect(transitions).toEqual(['closed->open']);
    expect(state.nextRetryAt).toBe(1_000 + 30_000);
  });

  it('a success resets the consecutive count', () => {
    const results = [...Array(4).fill(fail('retryable')), ok, ...Array(4).fill(fail('retryable'))];
    expect(feed(results).state.state).toBe('closed');
  });

  it('opens on a failure rate of at least 70% over at least ten results', () => {
    // f f f f s f f f s f: 8 of 10 failed, never 5 in a row.
    const pattern = [1, 1, 1, 1, 0, 1, 1, 1, 0, 1].map((bad) => (bad ? fail('retryable') : ok));
    const { state } = feed(pattern);
    expect(state.state).toBe('open');
    // The same rate over nine results is not enough.
    expect(feed(pattern.slice(0, 9)).state.state).toBe('closed');
  });

  it('opens at once on an overloaded failure', () => {
    expect(feed([fail('overloaded')]).state.state).toBe('open');
  });

  it('never counts client cancels, quota or non-retryable errors', () => {
    const { state } = feed([...Array(30).fill(fail('client_cancel')), ...Array(30).fill(fail('quota')), ...Array(30).fill(fail('non_retryable'))]);
    expect(state).toEqual(closedBreaker());
  });

  it('goes half-open when the retry time passes; one success closes and resets', () => {
    const opened = feed(Array(5).fill(fail('retryable'))).state;
    expect(allowsRequest(opened, 1_000 + 29_999)).toBe(false);
    expect(advance(opened, 1_000 + 30_000).state.state).toBe('half_open');
    const step = recordResult(opened, ok, 1_000 + 30_000, settings);
    expect(step.state).toEqual(closedBreaker());
    expect(step.transition).toMatchObject({ from: 'half_open', to: 'closed' });
  });

  it('a failed probe reopens one backoff level higher, doubling up to the cap', () => {
    let state = feed(Array(5).fill(fail('retryable'))).state;
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const now = state.nextRetryAt!;
      state = recordResult(state, fail('retryable'), now, settings).state;
      waits.push((state.nextRetryAt! - now) / 1000);
    }
    expect(waits).toEqual([60, 120, 240, 480, 600, 600]);
  });

  it('a manual reset closes it', () => {
    const opened = feed([fail('overloaded')]).state;
    const step = resetBreaker(opened);
    expect(step.state.state).toBe('closed');
    expect(step.transition).toMatchObject({ from: 'open', to: 'closed', reason: 'manual reset' });
  });
});

describe('circuit breaker: the window kept on a healthy channel', () => {
  it('is always the last windowSize counted results, whatever mix of successes and failures came before', () => {
    // A deterministic mix: long runs of successes (the path that keeps the state as it is) between failures.
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    let state = closedBreaker();
    const counted: boolean[] = [];
    for (let i = 0; i < 2_000; i++) {
      const failed = random() < 0.08;
      state = recordResult(state, failed ? fail('retryable') : ok, 1_000, { ...settings, consecutiveFailures: 1_000, failureRate: 1.01 }).state;
      counted.push(failed);
      expect(state.window).toEqual(counted.slice(-settings.windowSize));
      expect(state.consecutiveFailures).toBe(counted.length - 1 - counted.lastIndexOf(false));
    }
  });

  it('a failure that has left the window no longer counts toward the failure rate', () => {
    const strict = { ...settings, minResults: settings.windowSize, failureRate: 1 / settings.windowSize };
    let state = recordResult(closedBreaker(), fail('retryable'), 1_000, { ...strict, minResults: 1_000 }).state;
    for (let i = 0; i < settings.windowSize; i++) state = recordResult(state, ok, 1_000, strict).state;
    expect(state.window.includes(true)).toBe(false);
    expect(state.state).toBe('closed');
  });
});
