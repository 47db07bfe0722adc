/**
 * Where a period's spend will end, from the pace so far blended with the trailing days.
 *
 * Inputs, all in one currency: `spent` in the period so far (hourly models included), the part of it
 * from models priced by the hour, the other (token) spend over the trailing window, and the hourly
 * models' rate from their runs. With
 *
 *   elapsed   = now − periodStart,        remaining = periodEnd − now
 *   window    = min(7 days, now − first activity in the ledger)   (the trailing window)
 *   paceRate  = (spent − hourlySpent) / elapsed
 *   trailRate = trailingTokenSpend / window
 *   w         = elapsed / min(period length, 7 days)   (0 → 1 over the first week or the whole day)
 *   rate      = w × paceRate + (1 − w) × trailRate + hourlyRate
 *   projected = spent + remaining × rate
 *
 * method 'pace' (w = 1): a week or more of the period has passed, or the ledger holds nothing older
 * than the period (the trailing window would only repeat it); 'trailing7d' (w = 0): less than an
 * hour of the period has passed, too little for a pace; 'blended' otherwise. So one busy morning
 * early in a month weighs little against the week before it. Hourly-priced local models are
 * projected from their runs' pattern instead: the share of the trailing window they ran × their
 * hourly price (hourlyRate), whatever the method.
 */
export const WEEK_MS = 7 * 86_400_000;
const MIN_PACE_MS = 3_600_000;

export interface ForecastInput {
  now: number;
  periodStart: number;
  periodEnd: number;
  spent: number;
  hourlySpent: number;
  trailingTokenSpend: number;
  /** Length of the trailing window actually covered (≤ 7 days); 0 when the ledger is empty. */
  windowMs: number;
  /** Per ms of wall time, from the hourly models' runs over the window. */
  hourlyRate: number;
}

export interface ForecastResult {
  projected: number;
  method: 'pace' | 'blended' | 'trailing7d';
  /** Per ms of wall time from now on. */
  rate: number;
  /** Weight of the period's own pace. */
  weight: number;
}

export function forecastPeriod(input: ForecastInput): ForecastResult {
  const elapsed = Math.max(0, input.now - input.periodStart);
  const remaining = Math.max(0, input.periodEnd - input.now);
  const length = input.periodEnd - input.periodStart;
  const tokenSpent = Math.max(0, input.spent - input.hourlySpent);
  const paceRate = elapsed > 0 ? tokenSpent / elapsed : 0;
  const trailRate = input.windowMs > 0 ? input.trailingTokenSpend / input.windowMs : 0;
  let method: ForecastResult['method'];
  let weight: number;
  if (elapsed >= WEEK_MS || input.windowMs <= elapsed) {
    method = 'pace';
    weight = 1;
  } else if (elapsed < MIN_PACE_MS) {
    method = 'trailing7d';
    weight = 0;
  } else {
    method = 'blended';
    weight = Math.min(1, elapsed / Math.min(length, WEEK_MS));
  }
  const rate = weight * paceRate + (1 - weight) * trailRate + input.hourlyRate;
  return { projected: input.spent + remaining * rate, method, rate, weight };
}

/** When spend at `rate` from `spent` now reaches `amount`, if before the period ends; null otherwise or if already reached. */
export function reachesAmountAt(amount: number, spent: number, rate: number, now: number, periodEnd: number): number | null {
  if (spent >= amount || rate <= 0) return null;
  const at = now + (amount - spent) / rate;
  return at < periodEnd ? Math.ceil(at) : null;
}
