import type { Language } from '../../../shared/app.js';
import type { BudgetAlert, LedgerEvent } from '../../../shared/types.js';
import type { NotificationFactory } from './electron-api.js';
import { TRAY_STRINGS } from './tray/strings.js';

export interface BudgetNotifierOptions {
  Notification: NotificationFactory;
  events: { subscribe(listener: (event: LedgerEvent) => void): () => void };
  language: () => Language;
  /** Where a click on the notification leads. */
  openBudgets: () => void;
  /** Alerts arriving within this window are gathered: one notification per budget, its highest threshold. */
  gatherMs?: number;
}

/**
 * A native notification when a budget passes a threshold, naming the budget, what was spent and the
 * forecast at period end. One ingest can pass 50 % and 80 % at once: those are gathered briefly and
 * only the highest threshold of each budget is shown.
 */
export class BudgetNotifier {
  private unsubscribe: (() => void) | null = null;
  private readonly held = new Map<string, BudgetAlert>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: BudgetNotifierOptions) {}

  start(): void {
    if (!this.options.Notification.isSupported()) return;
    this.unsubscribe = this.options.events.subscribe((event) => {
      if (event.type === 'budget-alert') this.hold(event.alert);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held.clear();
  }

  private hold(alert: BudgetAlert): void {
    const previous = this.held.get(alert.budgetId);
    if (!previous || alert.threshold > previous.threshold) this.held.set(alert.budgetId, alert);
    this.timer ??= setTimeout(() => this.flush(), this.options.gatherMs ?? 1_000);
  }

  private flush(): void {
    this.timer = null;
    const language = this.options.language();
    const s = TRAY_STRINGS[language];
    for (const alert of this.held.values()) {
      const money = (amount: number) => formatAmount(amount, alert.currency, language);
      const notification = new this.options.Notification({
        title: s.budgetAlertTitle(alert.budgetName, alert.threshold),
        body: s.budgetAlertBody(money(alert.spent), money(alert.projected)),
      });
      notification.on('click', () => this.options.openBudgets());
      notification.show();
    }
    this.held.clear();
  }
}

/** One amount in its currency, 2 decimals (a zero is shown too, unlike the tray's totals). */
function formatAmount(amount: number, currency: string, language: Language): string {
  try {
    return new Intl.NumberFormat(language, { style: 'currency', currency, maximumFractionDigits: 2, minimumFractionDigits: 2 }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}
