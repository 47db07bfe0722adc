import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Housekeeping } from '../../../../electron/app/housekeeping.js';
import { tsOfId } from '../../../../electron/ledger/store/request-ids.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { errorCode, Harness } from './harness.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 7, 10);
const NOW = DAY0 + 4 * DAY;
const K1 = '1111111111111111';
const K2 = '2222222222222222';

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

/** Rows of the usage tables that belong to a model id, as comparable text. */
function rowsOfModel(modelId: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const table of ['requests', 'rollup_minute', 'rollup_hour', 'rollup_day', 'runs', 'price_versions']) {
    out[table] = h.ledger.db
      .prepare(`SELECT * FROM ${table} WHERE model_id = ?`)
      .all(modelId)
      .map((row) => JSON.stringify(row))
      .sort();
  }
  return out;
}

const modelId = (name: string) => h.ledger.db.prepare<[string], { id: number }>(`SELECT id FROM models WHERE name = ?`).get(name)?.id;

function spread(model: string, count: number, extra: Partial<RequestRecordInput> = {}): RequestRecordInput[] {
  return Array.from({ length: count }, (_, i) => ({ ts: DAY0 + i * 97 * MINUTE + 13_000, model, inputTokens: 100 + i, outputTokens: 10, ...extra }));
}

describe('deleting a model', () => {
  beforeEach(async () => {
    await h.service.addPriceVersion({ model: 'gone', version: { method: 'tokens', tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] } });
    await h.service.addPriceVersion({ model: 'gone', version: { method: 'none', effectiveFrom: DAY0 + DAY } });
    await h.service.addPriceVersion({ model: 'kept', version: { method: 'tokens', currency: 'CNY', tiers: [{ maxPromptTokens: null, input: 2, output: 2 }] } });
    await h.service.ingestRequests([...spread('gone', 40, { channel: K1, apiType: 'openai' }), ...spread('kept', 30, { channel: K1, apiType: 'openai' })]);
    await h.service.reportRun({ model: 'gone', event: 'start', ts: DAY0 });
    await h.service.reportRun({ model: 'gone', event: 'stop', ts: DAY0 + HOUR });
    await h.service.reportRun({ model: 'gone', event: 'start', ts: DAY0 + 2 * HOUR });
    await h.service.reportRun({ model: 'kept', event: 'start', ts: DAY0 });
  });

  it('removes its requests, rollups, runs and price versions, and nothing of other models', async () => {
    const goneId = modelId('gone')!;
    const keptId = modelId('kept')!;
    const keptBefore = rowsOfModel(keptId);
    expect(keptBefore['requests']).toHaveLength(30);
    const keptSummary = (await h.service.getSummary({ from: 0, to: NOW })).models.find((m) => m.model === 'kept');

    const removed = await h.service.deleteModel({ model: 'gone' });
    expect(removed).toEqual({ model: 'gone', requests: 40, runs: 2, priceVersions: 2 });

    expect(Object.values(rowsOfModel(goneId)).flat()).toEqual([]);
    expect(modelId('gone')).toBeUndefined();
    expect(rowsOfModel(keptId)).toEqual(keptBefore);

    const summary = await h.service.getSummary({ from: 0, to: NOW });
    expect(summary.models.map((m) => m.model)).toEqual(['kept']);
    expect(summary.models[0]).toEqual(keptSummary);
    expect(summary.totals.requests).toBe(30);
    expect(await h.service.listRuns({ model: 'gone' })).toEqual([]);
    expect((await h.service.listPricing()).map((p) => p.model)).toEqual(['kept']);
    expect((await h.service.listRequests({ model: 'gone' })).requests).toEqual([]);
    const history = await h.service.getHistory({ from: DAY0, to: DAY0 + DAY, interval: 3600, model: 'gone' });
    expect(history.buckets.every((b) => b.requests === 0 && b.runtimeSeconds === 0)).toBe(true);
  });

  it('lets the name be used again from scratch: no price, no history', async () => {
    await h.service.deleteModel({ model: 'gone' });
    await h.service.ingestRequests([{ ts: DAY0 + 5 * MINUTE, model: 'gone', inputTokens: 5 }]);
    const summary = await h.service.getSummary({ from: DAY0, to: DAY0 + DAY });
    expect(summary.models.find((m) => m.model === 'gone')).toMatchObject({ requests: 1, unpricedRequests: 1, cost: null, pricingMethod: null, runtimeSeconds: 0 });
  });

  it('answers not_found for a model without data', async () => {
    expect(await errorCode(h.service.deleteModel({ model: 'never' }))).toBe('not_found');
  });
});

