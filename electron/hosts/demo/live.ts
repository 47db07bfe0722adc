import type { CircuitUpdateInput } from '../../../shared/schemas/circuit.js';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import type { RunEventInput } from '../../../shared/schemas/run-event.js';
import type { Circuit } from '../../../shared/types.js';
import { CHANNELS, CLOUD_MODELS, type ChannelId, type ModelProfile } from './catalog.js';
import { Random } from './random.js';
import { backoffMs, circuitUpdate, rhythm, sampleRequest } from './traffic.js';
import { RUN_SOURCE } from './week.js';

export interface LiveTick {
  records: RequestRecordInput[];
  heartbeats: RunEventInput[];
  circuits: CircuitUpdateInput[];
}

const HEARTBEAT_MS = 15_000;
const HOUR_MS = 3_600_000;
/** The span the first tick stands for (the average delay between ticks). */
const FIRST_TICK_MS = 1_500;
/** A longer gap (a laptop asleep) is not caught up in one burst. */
const MAX_GAP_MS = 60_000;

/**
 * Traffic after the seeded week, one tick every second or two, at the week's own rate: each model's
 * requests per hour times the hour's busyness (running local models at their plain rate), so "today"
 * continues the week instead of dwarfing it. Plus heartbeats for the running local models, and the
 * gateway's failed probes of a circuit that stays open.
 */
export class LiveTraffic {
  private readonly random: Random;
  private lastHeartbeat = 0;
  private lastTick: number | null = null;

  constructor(
    seed: number,
    private readonly running: readonly ModelProfile[],
  ) {
    this.random = new Random(seed ^ 0x5eed);
  }

  /** Milliseconds until the next tick: 1 to 2 seconds. */
  nextDelay(): number {
    return this.random.int(1_000, 2_000);
  }

  tick(now: number, circuits: readonly Circuit[]): LiveTick {
    const random = this.random;
    const open = circuits.filter((circuit) => circuit.state !== 'closed');
    const avoid = (Object.keys(CHANNELS) as ChannelId[]).filter((id) => open.some((circuit) => circuit.metricsKey === CHANNELS[id].metricsKey && circuit.apiType === CHANNELS[id].apiType));
    const records: RequestRecordInput[] = [];
    const elapsed = this.lastTick === null ? FIRST_TICK_MS : Math.min(MAX_GAP_MS, Math.max(0, now - this.lastTick));
    this.lastTick = now;
    const hours = elapsed / HOUR_MS;
    const busy = rhythm(now);
    for (const profile of CLOUD_MODELS) {
      if (profile.channels.every(([id]) => avoid.includes(id))) continue;
      const count = random.poisson(profile.perHour * busy * hours);
      for (let i = 0; i < count; i++) records.push(sampleRequest(profile, now - random.int(0, elapsed), random, { avoid }));
    }
    for (const profile of this.running) {
      const count = random.poisson(profile.perHour * hours);
      for (let i = 0; i < count; i++) records.push(sampleRequest(profile, now - random.int(0, elapsed), random));
    }

    const heartbeats: RunEventInput[] = [];
    if (now - this.lastHeartbeat >= HEARTBEAT_MS) {
      this.lastHeartbeat = now;
      for (const profile of this.running) heartbeats.push({ model: profile.name, event: 'heartbeat', ts: now, source: RUN_SOURCE });
    }

    const updates: CircuitUpdateInput[] = [];
    for (const circuit of open) {
      const id = (Object.keys(CHANNELS) as ChannelId[]).find((key) => CHANNELS[key].metricsKey === circuit.metricsKey);
      if (id === undefined || circuit.state !== 'open' || circuit.nextRetryAt === null || circuit.nextRetryAt > now) continue;
      // The probe fails again: back off one level further.
      const level = circuit.backoffLevel + 1;
      const profile = CLOUD_MODELS.find((model) => model.channels.some(([channel]) => channel === id));
      if (profile) records.push(sampleRequest(profile, now, random, { channel: id, failure: 'overloaded' }));
      updates.push(circuitUpdate(id, { state: 'half_open', ts: now - 1, reason: 'retry time reached' }));
      updates.push(
        circuitUpdate(id, { state: 'open', consecutiveFailures: circuit.consecutiveFailures + 1, openedAt: now, nextRetryAt: now + backoffMs(level), backoffLevel: level, lastFailureAt: now, ts: now, reason: 'probe failed' }),
      );
    }
    return { records, heartbeats, circuits: updates };
  }
}
