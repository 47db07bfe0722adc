import type { Forecast } from '../../../../shared/types.js';
import type { ChartSeries } from '../../lib/charts/series.js';

const DAY_SECONDS = 86_400;

export interface ChartWindow {
  from: number;
  to: number;
  /** Bucket width in seconds. */
  interval: number;
}

/**
 * The month's projected days as a dashed series for the cost chart in `currency`, and how far the
 * chart's time axis must then reach (the month's end). Null when it does not belong on that chart:
 * not day buckets (a projection per day on hourly bars would mislead), a range that does not reach
 * into the current month up to now, another currency, or nothing projected.
 */
export function projectionFor(
  forecast: Forecast | undefined,
  window: ChartWindow,
  currency: string,
  now: number,
  style: { label: string; color: string },
): { series: ChartSeries; to: number } | null {
  if (!forecast || window.interval !== DAY_SECONDS || forecast.dailyCurrency !== currency) return null;
  // The range must cover the current month up to today: a range ending last month shows no future.
  if (window.to < now - DAY_SECONDS * 1000 || window.to <= forecast.periodStart || window.from >= forecast.periodEnd) return null;
  const points = forecast.daily.filter((day) => day.projected && day.ts >= forecast.periodStart && day.ts < forecast.periodEnd).map((day) => ({ x: day.ts, y: day.cost }));
  if (points.length === 0) return null;
  return { series: { label: style.label, color: style.color, points, projection: true }, to: Math.max(window.to, forecast.periodEnd) };
}
