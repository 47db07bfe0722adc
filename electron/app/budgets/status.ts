import type { BudgetConfig } from '../../../shared/schemas/budgets.js';
import type { BudgetStatus, Money, Settings } from '../../../shared/types.js';
import { firstActivityAt } from '../../ledger/budgets/activity.js';
import { calendarZone, periodAt } from '../../ledger/budgets/periods.js';
import type { Ledger } from '../../ledger/store/ledger.js';
import type { TimeRange } from '../../ledger/time/ranges.js';
import { convertMoney, rateBetween } from './currency.js';
import { forecastPeriod, reachesAmountAt, WEEK_MS, type ForecastResult } from './forecast.js';
import { hourlyRunRate, ScopeSpendReader, type ScopeSpend, type SpendReads } from './spend.js';

const EMPTY: ScopeSpend = { cost: {}, hourlyCost: {}, hourly: [] };

/** The trailing window the forecast reads: up to 7 days, never before the ledger's first activity. */
export function trailingWindow(ledger: Ledger, now: number): TimeRange | null {
  const first = firstActivityAt(ledger.db);
  if (first === null || first >= now) return null;
  return { from: Math.max(now - WEEK_MS, first), to: now };
}

/** Subtracts b from a per currency (the non-hourly part of a spend). */
function minus(a: Money, b: Money): Money {
  const out: Money = { ...a };
  for (const [currency, value] of Object.entries(b)) out[currency] = (out[currency] ?? 0) - value;
  return out;
}

/**
 * A budget's status now: its period in the local calendar, spend in scope converted to the budget's
 * currency, the forecast at period end (see forecast.ts) and the thresholds crossed.
 */
export class BudgetStatusCalculator {
  readonly spend: ScopeSpendReader;

  constructor(
    private readonly ledger: Ledger,
    reads: SpendReads,
  ) {
    this.spend = new ScopeSpendReader(ledger, reads);
  }

  period(config: Pick<BudgetConfig, 'period'>, now: number): TimeRange {
    const settings = this.ledger.settings.get();
    return periodAt(now, config.period, calendarZone(this.ledger.ctx.calendar), settings);
  }

  async status(config: BudgetConfig, sent: readonly number[]): Promise<BudgetStatus> {
    const now = this.ledger.ctx.now();
    const settings = this.ledger.settings.get();
    const period = this.period(config, now);
    const window = trailingWindow(this.ledger, now);
    const [inPeriod, trailing] = await Promise.all([
      now > period.from ? this.spend.read(config.scope, { from: period.from, to: now }) : EMPTY,
      window ? this.spend.read(config.scope, window) : EMPTY,
    ]);
    const spent = convertMoney(inPeriod.cost, config.currency, settings);
    const forecast = this.forecast(config.currency, settings, now, period, inPeriod, trailing, window);
    const percent = (spent.amount / config.amount) * 100;
    const crossed = [...new Set([...config.thresholds.filter((threshold) => percent >= threshold), ...sent])].sort((a, b) => a - b);
    return {
      periodStart: period.from,
      periodEnd: period.to,
      spent: spent.amount,
      percent,
      projected: forecast.projected,
      forecastMethod: forecast.method,
      reachesAmountAt: reachesAmountAt(config.amount, spent.amount, forecast.rate, now, period.to),
      crossed,
      converted: spent.converted,
      unconverted: spent.unconverted,
    };
  }

  /** The forecast in `currency` (other currencies converted; those without a rate left out). */
  forecast(
    currency: string,
    settings: Pick<Settings, 'displayCurrency' | 'currencyRates'>,
    now: number,
    period: TimeRange,
    inPeriod: ScopeSpend,
    trailing: ScopeSpend,
    window: TimeRange | null,
  ): ForecastResult {
    const windowMs = window ? window.to - window.from : 0;
    let hourlyRate = 0;
    for (const rate of hourlyRunRate(trailing.hourly, windowMs)) {
      const factor = rateBetween(rate.currency, currency, settings);
      if (factor !== null) hourlyRate += rate.perMs * factor;
    }
    return forecastPeriod({
      now,
      periodStart: period.from,
      periodEnd: period.to,
      spent: convertMoney(inPeriod.cost, currency, settings).amount,
      hourlySpent: convertMoney(inPeriod.hourlyCost, currency, settings).amount,
      trailingTokenSpend: convertMoney(minus(trailing.cost, trailing.hourlyCost), currency, settings).amount,
      windowMs,
      hourlyRate,
    });
  }
}
