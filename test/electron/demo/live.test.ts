import { describe, expect, it } from 'vitest';
import { CHANNELS, LOCAL_MODELS, QWEN_CODER } from '../../../electron/demo/catalog.js';
import { LiveTraffic } from '../../../electron/demo/live.js';
import { circuitUpdateSchema } from '../../../shared/schemas/circuit.js';
import { requestRecordSchema } from '../../../shared/schemas/request-record.js';
import type { Circuit } from '../../../shared/types.js';

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
  it('sends a few valid requests a tick, keeps the running model busy and beats for it every 15 s', () => {
    const live = new LiveTraffic(1, coder);
    let records = 0;
    let coderRecords = 0;
    const beats: number[] = [];
    for (let i = 0; i < 60; i++) {
      const now = NOW + i * 1_500;
      const tick = live.tick(now, []);
      for (const record of tick.records) expect(requestRecordSchema.safeParse(record).success).toBe(true);
      records += tick.records.length;
      coderRecords += tick.records.filter((record) => record.model === QWEN_CODER).length;
      if (tick.heartbeats.length > 0) {
        expect(tick.heartbeats).toEqual([{ model: QWEN_CODER, event: 'heartbeat', ts: now, source: 'llama-swap' }]);
        beats.push(now);
      }
      const delay = live.nextDelay();
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
    expect(records / 60).toBeGreaterThan(1);
    expect(records / 60).toBeLessThan(6);
    expect(coderRecords).toBeGreaterThan(30);
    expect(beats[0]).toBe(NOW);
    expect(beats.length).toBe(6);
  });

  it('sends nothing to a channel whose circuit is open, and fails its probe once the retry is due', () => {
    const live = new LiveTraffic(2, []);
    const relay = CHANNELS.anthropicRelay;
    const waiting = circuit('anthropicRelay', { state: 'open', nextRetryAt: NOW + 60_000, backoffLevel: 2, consecutiveFailures: 7 });
    for (let i = 0; i < 40; i++) {
      const tick = live.tick(NOW + i * 1_000, [waiting]);
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
    const after = Array.from({ length: 40 }, (_, i) => live.tick(NOW + 62_000 + i * 1_000, [circuit('anthropicRelay', {})])).flatMap((tick) => tick.records);
    expect(after.some((record) => record.channel === relay.metricsKey)).toBe(true);
  });
});
