import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, UNPRICED_MODEL } from '../../../../electron/hosts/demo/catalog.js';
import { seedWeek } from '../../../../electron/hosts/demo/seed.js';
import { generateWeek } from '../../../../electron/hosts/demo/week.js';
import { Harness } from '../../ledger/store/harness.js';

const NOW = new Date(2026, 2, 11, 15, 20, 0).getTime();
let harness: Harness | null = null;
afterEach(() => {
  harness?.close();
  harness = null;
});

describe('seedWeek through the ledger service', () => {
  it('stores every record, run, price and circuit of the week, validated, and only once', async () => {
    harness = new Harness(NOW);
    const week = generateWeek({ seed: 9, now: NOW, scale: 0.1 });
    const result = await seedWeek(harness.service, week, { batch: 700 });
    expect(result).toEqual({ requests: week.records.length, duplicates: 0, runs: week.runs.length, priceVersions: 7, circuitUpdates: week.circuitUpdates.length });

    const summary = await harness.service.getSummary({ from: week.from, to: NOW });
    expect(summary.totals.requests).toBe(week.records.length);
    expect(summary.totals.failures).toBe(week.records.filter((record) => record.success === false).length);
    expect(Object.keys(summary.totals.cost).sort()).toEqual(['CNY', 'USD']);
    const byName = new Map(summary.models.map((model) => [model.model, model]));
    expect(byName.get(UNPRICED_MODEL)!.cost).toBeNull();
    const running = week.runs.find((run) => run.end === null)!.model;
    expect(summary.models.filter((model) => model.running).map((model) => model.model)).toEqual([running]);
    expect(byName.get('gpt-oss-20b')!.pricingMethod).toBe('none');
    expect(byName.get('GLM-4.5-Air-Q4_K_M')!.cost!['CNY']).toBeGreaterThan(0);
    expect(byName.get('qwen3-max')!.cost!['CNY']).toBeGreaterThan(0);
    expect(summary.circuits).toEqual({ closed: Object.keys(CHANNELS).length - 1, open: 1, half_open: 0 });

    const relay = CHANNELS.openaiRelay;
    const events = await harness.service.listCircuitEvents({ metricsKey: relay.metricsKey, apiType: relay.apiType });
    expect(events.map((event) => event.to).reverse()).toEqual(['closed', 'open', 'half_open', 'open', 'half_open', 'closed']);
    const circuits = await harness.service.listCircuits({});
    expect(circuits.find((circuit) => circuit.metricsKey === relay.metricsKey)!.keyMask).toBe('sk-d…97aa');
    const open = circuits.find((circuit) => circuit.state === 'open')!;
    expect(open.metricsKey).toBe(CHANNELS[week.openChannel].metricsKey);
    expect(open.nextRetryAt!).toBeGreaterThan(NOW);

    const again = await seedWeek(harness.service, { ...week, priceVersions: [], runs: [], circuitUpdates: [] });
    expect(again.duplicates).toBe(week.records.length);
    expect((await harness.service.getSummary({ from: week.from, to: NOW })).totals.requests).toBe(week.records.length);
  });
});
