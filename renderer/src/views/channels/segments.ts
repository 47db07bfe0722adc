import type { CircuitStateName } from '../../../../shared/schemas/circuit.js';
import type { CircuitEvent, History } from '../../../../shared/types.js';

export interface StateSegment {
  state: CircuitStateName;
  start: number;
  end: number;
}

/**
 * The state a channel was in over time, from its transition log: each transition starts a segment
 * that lasts until the next one, the last until `now`. Events may arrive in any order.
 */
export function segmentsOf(events: readonly CircuitEvent[], now: number): StateSegment[] {
  const sorted = [...events].sort((a, b) => a.ts - b.ts || a.id - b.id);
  const segments: StateSegment[] = [];
  sorted.forEach((event, i) => {
    const end = Math.max(event.ts, sorted[i + 1]?.ts ?? now);
    const last = segments.at(-1);
    // A repeated report of the same state extends the segment rather than starting a new one.
    if (last && last.state === event.to) last.end = end;
    else segments.push({ state: event.to, start: event.ts, end });
  });
  return segments;
}

/** A channel's requests and failures over a range. */
export interface ChannelUsage {
  requests: number;
  failures: number;
}

/** The key a channel is found by among circuits and per-channel usage alike. */
export function channelKey(channel: { metricsKey: string; apiType: string }): string {
  return `${channel.metricsKey}|${channel.apiType}`;
}

/** A history split by channel (groupBy=channel) summed per channel; requests through none are left out. */
export function usageByChannel(history: History): Map<string, ChannelUsage> {
  const usage = new Map<string, ChannelUsage>();
  for (const bucket of history.buckets) {
    if (bucket.metricsKey == null || bucket.apiType == null) continue;
    const key = channelKey({ metricsKey: bucket.metricsKey, apiType: bucket.apiType });
    const sum = usage.get(key) ?? { requests: 0, failures: 0 };
    usage.set(key, { requests: sum.requests + bucket.requests, failures: sum.failures + bucket.failures });
  }
  return usage;
}

/** The name a person knows a channel by: its label, else its endpoint, else its key. */
export function channelName(circuit: { label: string | null; baseUrl: string | null; metricsKey: string }): string {
  return circuit.label ?? circuit.baseUrl ?? circuit.metricsKey;
}

export function stateTone(state: CircuitStateName): 'ok' | 'warn' | 'bad' {
  return state === 'closed' ? 'ok' : state === 'half_open' ? 'warn' : 'bad';
}

const STATE_ORDER: Record<CircuitStateName, number> = { open: 0, half_open: 1, closed: 2 };

/** Channels with a problem first: open, then half-open, then closed; within a state, most failures first. */
export function problemsFirst<T extends { state: CircuitStateName; consecutiveFailures: number; metricsKey: string; apiType: string }>(circuits: readonly T[]): T[] {
  return [...circuits].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      b.consecutiveFailures - a.consecutiveFailures ||
      a.metricsKey.localeCompare(b.metricsKey) ||
      a.apiType.localeCompare(b.apiType),
  );
}

/** Failure rates at or above these read as a warning or as trouble; below, as normal. */
export const FAILURE_RATE_WARN = 0.05;
export const FAILURE_RATE_BAD = 0.2;

export function failureTone(failures: number, requests: number): 'ok' | 'warn' | 'bad' | null {
  if (requests === 0) return null;
  const rate = failures / requests;
  return rate >= FAILURE_RATE_BAD ? 'bad' : rate >= FAILURE_RATE_WARN ? 'warn' : 'ok';
}

/** Reset closes the circuit and clears its failure count: it changes something only when either is set. */
export function canReset(circuit: { state: CircuitStateName; consecutiveFailures: number }): boolean {
  return circuit.state !== 'closed' || circuit.consecutiveFailures > 0;
}

/**
 * The part of a channel's history worth drawing: from a little before its first trouble (a state
 * other than closed) to a little after the last, so a short open days ago is still wide enough to
 * see. A history that was never in trouble is drawn whole.
 */
export function zoomWindow(segments: readonly StateSegment[], now: number): { from: number; to: number } {
  const whole = { from: segments[0]?.start ?? now, to: now };
  const trouble = segments.filter((segment) => segment.state !== 'closed');
  if (!trouble.length) return whole;
  const start = trouble[0]!.start;
  const end = trouble.at(-1)!.end;
  const margin = Math.max((end - start) * 0.15, 60_000);
  return { from: Math.max(whole.from, start - margin), to: Math.min(now, end + margin) };
}
