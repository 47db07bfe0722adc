import { describe, expect, it } from 'vitest';
import { CHANNELS, CLOUD_MODELS, LOCAL_MODELS, QWEN_CODER } from '../../../../electron/hosts/demo/catalog.js';
import { LiveTraffic } from '../../../../electron/hosts/demo/live.js';
import { rhythm } from '../../../../electron/hosts/demo/traffic.js';
import { circuitUpdateSchema } from '../../../../shared/schemas/circuit.js';
import { requestRecordSchema } from '../../../../shared/schemas/request-record.js';
import type { Circuit } from '../../../../shared/types.js';

const NOW = new Date(2026, 2, 11, 15, 20, 0).getTime();
const coder = LOCAL_MODELS.filter((profile) => profile.name === QWEN_CODER);

function circuit(id: keyof typeof CHANNELS, fields: Partial<Circuit>): Circuit {
  const channel = CHANNELS[id];
  return {
    metricsKey: channel.metricsKey, apiType: channel.apiType, baseUrl: channel.baseUrl, keyMask: null, label: channel.label, state: 'closed', consecutiveFailures: 0,
    openedAt: null, nextRetryAt: null, backoffLevel: 0, lastSuccessAt: null, lastFailureAt: null, updatedAt: null, ...fields,
  };
}

describe('LiveTraffic', () => {
  it('sends valid requests and beats for the running model every 15 s', () => {
    const live = new LiveTraffic(1, coder);
    const beats: number[] = [];
    for (let i = 0; i < 60; i++) {
      const now = NOW + i * 1_500;
      const tick = live.tick(now, []);
      for (const record of tick.records) {
        expect(requestRecordSchema.safeParse(record).success).toBe(true);
        expect(record.ts as number).toBeLessThanOrEqual(now);
      }
      if (tick.heartbeats.length > 0) {
        expect(tick.heartbeats).toEqual([{ model: QWEN_CODER, event: 'heartbeat', ts: now, source: 'llama-swap' }]);
        beats.push(now);
      }
      const delay = live.nextDelay();
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
    expect(beats[0]).toBe(NOW);
    expect(beats.length).toBe(6);
  });

  it('runs at the seeded week’s rate: each model’s requests per hour times the hour’s busyness', () => {
    const hourOfTicks = (start: number) => {
      const live = new LiveTraffic(3, coder);
      const perModel = new Map<string, number>();
      for (let now = start; now < start + 3_600_000; now += 1_500) {
        for (const record of live.tick(now, []).records) perModel.set(record.model, (perModel.get(record.model) ?? 0) + 1);
      }
      return perModel;
    };
    const busy = hourOfTicks(NOW);
    const cloudExpected = CLOUD_MODELS.reduce((sum, profile) => sum + profile.perHour * rhythm(NOW), 0);
    const cloud = CLOUD_MODELS.reduce((sum, profile) => sum + (busy.get(profile.name) ?? 0), 0);
    expect(cloud).toBeGreaterThan(cloudExpected * 0.85);
    expect(cloud).toBeLessThan(cloudExpected * 1.15);
    const coderRate = LOCAL_MODELS.find((profile) => profile.name === QWEN_CODER)!.perHour;
    expect(busy.get(QWEN_CODER)).toBeGreaterThan(coderRate * 0.7);
    expect(busy.get(QWEN_CODER)).toBeLessThan(coderRate * 1.3);
    // The small hours are quiet, as in the seeded week.
    const night = new Date(2026, 2, 11, 3, 0, 0).getTime();
    const quiet = hourOfTicks(night);
    const nightCloud = CLOUD_MODELS.reduce((sum, profile) => sum + (quiet.get(profile.name) ?? 0), 0);
    expect(nightCloud).toBeLessThan(cloudExpected * 0.1);
  });

  it('sends nothing to a channel whose circuit is open, and fails its probe once the retry is due', () => {
    const live = new LiveTraffic(2, []);
    const relay = CHANNELS.anthropicRelay;
    const waiting = circuit('anthropicRelay', { state: 'open', nextRetryAt: NOW + 60_000, backoffLevel: 2, consecutiveFailures: 7 });
    for (let i = 0; i < 40; i++) {
      const tick = live.tick(NOW + i * 1_500, [waiting]);
      expect(tick.records.filter((record) => record.channel === relay.metricsKey)).toEqual([]);
      expect(tick.circuits).toEqual([]);
    }
    const due = live.tick(NOW + 61_000, [{ ...waiting, nextRetryAt: NOW + 60_000 }]);
    expect(due.circuits.map((update) => update.state)).toEqual(['half_open', 'open']);
    for (const update of due.circuits) expect(circuitUpdateSchema.safeParse(update).success).toBe(true);
    const reopened = due.circuits[1]!;
    expect(reopened).toMatchObject({ backoffLevel: 3, consecutiveFailures: 8, nextRetryAt: NOW + 61_000 + 240_000 });
    expect(due.records.filter((record) => record.channel === relay.metricsKey)).toMatchObject([{ success: false, failureClass: 'overloaded' }]);
    // After a manual reset it takes traffic again like any closed channel.
    const after = Array.from({ length: 1_200 }, (_, i) => live.tick(NOW + 62_000 + i * 1_500, [circuit('anthropicRelay', {})])).flatMap((tick) => tick.records);
    expect(after.some((record) => record.channel === relay.metricsKey)).toBe(true);
  });
});
