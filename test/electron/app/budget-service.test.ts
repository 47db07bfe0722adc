import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../shared/types.js';
import { errorCode, Harness } from '../ledger/store/harness.js';
import { useTimeZone } from '../ledger/time/tz.js';
import { budgetInput as budget, closeBudgetHarness } from './budget-support.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const M = 1_000_000;

/** 1M input tokens of model `m` cost `price` of its currency. */
async function price(h: Harness, model: string, currency: string, input: number, effectiveFrom?: number): Promise<void> {
  await h.service.addPriceVersion({
    model,
    version: { method: 'tokens', currency, tiers: [{ maxPromptTokens: null, input, output: 0 }], ...(effectiveFrom === undefined ? {} : { effectiveFrom }) },
  });
}

/** A request of `units` × 1M input tokens at `ts`. */
function spend(h: Harness, model: string, ts: number, units: number): Promise<unknown> {
  return h.service.ingestRequests({ model, ts, inputTokens: units * M, outputTokens: 0 });
}

let harness: Harness | null = null;
async function open(now: number): Promise<Harness> {
  harness = new Harness(now);
  return harness;
}
afterEach(async () => {
  if (!harness) return;
  await closeBudgetHarness(harness);
  harness = null;
});

describe('budget settings', () => {
  useTimeZone('UTC');

  it('are created, replaced, listed and deleted; thresholds sorted; bad input names the field and stores nothing', async () => {
    const h = await open(at('2026-03-20T12:00:00Z'));
    const events: LedgerEvent[] = [];
    h.service.events.subscribe((event) => events.push(event));
    const created = await h.service.saveBudget({ id: 'team', budget: budget({ thresholds: [100, 25] }) });
    expect(created).toMatchObject({ id: 'team', name: 'Cloud month', thresholds: [25, 100], webhook: null, enabled: true, createdAt: h.now });
    expect(created.status).toMatchObject({ periodStart: at('2026-03-01T00:00:00Z'), periodEnd: at('2026-04-01T00:00:00Z'), spent: 0, percent: 0 });
    h.now += 1000;
    const replaced = await h.service.saveBudget({ id: 'team', budget: budget({ amount: 20, name: 'Renamed' }) });
    expect(replaced).toMatchObject({ amount: 20, name: 'Renamed', thresholds: [50, 80, 100], createdAt: created.createdAt });
    expect((await h.service.listBudgets()).map((b) => b.id)).toEqual(['team']);
    expect(events.filter((e) => e.type === 'budgets')).toHaveLength(2);

    await expect(h.service.saveBudget({ id: 'team', budget: budget({ amount: -1 }) })).rejects.toThrow(/amount/);
    await expect(h.service.saveBudget({ id: 'Bad Id', budget: budget() })).rejects.toThrow(/id: a budget id is 1-64/);
    await expect(h.service.saveBudget({ id: 'x', budget: budget({ thresholds: [80, 80] }) })).rejects.toThrow(/thresholds/);
    await expect(h.service.saveBudget({ id: 'x', budget: { ...budget(), scope: { kind: 'model' } } as never })).rejects.toThrow(/scope\.model/);
    await expect(h.service.saveBudget({ id: 'x', budget: budget({ webhook: { url: 'ftp://example.test/' } }) })).rejects.toThrow(/webhook\.url/);
    expect((await h.service.listBudgets()).map((b) => [b.id, b.amount])).toEqual([['team', 20]]);

    expect(await h.service.deleteBudget({ id: 'team' })).toEqual({ id: 'team' });
    expect(await errorCode(h.service.deleteBudget({ id: 'team' }))).toBe('not_found');
    expect(await h.service.listBudgets()).toEqual([]);
  });
});

