import { describe, expect, it } from 'vitest';
import type { Circuit, ExportRow, Money, Summary } from '../../../../shared/types.js';
import { csvRecords } from './csv.js';
import { HOUR, qs, type TestServer, useServerPerTest } from './helpers.js';

const T0 = Math.floor((Date.now() - 6 * HOUR) / HOUR) * HOUR;
const RANGE = { from: T0 - HOUR, to: T0 + 5 * HOUR };

let server: TestServer;
useServerPerTest((started) => (server = started));

describe('GET /api/v1/export: costs and names', () => {
  async function seed(): Promise<{ metricsKey: string }> {
    await server.put('/api/v1/pricing/qwen-local', { method: 'hourly', currency: 'CNY', hourly: 3.5 });
    await server.put('/api/v1/pricing/gpt-5-mini', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 0.25, output: 2 }] });
    await server.put('/api/v1/pricing/deepseek', { method: 'tokens', currency: 'CNY', tiers: [{ maxPromptTokens: null, input: 2, output: 8 }] });
    await server.put('/api/v1/circuits', {
      channel: { baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-test-export-0123456789' },
      apiType: 'openai',
      state: 'closed',
      label: 'OpenAI work key',
    });
    const metricsKey = (await server.get<Circuit[]>('/api/v1/circuits')).find((circuit) => circuit.label === 'OpenAI work key')!.metricsKey;
    await server.post('/api/v1/requests', [
      { ts: T0 + 10 * 60_000, model: 'gpt-5-mini', apiType: 'openai', channel: metricsKey, source: 'proxy:work', inputTokens: 400_000, outputTokens: 50_000, requestId: 'g-1' },
      { ts: T0 + 20 * 60_000, model: 'deepseek', inputTokens: 1_000_000, outputTokens: 100_000, requestId: 'd-1' },
      { ts: T0 + 30 * 60_000, model: 'qwen-local', inputTokens: 900, outputTokens: 512, source: 'llama-server', requestId: 'q-1' },
    ]);
    // 1.5 h of the hourly model in the range, one run cut by the range's start, one still running.
    await server.post('/api/v1/runs', { model: 'qwen-local', event: 'start', ts: T0 - 2 * HOUR });
    await server.post('/api/v1/runs', { model: 'qwen-local', event: 'stop', ts: T0 - HOUR + 30 * 60_000 });
    await server.post('/api/v1/runs', { model: 'qwen-local', event: 'start', ts: T0 + 4 * HOUR });
    return { metricsKey };
  }

  const totals = (rows: readonly { cost: number | null; currency: string | null }[]): Money => {
    const sums: Money = {};
    for (const r of rows) if (r.cost !== null && r.currency !== null) sums[r.currency] = (sums[r.currency] ?? 0) + r.cost;
    return sums;
  };

  it("carries the hourly runtime cost as run rows, so its totals per currency are the summary's", async () => {
    await seed();
    const summary = await server.get<Summary>(`/api/v1/summary${qs(RANGE)}`);
    const rows = (await server.call<ExportRow[]>('GET', `/api/v1/export${qs({ format: 'json', ...RANGE })}`)).body;
    const runs = rows.filter((r) => r.kind === 'run');
    expect(runs.map((r) => r.model)).toEqual(['qwen-local', 'qwen-local']);
    expect(runs[0]).toMatchObject({ ts: RANGE.from, runtimeMs: 30 * 60_000, currency: 'CNY', requestId: null, inputTokens: 0 });
    expect(runs[0]!.cost).toBeCloseTo(1.75, 9);
    // Before: the export had request rows only, and the CNY total was the tokens' alone.
    const exported = totals(rows);
    expect(Object.keys(exported).sort()).toEqual(Object.keys(summary.totals.cost ?? {}).sort());
    for (const [currency, amount] of Object.entries(summary.totals.cost ?? {})) expect(exported[currency]).toBeCloseTo(amount, 6);
    expect(runs.reduce((sum, r) => sum + (r.runtimeMs ?? 0), 0)).toBe(summary.totals.runtimeSeconds * 1000);

    // The CSV says the same.
    const csv = csvRecords((await server.call('GET', `/api/v1/export${qs({ format: 'csv', ...RANGE })}`)).text,);
    const csvTotals = totals(csv.map((r) => ({ cost: r['cost'] === '' ? null : Number(r['cost']), currency: r['currency'] || null })));
    for (const [currency, amount] of Object.entries(summary.totals.cost ?? {})) expect(csvTotals[currency]).toBeCloseTo(amount, 6);
    expect(csv.filter((r) => r['kind'] === 'run')).toHaveLength(2);
  });

  it("names the channel by its label and the proxy route, keeping the metricsKey in its own column", async () => {
    const { metricsKey } = await seed();
    const rows = (await server.call<ExportRow[]>('GET', `/api/v1/export${qs({ format: 'json', ...RANGE })}`)).body;
    const proxied = rows.find((r) => r.requestId === 'g-1')!;
    expect(proxied).toMatchObject({ kind: 'request', channel: metricsKey, channelLabel: 'OpenAI work key', route: 'work' });
    expect(rows.find((r) => r.requestId === 'q-1')).toMatchObject({ channel: null, channelLabel: null, route: null, source: 'llama-server' });
    const csv = csvRecords((await server.call('GET', `/api/v1/export${qs({ format: 'csv', ...RANGE })}`)).text,);
    expect(csv.find((r) => r['requestId'] === 'g-1')).toMatchObject({ channel: metricsKey, channelLabel: 'OpenAI work key', route: 'work' });
  });

  it('has no run rows for a model filter that matches no model', async () => {
    await seed();
    expect((await server.call<ExportRow[]>('GET', `/api/v1/export${qs({ format: 'json', model: 'nobody' })}`)).body).toEqual([]);
  });
});
