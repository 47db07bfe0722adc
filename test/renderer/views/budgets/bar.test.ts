import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import BudgetBar from '../../../../renderer/src/views/budgets/BudgetBar.svelte';
import { barGeometry, nearestFirst, toneOf } from '../../../../renderer/src/views/budgets/bar.js';
import { budget, status } from './fixtures.js';

describe('a budget’s bar', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('spans the amount while spend and forecast stay below it', () => {
    const geometry = barGeometry(budget({ status: status({ spent: 30, percent: 30, projected: 70, crossed: [] }) }));
    expect(geometry).toMatchObject({ spent: 30, amount: 100, tone: 'ok', projectedTone: 'ok' });
    expect(geometry.projected).toBeCloseTo(40);
    expect(geometry.ticks).toEqual([
      { threshold: 50, at: 50, crossed: false },
      { threshold: 80, at: 80, crossed: false },
      { threshold: 100, at: 100, crossed: false },
    ]);
  });

  it('stretches to the forecast when it overruns, so the amount mark moves left', () => {
    const geometry = barGeometry(budget({ thresholds: [80, 100, 300], status: status({ spent: 90, percent: 90, projected: 200, crossed: [50, 80] }) }));
    expect(geometry.amount).toBe(50);
    expect(geometry.spent).toBe(45);
    expect(geometry.projected).toBe(55);
    expect(geometry.tone).toBe('warn');
    expect(geometry.projectedTone).toBe('bad');
    // 300 % lies past the span and is not drawn; 80 % is crossed.
    expect(geometry.ticks.map((tick) => [tick.threshold, tick.at, tick.crossed])).toEqual([
      [80, 40, true],
      [100, 50, false],
    ]);
  });

  it('follows a wild forecast only to twice the amount, and says it is cut there', () => {
    const geometry = barGeometry(budget({ status: status({ spent: 85, percent: 85, projected: 1363 }) }));
    expect(geometry).toMatchObject({ amount: 50, spent: 42.5, projected: 57.5, clipped: true });
    expect(barGeometry(budget({ status: status({ spent: 85, percent: 85, projected: 200 }) })).clipped).toBe(false);
    // Spend itself past twice the amount is never cut: the bar spans it.
    const over = barGeometry(budget({ status: status({ spent: 300, percent: 300, projected: 900 }) }));
    expect(over).toMatchObject({ spent: 50, projected: 50, clipped: true });
    expect(over.amount).toBeCloseTo(100 / 6);
  });

  it('turns amber at 80 % and red at 100 %', () => {
    expect([0, 79.9, 80, 99.9, 100, 250].map(toneOf)).toEqual(['ok', 'ok', 'warn', 'warn', 'bad', 'bad']);
  });

  it('orders enabled budgets nearest their limit first and leaves paused ones out', () => {
    const list = [
      budget({ id: 'a', name: 'A', status: status({ percent: 20 }) }),
      budget({ id: 'b', name: 'B', status: status({ percent: 95 }) }),
      budget({ id: 'c', name: 'C', enabled: false, status: status({ percent: 300 }) }),
      budget({ id: 'd', name: 'D', status: status({ percent: 60 }) }),
    ];
    expect(nearestFirst(list).map((item) => item.id)).toEqual(['b', 'd', 'a']);
  });

  it('draws the spent part, the dashed projection and the crossed ticks, and says it all in its label', () => {
    render(BudgetBar, { budget: budget({ status: status({ spent: 85, percent: 85, projected: 120, crossed: [50, 80] }) }) });
    const bar = screen.getByTestId('budget-bar');
    expect(bar.dataset['tone']).toBe('warn');
    expect(bar.getAttribute('aria-label')).toBe('$85.00 of $100.00 spent (85%); projected $120.00 at the end of the period');
    expect(screen.getByTestId('budget-bar-spent').dataset['width']).toBe((85 / 1.2).toFixed(1));
    expect(screen.getByTestId('budget-bar-projected').dataset['width']).toBe((35 / 1.2).toFixed(1));
    expect(screen.getAllByTestId('budget-tick').map((tick) => [tick.dataset['threshold'], tick.dataset['crossed']])).toEqual([
      ['50', 'true'],
      ['80', 'true'],
      ['100', 'false'],
    ]);
  });

  it('draws no projection when the forecast adds nothing, and no ticks when compact', () => {
    render(BudgetBar, { budget: budget({ status: status({ spent: 10, percent: 10, projected: 10 }) }), compact: true });
    expect(screen.queryByTestId('budget-bar-projected')).toBeNull();
    expect(screen.queryAllByTestId('budget-tick')).toEqual([]);
  });
});