describe('budget spend', () => {
  useTimeZone('UTC');

  it('counts the scope in the period, converts other currencies with the user rates and lists those without one', async () => {
    const h = await open(at('2026-03-20T12:00:00Z'));
    await price(h, 'gpt-x', 'USD', 1);
    await price(h, 'qwen-max', 'CNY', 7);
    await price(h, 'mistral-x', 'EUR', 1);
    await h.service.updateSettings({ displayCurrency: 'USD', currencyRates: { CNY: 0.14 } });
    await spend(h, 'gpt-x', at('2026-02-28T23:59:59Z'), 100); // the month before: not counted
    await spend(h, 'gpt-x', at('2026-03-01T00:00:00Z'), 2);
    await spend(h, 'gpt-x', at('2026-03-20T11:00:00Z'), 1);
    await spend(h, 'qwen-max', at('2026-03-10T00:00:00Z'), 1); // 7 CNY = 0.98 USD
    await spend(h, 'mistral-x', at('2026-03-10T00:00:00Z'), 3); // 3 EUR, no rate

    const all = await h.service.saveBudget({ id: 'all', budget: budget() });
    expect(all.status.spent).toBeCloseTo(3 + 0.98, 9);
    expect(all.status.percent).toBeCloseTo(39.8, 9);
    expect(all.status.converted).toEqual([{ currency: 'CNY', rate: 0.14 }]);
    expect(all.status.unconverted).toEqual([{ currency: 'EUR', cost: 3 }]);

    // A budget in CNY: USD through the display currency (1 USD = 1 / 0.14 CNY).
    const cny = await h.service.saveBudget({ id: 'cny', budget: budget({ currency: 'CNY', amount: 100 }) });
    expect(cny.status.spent).toBeCloseTo(7 + 3 / 0.14, 9);

    const model = await h.service.saveBudget({ id: 'qwen', budget: budget({ scope: { kind: 'model', model: 'qwen-max' } }) });
    expect(model.status.spent).toBeCloseTo(0.98, 9);
    expect(model.status.unconverted).toEqual([]);

    const day = await h.service.saveBudget({ id: 'today', budget: budget({ period: 'day' }) });
    expect(day.status.spent).toBeCloseTo(1, 9);
    expect(day.status.periodStart).toBe(at('2026-03-20T00:00:00Z'));
  });

  it('counts local models (with runs, priced by the hour) apart from cloud ones, hourly cost included', async () => {
    const h = await open(at('2026-03-03T12:00:00Z'));
    await price(h, 'gpt-x', 'USD', 1);
    await h.service.addPriceVersion({ model: 'gpu-box', version: { method: 'hourly', currency: 'USD', hourly: 2 } });
    await spend(h, 'gpt-x', at('2026-03-02T10:00:00Z'), 5);
    await h.service.reportRun({ model: 'gpu-box', event: 'start', ts: at('2026-03-02T08:00:00Z') });
    await h.service.reportRun({ model: 'gpu-box', event: 'stop', ts: at('2026-03-02T15:00:00Z') });
    const local = await h.service.saveBudget({ id: 'local', budget: budget({ scope: { kind: 'local' }, amount: 100 }) });
    const cloud = await h.service.saveBudget({ id: 'cloud', budget: budget({ scope: { kind: 'cloud' }, amount: 100 }) });
    expect(local.status.spent).toBeCloseTo(14, 9); // 7 h × 2 USD
    expect(cloud.status.spent).toBeCloseTo(5, 9);
  });

  it('counts one project through the summary project filter', async () => {
    const h = await open(at('2026-03-20T12:00:00Z'));
    await price(h, 'gpt-x', 'USD', 1);
    await h.service.ingestRequests([
      { model: 'gpt-x', ts: at('2026-03-05T00:00:00Z'), inputTokens: 2 * M, outputTokens: 0, project: '/home/me/alpha' },
      { model: 'gpt-x', ts: at('2026-03-06T00:00:00Z'), inputTokens: 3 * M, outputTokens: 0, project: '/home/me/beta' },
      { model: 'gpt-x', ts: at('2026-03-07T00:00:00Z'), inputTokens: 4 * M, outputTokens: 0 },
    ]);
    const alpha = await h.service.saveBudget({ id: 'alpha', budget: budget({ scope: { kind: 'project', project: '/home/me/alpha' } }) });
    expect(alpha.status.spent).toBeCloseTo(2, 9);
    const none = await h.service.saveBudget({ id: 'none', budget: budget({ scope: { kind: 'project', project: '/nowhere' } }) });
    expect(none.status.spent).toBe(0);
  });
});

