import type { CircuitStateName } from '../../../../shared/schemas/circuit.js';
import type { CircuitEvent } from '../../../../shared/types.js';

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

/** The name a person knows a channel by: its label, else its endpoint, else its key. */
export function channelName(circuit: { label: string | null; baseUrl: string | null; metricsKey: string }): string {
  return circuit.label ?? circuit.baseUrl ?? circuit.metricsKey;
}

export function stateTone(state: CircuitStateName): 'ok' | 'warn' | 'bad' {
  return state === 'closed' ? 'ok' : state === 'half_open' ? 'warn' : 'bad';
}
