import { calcPrice } from '@pydantic/genai-prices';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import { errorCode, Harness } from '../ledger/store/harness.js';

const at = (iso: string) => Date.parse(iso);
const NOW = at('2026-03-20T00:00:00Z');
const RANGE = { from: at('2026-03-01T00:00:00Z'), to: NOW };

// A local model (GGUF name), never catalogue-priced, on both sides of claude-opus-4-6's price change
// (2026-03-13), with a >200k prompt, cache reads, writes and 1-hour writes.
const LOCAL = 'Qwen3-Coder-30B-A3B-Q4_K_M';
const GPU = 'llama-70b-gpu';
const OTHER = 'gemma-3-12b-Q8_0';
const requests: RequestRecordInput[] = [
  { ts: at('2026-03-12T23:59:00Z'), model: LOCAL, inputTokens: 250_001, outputTokens: 3_001, cacheReadTokens: 1_003, cacheWriteTokens: 2_005, cacheWrite1hTokens: 1_001 },
  { ts: at('2026-03-13T00:01:00Z'), model: LOCAL, inputTokens: 12_345, outputTokens: 678, cacheReadTokens: 91 },
  { ts: at('2026-03-15T08:00:00Z'), model: LOCAL, inputTokens: 777, outputTokens: 333_333 },
  // deepseek-chat has a daytime and a night price: one request in each.
  { ts: at('2026-03-14T10:00:00Z'), model: GPU, inputTokens: 4_001, outputTokens: 999 },
  { ts: at('2026-03-14T20:00:00Z'), model: GPU, inputTokens: 5_003, outputTokens: 1_001, cacheReadTokens: 4_000 },
  { ts: at('2026-03-14T12:00:00Z'), model: OTHER, inputTokens: 1_000, outputTokens: 1_000 },
];

/** The package's own price of a request at its time, in nanos (the package counts input as the whole prompt). */
function packageNanos(r: RequestRecordInput, entry: string): number {
  const [providerId, model] = entry.split('/') as [string, string];
  const cacheRead = r.cacheReadTokens ?? 0;
  const cacheWrite = r.cacheWriteTokens ?? 0;
  const price = calcPrice(
    {
      input_tokens: (r.inputTokens ?? 0) + cacheRead + cacheWrite,
      cache_read_tokens: cacheRead,
      cache_write_tokens: cacheWrite,
      ...(r.cacheWrite1hTokens === undefined ? {} : { cache_write_1h_tokens: r.cacheWrite1hTokens }),
      output_tokens: r.outputTokens ?? 0,
    },
    model,
    { providerId, timestamp: new Date(r.ts as number) },
  );
  if (!price) throw new Error(`no catalogue price for ${entry}`);
  return Math.round(price.total_price * 1e9);
}
const cloudOf = (model: string, entry: string) => requests.filter((r) => r.model === model).reduce((sum, r) => sum + packageNanos(r, entry), 0) / 1e9;

let h: Harness;
beforeEach(async () => {
  h = new Harness(NOW);
  await h.service.ingestRequests(requests);
  h.service.flush();
});
afterEach(() => h.close());