describe('budget forecast', () => {
  useTimeZone('UTC');
  const NOW = at('2026-03-03T12:00:00Z');

  it('blends the pace of the period with the trailing 7 days early in a month (hand calculation)', async () => {
    const h = await open(NOW);
    await price(h, 'gpt-x', 'USD', 1);
    await spend(h, 'gpt-x', at('2026-02-20T00:00:00Z'), 1); // first activity: the trailing window is a full 7 days
    await spend(h, 'gpt-x', at('2026-02-26T00:30:00Z'), 7); // in the trailing window, before the period
    await spend(h, 'gpt-x', at('2026-03-01T06:00:00Z'), 2);
    await spend(h, 'gpt-x', at('2026-03-03T06:00:00Z'), 3);
    const { status } = await h.service.saveBudget({ id: 'm', budget: budget({ amount: 20 }) });
    // elapsed 2.5 d of 31; pace 5 / 2.5 = 2 a day; trailing (7 + 2 + 3) / 7 a day; weight 2.5 / 7.
    const rate = (2.5 / 7) * 2 + (4.5 / 7) * (12 / 7);
    expect(status.forecastMethod).toBe('blended');
    expect(status.spent).toBeCloseTo(5, 9);
    expect(status.projected).toBeCloseTo(5 + 28.5 * rate, 6);
    expect(status.reachesAmountAt).toBe(Math.ceil(NOW + (15 / rate) * DAY));
    // A day budget: a whole day's weight is reached within the day (weight 12 h / 24 h).
    const day = (await h.service.saveBudget({ id: 'd', budget: budget({ period: 'day', amount: 100 }) })).status;
    const dayRate = 0.5 * (3 / 0.5) + 0.5 * (12 / 7);
    expect(day.projected).toBeCloseTo(3 + 0.5 * dayRate, 6);
    expect(day.reachesAmountAt).toBeNull();
  });

  it('uses the pace alone when the ledger holds nothing before the period, and the trailing days in its first hour', async () => {
    const h = await open(at('2026-03-11T00:00:00Z'));
    await price(h, 'gpt-x', 'USD', 1);
    await spend(h, 'gpt-x', at('2026-03-01T00:00:00Z'), 5);
    await spend(h, 'gpt-x', at('2026-03-10T23:00:00Z'), 5);
    const month = (await h.service.saveBudget({ id: 'm', budget: budget({ amount: 1000 }) })).status;
    expect(month.forecastMethod).toBe('pace');
    expect(month.projected).toBeCloseTo(10 + 21 * (10 / 10), 6);
    h.now = at('2026-03-11T00:30:00Z');
    const day = (await h.service.saveBudget({ id: 'd', budget: budget({ period: 'day', amount: 1000 }) })).status;
    expect(day.forecastMethod).toBe('trailing7d');
    // Trailing window [4 March 00:30, now): only the 5 spent at 23:00 yesterday, over 7 days.
    expect(day.projected).toBeCloseTo(0 + 23.5 * HOUR * (5 / (7 * DAY)), 9);
  });

  it('projects hourly local models from their runs: share of the trailing days they ran × the hourly price', async () => {
    const h = await open(NOW);
    await h.service.addPriceVersion({ model: 'gpu-box', version: { method: 'hourly', currency: 'USD', hourly: 2 } });
    const run = async (from: string, to: string) => {
      await h.service.reportRun({ model: 'gpu-box', event: 'start', ts: at(from) });
      await h.service.reportRun({ model: 'gpu-box', event: 'stop', ts: at(to) });
    };
    await run('2026-02-20T00:00:00Z', '2026-02-20T01:00:00Z'); // before the window
    await run('2026-02-25T10:00:00Z', '2026-02-25T17:00:00Z');
    await run('2026-03-02T08:00:00Z', '2026-03-02T15:00:00Z');
    const { status } = await h.service.saveBudget({ id: 'gpu', budget: budget({ scope: { kind: 'local' }, amount: 1000 }) });
    // 14 h in 7 days = 2 h a day × 2 USD = 4 USD a day for the 28.5 days left.
    expect(status.spent).toBeCloseTo(14, 9);
    expect(status.projected).toBeCloseTo(14 + 28.5 * 4, 6);
  });

  it('for the month overall: per currency, with actual then projected daily points', async () => {
    const h = await open(NOW);
    await price(h, 'gpt-x', 'USD', 1);
    await price(h, 'qwen-max', 'CNY', 7);
    await spend(h, 'gpt-x', at('2026-02-20T00:00:00Z'), 1);
    await spend(h, 'gpt-x', at('2026-02-26T00:30:00Z'), 7);
    await spend(h, 'gpt-x', at('2026-03-01T06:00:00Z'), 2);
    await spend(h, 'gpt-x', at('2026-03-03T06:00:00Z'), 3);
    await spend(h, 'qwen-max', at('2026-03-02T06:00:00Z'), 1);
    const forecast = await h.service.getForecast();
    const rate = (2.5 / 7) * 2 + (4.5 / 7) * (12 / 7);
    expect(forecast.method).toBe('blended');
    expect(forecast.spent).toEqual([{ currency: 'CNY', cost: 7 }, { currency: 'USD', cost: 5 }]);
    expect(forecast.projected.find((p) => p.currency === 'USD')!.cost).toBeCloseTo(5 + 28.5 * rate, 6);
    expect(forecast.dailyCurrency).toBe('CNY'); // the most spend (7 CNY > 5 USD) without a display currency
    await h.service.updateSettings({ displayCurrency: 'USD', currencyRates: { CNY: 0.14 } });
    const usd = await h.service.getForecast();
    expect(usd.dailyCurrency).toBe('USD');
    expect(usd.daily).toHaveLength(31);
    expect(usd.daily.slice(0, 4).map((d) => [d.cost, d.projected])).toEqual([
      [2, false],
      [expect.closeTo(0.98, 9), false],
      [3, false],
      // Ahead: a whole day at the blended rate, both currencies in USD.
      [expect.closeTo((2.5 / 7) * (5.98 / 2.5) + (4.5 / 7) * (12.98 / 7), 9), true],
    ]);
    expect(usd.daily[3]!.ts).toBe(at('2026-03-04T00:00:00Z'));
    expect(usd.daily.at(-1)!.projected).toBe(true);
  });
});