describe('deleting channels', () => {
  beforeEach(async () => {
    await h.service.ingestRequests([
      ...spread('m', 20, { channel: K1, apiType: 'openai' }),
      ...spread('m', 15, { channel: K1, apiType: 'anthropic' }),
      ...spread('m', 10, { channel: K2, apiType: 'openai' }),
      ...spread('m', 5),
    ]);
    for (const [metricsKey, apiType] of [
      [K1, 'openai'],
      [K1, 'anthropic'],
      [K2, 'openai'],
    ] as const) {
      await h.service.putCircuits({ metricsKey, apiType, state: 'open', ts: DAY0 + HOUR, nextRetryAt: DAY0 + HOUR + 30_000 });
      await h.service.putCircuits({ metricsKey, apiType, state: 'half_open', ts: DAY0 + HOUR + 30_000 });
    }
  });

  it('removes the records, circuit state and transition log of exactly that metricsKey and api type', async () => {
    const before = await h.service.getSummary({ from: 0, to: NOW });
    expect(before.totals.requests).toBe(50);

    const removed = await h.service.deleteChannels({ metricsKeys: [K1], apiType: 'openai' });
    expect(removed).toEqual({ requests: 20, circuits: 1, circuitEvents: 2 });

    const after = await h.service.getSummary({ from: 0, to: NOW });
    expect(after.totals.requests).toBe(30);
    expect(after.totals.inputTokens).toBe(before.totals.inputTokens - spread('m', 20).reduce((sum, r) => sum + r.inputTokens!, 0));
    const page = await h.service.listRequests({ limit: 100 });
    expect(page.requests.some((r) => r.channel === K1 && r.apiType === 'openai')).toBe(false);
    expect(page.requests).toHaveLength(30);

    const circuits = await h.service.listCircuits({});
    expect(circuits.map((c) => [c.metricsKey, c.apiType, c.state])).toEqual([
      [K1, 'anthropic', 'half_open'],
      [K2, 'openai', 'half_open'],
    ]);
    const events = await h.service.listCircuitEvents({});
    expect(events.some((e) => e.metricsKey === K1 && e.apiType === 'openai')).toBe(false);
    expect(events).toHaveLength(4);

    // The hour rollups agree with the raw rows: whole-day and minute-edge ranges give the same counts.
    const byChannel = await h.service.getHistory({ from: DAY0, to: DAY0 + 3 * DAY, interval: 86_400, metricsKey: K1 });
    expect(byChannel.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(15);
    const gone = await h.service.getHistory({ from: DAY0 + 7 * MINUTE, to: DAY0 + 3 * DAY, interval: 3600, metricsKey: K1, apiType: 'openai' });
    expect(gone.buckets.every((b) => b.requests === 0)).toBe(true);
  });

  it('deletes several keys at once and ignores unknown ones', async () => {
    const removed = await h.service.deleteChannels({ metricsKeys: [K1, K2, 'ffffffffffffffff'], apiType: 'openai' });
    expect(removed).toEqual({ requests: 30, circuits: 2, circuitEvents: 4 });
    expect((await h.service.getSummary({ from: 0, to: NOW })).totals.requests).toBe(20);
    expect(await h.service.deleteChannels({ metricsKeys: ['ffffffffffffffff'], apiType: 'openai' })).toEqual({ requests: 0, circuits: 0, circuitEvents: 0 });
  });

  it('lets the channel report again afterwards', async () => {
    await h.service.deleteChannels({ metricsKeys: [K1], apiType: 'openai' });
    await h.service.ingestRequests([{ ts: DAY0 + 5, model: 'm', channel: K1, apiType: 'openai' }]);
    const history = await h.service.getHistory({ from: DAY0, to: DAY0 + HOUR, interval: 3600, metricsKey: K1, apiType: 'openai' });
    expect(history.buckets.map((b) => b.requests)).toEqual([1]);
  });
});

describe('cleanup and retention', () => {
  it('deletes raw rows before the cut and keeps the rollup totals', async () => {
    const records = spread('m', 50, { channel: K2, apiType: 'openai' });
    await h.service.ingestRequests(records);
    const cut = DAY0 + 31 * HOUR + 123;
    const before = await h.service.getSummary({ from: DAY0, to: DAY0 + 4 * DAY });
    const hourly = await h.service.getHistory({ from: DAY0, to: DAY0 + 4 * DAY, interval: 3600 });

    const result = await h.service.cleanup({ before: cut });
    const older = records.filter((r) => (r.ts as number) < cut).length;
    expect(result).toEqual({ before: cut, requests: older });
    const left = (await h.service.listRequests({ limit: 1000 })).requests;
    expect(left).toHaveLength(50 - older);
    expect(left.every((r) => r.ts >= cut)).toBe(true);

    expect(await h.service.getSummary({ from: DAY0, to: DAY0 + 4 * DAY })).toEqual(before);
    expect(await h.service.getHistory({ from: DAY0, to: DAY0 + 4 * DAY, interval: 3600 })).toEqual(hourly);
    // Cleaning up again finds nothing more.
    expect((await h.service.cleanup({ before: cut })).requests).toBe(0);
  });

  it('refuses a cut in the future', async () => {
    expect(await errorCode(h.service.cleanup({ before: NOW + 1 }))).toBe('bad_request');
  });

  it('runs retention by the retentionDays setting, aligned to the hour, and trims minute rollups', async () => {
    const records = spread('m', 59);
    await h.service.ingestRequests(records);
    await h.service.updateSettings({ retentionDays: 2 });
    const before = await h.service.getSummary({ from: DAY0, to: NOW });
    await new Housekeeping(h.service).retention();
    const cut = Math.floor((NOW - 2 * DAY) / HOUR) * HOUR;
    const ids = h.ledger.db.prepare<[], { id: number }>(`SELECT id FROM requests ORDER BY id`).all();
    expect(ids.length).toBe(records.filter((r) => (r.ts as number) >= cut).length);
    expect(tsOfId(ids[0]!.id)).toBeGreaterThanOrEqual(cut);
    const oldestMinute = h.ledger.db.prepare<[], { b: number }>(`SELECT min(bucket) AS b FROM rollup_minute`).get()!.b;
    expect(oldestMinute).toBeGreaterThanOrEqual(Math.floor((NOW - 2 * DAY) / HOUR) * HOUR);
    expect(await h.service.getSummary({ from: DAY0, to: NOW })).toEqual(before);
  });

  it('previews what a retention period would remove, and records what retention removed and when', async () => {
    const records = spread('m', 59);
    await h.service.ingestRequests(records);
    const cut = Math.floor((NOW - 2 * DAY) / HOUR) * HOUR;
    const going = records.filter((r) => (r.ts as number) < cut).length;
    expect(going).toBeGreaterThan(0);
    expect(await h.service.previewCleanup({ retentionDays: 2 })).toEqual({ before: cut, requests: going });
    expect((await h.service.getStorageInfo()).lastCleanup).toBeNull();

    await h.service.updateSettings({ retentionDays: 2 });
    const events: string[] = [];
    h.service.events.subscribe((event) => events.push(event.type === 'data' ? `data:${event.reason}` : event.type));
    await new Housekeeping(h.service).retention();
    expect((await h.service.getStorageInfo()).lastCleanup).toEqual({ at: NOW, trigger: 'retention', before: cut, requests: going });
    expect(events).toContain('data:cleanup');

    // A run that removes nothing keeps the record of the last one that did.
    await new Housekeeping(h.service).retention();
    expect((await h.service.getStorageInfo()).lastCleanup?.requests).toBe(going);
  });
});
