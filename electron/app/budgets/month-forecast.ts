import type { Forecast, Money } from '../../../shared/types.js';
import { calendarZone, dayStarts, periodAt } from '../../ledger/budgets/periods.js';
import type { Ledger } from '../../ledger/store/ledger.js';
import { addMoney, convertMoney } from './currency.js';
import type { ScopeSpend, SpendReads } from './spend.js';
import { trailingWindow, type BudgetStatusCalculator } from './status.js';

const DAY_SECONDS = 86_400;

/**
 * The current month overall (the budget month: Settings.monthStartDay): spent and projected at
 * month end per currency, and daily points for the cost chart: each past day's actual cost, today's
 * so far, then each day ahead at the forecast's rate (the dashed projection).
 */
export async function monthForecast(ledger: Ledger, reads: SpendReads, calculator: BudgetStatusCalculator): Promise<Forecast> {
  const now = ledger.ctx.now();
  const settings = ledger.settings.get();
  const zone = calendarZone(ledger.ctx.calendar);
  const period = periodAt(now, 'month', zone, settings);
  const window = trailingWindow(ledger, now);
  const scope = { kind: 'all' } as const;
  const empty: ScopeSpend = { cost: {}, hourlyCost: {}, hourly: [] };
  // All three reads at once: the daily history waited for the two sums, a second trip through the read
  // workers for the Overview's last card.
  const [inPeriod, trailing, history] = await Promise.all([
    now > period.from ? calculator.spend.read(scope, { from: period.from, to: now }) : empty,
    window ? calculator.spend.read(scope, window) : empty,
    now > period.from ? reads.getHistory({ from: period.from, to: now, interval: DAY_SECONDS }) : null,
  ]);
  const currencies = [...new Set([...Object.keys(inPeriod.cost), ...Object.keys(trailing.cost)])].sort();
  const spent: Forecast['spent'] = [];
  const projected: Forecast['projected'] = [];
  let method = 'pace';
  for (const currency of currencies) {
    // Each currency on its own (no rate needed): a forecast per currency, as the summary shows totals.
    const only = (money: Money): Money => (currency in money ? { [currency]: money[currency]! } : {});
    const part = (spend: typeof inPeriod) => ({
      cost: only(spend.cost),
      hourlyCost: only(spend.hourlyCost),
      hourly: spend.hourly.filter((model) => model.price?.currency === currency),
    });
    const result = calculator.forecast(currency, { ...settings, currencyRates: {}, displayCurrency: null }, now, period, part(inPeriod), part(trailing), window);
    method = result.method;
    spent.push({ currency, cost: inPeriod.cost[currency] ?? 0 });
    projected.push({ currency, cost: result.projected });
  }

  const dailyCurrency =
    settings.displayCurrency ?? [...spent].sort((a, b) => b.cost - a.cost || a.currency.localeCompare(b.currency))[0]?.currency ?? 'USD';
  const rate = calculator.forecast(dailyCurrency, settings, now, period, inPeriod, trailing, window).rate;
  const days = dayStarts(period, zone);
  const actual = new Map<number, Money>();
  for (const bucket of history?.buckets ?? []) actual.set(bucket.ts, addMoney(actual.get(bucket.ts) ?? {}, bucket.cost));
  const daily: Forecast['daily'] = days.map((ts, index) => {
    const end = days[index + 1] ?? period.to;
    if (ts <= now) return { ts, cost: convertMoney(actual.get(ts) ?? {}, dailyCurrency, settings).amount, projected: false };
    return { ts, cost: rate * (end - ts), projected: true };
  });
  return { periodStart: period.from, periodEnd: period.to, spent, projected, method, dailyCurrency, daily };
}