describe('budget periods in a zone with DST (Europe/Berlin)', () => {
  useTimeZone('Europe/Berlin');

  it('counts 23:30 on 31 March (summer time) in March and 00:30 on 1 April in April', async () => {
    const h = await open(at('2026-03-31T21:45:00Z')); // 23:45 local
    await price(h, 'gpt-x', 'USD', 1);
    await spend(h, 'gpt-x', at('2026-02-28T22:59:00Z'), 100); // 23:59 on 28 Feb local: February
    await spend(h, 'gpt-x', at('2026-02-28T23:00:00Z'), 1); // 00:00 on 1 March local
    await spend(h, 'gpt-x', at('2026-03-31T21:30:00Z'), 2); // 23:30 on 31 March local
    const march = (await h.service.saveBudget({ id: 'm', budget: budget({ amount: 100 }) })).status;
    expect([march.periodStart, march.periodEnd]).toEqual([at('2026-02-28T23:00:00Z'), at('2026-03-31T22:00:00Z')]);
    expect(march.spent).toBeCloseTo(3, 9);
    h.now = at('2026-03-31T22:45:00Z'); // 00:45 on 1 April local
    await spend(h, 'gpt-x', at('2026-03-31T22:30:00Z'), 4);
    const april = (await h.service.listBudgets())[0]!.status;
    expect(april.periodStart).toBe(at('2026-03-31T22:00:00Z'));
    expect(april.spent).toBeCloseTo(4, 9);
  });

  it('a day budget on the spring change day is 23 hours long', async () => {
    const h = await open(at('2026-03-29T10:00:00Z'));
    const { status } = await h.service.saveBudget({ id: 'd', budget: budget({ period: 'day' }) });
    expect(status.periodEnd - status.periodStart).toBe(23 * HOUR);
  });
});
