import type { Budget } from '../../../../shared/types.js';

/** Where the bar turns amber, and red: the tray icon changes at the same points. */
export const WARN_PERCENT = 80;
export const BAD_PERCENT = 100;

export type BarTone = 'ok' | 'warn' | 'bad';

export function toneOf(percent: number): BarTone {
  return percent >= BAD_PERCENT ? 'bad' : percent >= WARN_PERCENT ? 'warn' : 'ok';
}

export interface BarTick {
  threshold: number;
  /** Position on the bar, 0-100 (% of its width). */
  at: number;
  crossed: boolean;
}

/** A budget's bar, in % of the bar's width. */
export interface BarGeometry {
  /** The spent part. */
  spent: number;
  /** The projected rest of the period, drawn after the spent part (0 when nothing more is expected). */
  projected: number;
  /** The forecast goes past the bar's end (more than twice the amount): drawn open-ended, said in text. */
  clipped: boolean;
  /** Where the amount (100 %) sits: the right end unless spend or the forecast goes past it. */
  amount: number;
  ticks: BarTick[];
  tone: BarTone;
  /** Tone of the projection: the colour spend will have at the period's end at this pace. */
  projectedTone: BarTone;
}

/**
 * The bar spans the amount, or the spend or the forecast when one goes past it, so an overrun is seen
 * as such rather than as a full bar. A forecast is followed up to twice the amount (or the spend), no
 * further: early in a period a wild pace would otherwise squeeze the spend into a sliver. Thresholds
 * beyond the span are listed in text, not drawn.
 */
export function barGeometry(budget: Pick<Budget, 'amount' | 'thresholds' | 'status'>): BarGeometry {
  const { amount, status } = budget;
  const spent = Math.max(0, status.spent);
  const projected = Math.max(spent, status.projected);
  const base = Math.max(amount, spent);
  const span = Math.max(base, Math.min(projected, 2 * base)) || 1;
  const at = (value: number) => Math.min(100, (value / span) * 100);
  const crossed = new Set(status.crossed);
  return {
    spent: at(spent),
    projected: at(projected) - at(spent),
    clipped: projected > span,
    amount: at(amount),
    ticks: [...budget.thresholds]
      .sort((a, b) => a - b)
      .filter((threshold) => (amount * threshold) / 100 <= span)
      .map((threshold) => ({ threshold, at: at((amount * threshold) / 100), crossed: crossed.has(threshold) })),
    tone: toneOf(status.percent),
    projectedTone: toneOf(amount > 0 ? (projected / amount) * 100 : 0),
  };
}

/** Enabled budgets nearest their limit first (for the quick view and the Overview card). */
export function nearestFirst(budgets: readonly Budget[]): Budget[] {
  return budgets.filter((budget) => budget.enabled).sort((a, b) => b.status.percent - a.status.percent || a.name.localeCompare(b.name));
}
