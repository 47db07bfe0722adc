import { describe, expect, it, vi } from 'vitest';
import type { Language } from '../../../../shared/app.js';
import type { BudgetAlert } from '../../../../shared/types.js';
import { LedgerEvents } from '../../../../electron/ledger/events/bus.js';
import { BudgetNotifier } from '../../../../electron/hosts/desktop/budget-notifier.js';
import { FakeNotification } from './fakes.js';
import { useFakeNotifications } from './support.js';

function alert(budgetId: string, budgetName: string, threshold: number, spent: number, projected: number): BudgetAlert {
  return { id: threshold, budgetId, budgetName, threshold, periodStart: 0, ts: 0, spent, projected, currency: 'USD', webhook: { state: 'none', attempts: 0, lastError: null, deliveredAt: null } };
}

describe('BudgetNotifier', () => {
  useFakeNotifications();

  function setup(language: Language = 'en') {
    const events = new LedgerEvents();
    const opened: string[] = [];
    const notifier = new BudgetNotifier({ Notification: FakeNotification, events, language: () => language, openBudgets: () => opened.push('budgets'), gatherMs: 1_000 });
    notifier.start();
    const send = (a: BudgetAlert) => events.emit({ type: 'budget-alert', alert: a });
    return { events, notifier, opened, send };
  }

  it('names the budget, the spend and the forecast; a click opens the budgets view', () => {
    const { send, opened } = setup();
    send(alert('team', 'Team', 80, 8.5, 14.2));
    expect(FakeNotification.shown).toHaveLength(0);
    vi.advanceTimersByTime(1_000);
    expect(FakeNotification.shown.map((n) => n.options)).toEqual([
      { title: 'Budget "Team" passed 80%', body: 'Spent $8.50 this period; forecast $14.20 by its end.' },
    ]);
    FakeNotification.shown[0]!.emit('click');
    expect(opened).toEqual(['budgets']);
  });

  it('shows one notification per budget for thresholds passed together, the highest one, in Chinese when asked', () => {
    const { send } = setup('zh-CN');
    send(alert('team', '团队', 50, 9, 20));
    send(alert('team', '团队', 80, 9, 20));
    send(alert('solo', 'Solo', 100, 12, 30));
    vi.advanceTimersByTime(1_000);
    expect(FakeNotification.shown.map((n) => n.options.title)).toEqual(['预算「团队」已超过 80%', '预算「Solo」已超过 100%']);
    expect(FakeNotification.shown[0]!.options.body).toMatch(/^本期已花费 US\$9\.00，预计期末 US\$20\.00。$/);
  });

  it('ignores other events, and stays quiet without notifications or after stop', () => {
    const { events, notifier, send } = setup();
    events.emit({ type: 'budgets' });
    notifier.stop();
    send(alert('team', 'Team', 80, 8, 9));
    vi.advanceTimersByTime(5_000);
    FakeNotification.supported = false;
    setup().send(alert('team', 'Team', 80, 8, 9));
    vi.advanceTimersByTime(5_000);
    expect(FakeNotification.shown).toHaveLength(0);
  });
});