describe('savings vs cloud', () => {
  it('prices each local model with a reference at the catalogue price in force at each request, per model and in total', async () => {
    // Own costs: the local model at the user's token price, the GPU by the hour (10 h at 5 USD).
    await h.service.addPriceVersion({ model: LOCAL, version: { method: 'tokens', effectiveFrom: 0, tiers: [{ maxPromptTokens: null, input: 0.1, output: 0.2 }] } });
    await h.service.addPriceVersion({ model: GPU, version: { method: 'hourly', effectiveFrom: 0, hourly: 5 } });
    await h.service.reportRun({ model: GPU, event: 'start', ts: at('2026-03-14T08:00:00Z') });
    await h.service.reportRun({ model: GPU, event: 'stop', ts: at('2026-03-14T18:00:00Z') });
    await h.service.setSavingsReference({ model: LOCAL, reference: 'anthropic/claude-opus-4-6' });
    await h.service.setSavingsReference({ model: GPU, reference: 'deepseek/deepseek-chat' });

    const summary = await h.service.getSummary(RANGE);
    const own = (model: string) => summary.models.find((m) => m.model === model)!.cost!['USD']!;
    const localCloud = cloudOf(LOCAL, 'anthropic/claude-opus-4-6');
    const gpuCloud = cloudOf(GPU, 'deepseek/deepseek-chat');
    expect(own(GPU)).toBe(50);
    const byModel = Object.fromEntries(summary.savings!.models.map((m) => [m.model, m]));
    expect(Object.keys(byModel).sort()).toEqual([GPU, LOCAL].sort());
    expect(byModel[LOCAL]).toMatchObject({ reference: 'anthropic/claude-opus-4-6', catalogue: '@pydantic/genai-prices@0.1.8', ownCost: { USD: own(LOCAL) } });
    expect(byModel[LOCAL]!.cloudCost['USD']).toBeCloseTo(localCloud, 8);
    expect(byModel[LOCAL]!.saved['USD']).toBeCloseTo(localCloud - own(LOCAL), 8);
    expect(byModel[LOCAL]!.saved['USD']).toBeGreaterThan(0);
    // The idle GPU billed by the hour cost more than the cloud would have: a loss.
    expect(byModel[GPU]!.cloudCost['USD']).toBeCloseTo(gpuCloud, 8);
    expect(byModel[GPU]!.saved['USD']).toBeCloseTo(gpuCloud - 50, 8);
    expect(byModel[GPU]!.saved['USD']).toBeLessThan(0);
    expect(byModel[GPU]!.priceDate).toBeNull();
    expect(summary.savings!.total.cloudCost['USD']).toBeCloseTo(localCloud + gpuCloud, 8);
    expect(summary.savings!.total.saved['USD']).toBeCloseTo(localCloud + gpuCloud - own(LOCAL) - 50, 8);
    // Existing fields are untouched by the addition.
    expect(summary.totals.cost['USD']).toBeCloseTo(own(LOCAL) + 50, 8);
  });

  it('uses the price before a change date for requests before it, and names the price date', async () => {
    await h.service.setSavingsReference({ model: LOCAL, reference: 'anthropic/claude-opus-4-6' });
    const before = await h.service.getSummary({ from: RANGE.from, to: at('2026-03-13T00:00:00Z') });
    const first = requests[0]!;
    expect(before.savings!.models[0]!.cloudCost['USD']).toBeCloseTo(packageNanos(first, 'anthropic/claude-opus-4-6') / 1e9, 8);
    const after = await h.service.getSummary(RANGE);
    expect(after.savings!.models[0]!.priceDate).toMatch(/^2026-03-13/);
    // An unpriced (free) local model saves the whole counterfactual.
    expect(after.savings!.models[0]!.ownCost).toEqual({});
    expect(after.savings!.models[0]!.saved['USD']).toBeCloseTo(cloudOf(LOCAL, 'anthropic/claude-opus-4-6'), 8);
  });

  it('takes model names as data: "constructor" and "__proto__" neither break the summary nor share a reference', async () => {
    await h.service.ingestRequests([
      { ts: at('2026-03-14T12:00:00Z'), model: 'constructor', inputTokens: 10, outputTokens: 10 },
      { ts: at('2026-03-14T12:00:00Z'), model: '__proto__', inputTokens: 10, outputTokens: 10 },
    ]);
    h.service.flush();
    expect((await h.service.getSummary(RANGE)).savings).toBeUndefined();
    await h.service.setSavingsReference({ model: '__proto__', reference: 'openai/gpt-4o-mini' });
    expect((await h.service.getSummary(RANGE)).savings!.models.map((m) => m.model)).toEqual(['__proto__']);
    expect(await h.service.listSavingsReferences()).toEqual([{ model: '__proto__', reference: 'openai/gpt-4o-mini' }]);
  });

  it('a model without a reference has no savings, and clearing a reference removes them', async () => {
    expect((await h.service.getSummary(RANGE)).savings).toBeUndefined();
    await h.service.setSavingsReference({ model: LOCAL, reference: 'openai/gpt-4o-mini' });
    expect((await h.service.getSummary(RANGE)).savings!.models.map((m) => m.model)).toEqual([LOCAL]);
    expect(await h.service.listSavingsReferences()).toEqual([{ model: LOCAL, reference: 'openai/gpt-4o-mini' }]);
    await h.service.setSavingsReference({ model: LOCAL, reference: null });
    expect((await h.service.getSummary(RANGE)).savings).toBeUndefined();
    expect(await h.service.listSavingsReferences()).toEqual([]);
  });

  it('refuses a reference that is not a catalogue entry, and a model the ledger does not know', async () => {
    const unknown = h.service.setSavingsReference({ model: LOCAL, reference: 'openai/gpt-99-ultra' });
    await expect(unknown).rejects.toThrow(/unknown catalogue model "openai\/gpt-99-ultra".*provider\/model-id/);
    expect(await errorCode(h.service.setSavingsReference({ model: LOCAL, reference: 'openai/gpt-99-ultra' }))).toBe('validation_failed');
    expect(await errorCode(h.service.setSavingsReference({ model: LOCAL, reference: 'gpt-4o-mini' }))).toBe('validation_failed');
    expect(await errorCode(h.service.setSavingsReference({ model: 'nope', reference: 'openai/gpt-4o-mini' }))).toBe('not_found');
    expect(await h.service.listSavingsReferences()).toEqual([]);
  });

  it('a reference is kept in the ledger across a restart', async () => {
    await h.service.setSavingsReference({ model: LOCAL, reference: 'openai/gpt-4o-mini' });
    h.reopen();
    const again = await h.service.getSummary(RANGE);
    expect(again.savings!.models[0]!.cloudCost['USD']).toBeCloseTo(cloudOf(LOCAL, 'openai/gpt-4o-mini'), 8);
  });
});
