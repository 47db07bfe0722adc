import type { Language } from '../../../shared/app.js';
import type { LedgerEvent } from '../../../shared/types.js';
import type { NotificationFactory } from './electron-api.js';
import { TRAY_STRINGS } from './tray/strings.js';

export interface CircuitNotifierOptions {
  Notification: NotificationFactory;
  events: { subscribe(listener: (event: LedgerEvent) => void): () => void };
  language: () => Language;
  /** Where a click on the notification leads. */
  openChannels: () => void;
  /** After one notification, further openings within this window are gathered into one. */
  quietMs?: number;
}

/**
 * A native notification when a channel's circuit opens. A failing upstream often opens many
 * circuits at once: the first one is shown at once, the rest of the burst as one summary later.
 */
export class CircuitNotifier {
  private unsubscribe: (() => void) | null = null;
  private quietUntil = 0;
  private held = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: CircuitNotifierOptions) {}

  start(): void {
    if (!this.options.Notification.isSupported()) return;
    this.unsubscribe = this.options.events.subscribe((event) => {
      if (event.type === 'circuits' && event.state === 'open') this.opened(event.metricsKey, event.apiType);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private opened(metricsKey: string, apiType: string): void {
    const now = Date.now();
    const quietMs = this.options.quietMs ?? 60_000;
    if (now >= this.quietUntil) {
      const s = TRAY_STRINGS[this.options.language()];
      this.show(s.circuitOpenedTitle, s.circuitOpenedBody(shortKey(metricsKey), apiType));
      this.quietUntil = now + quietMs;
      return;
    }
    this.held += 1;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const count = this.held;
      this.held = 0;
      const s = TRAY_STRINGS[this.options.language()];
      this.show(s.circuitOpenedTitle, s.circuitsOpenedBody(count));
      this.quietUntil = Date.now() + quietMs;
    }, this.quietUntil - now);
  }

  private show(title: string, body: string): void {
    const notification = new this.options.Notification({ title, body });
    notification.on('click', () => this.options.openChannels());
    notification.show();
  }
}

/** Metrics keys are hashes: the first characters are enough to tell channels apart in a notification. */
function shortKey(metricsKey: string): string {
  return metricsKey.length > 12 ? `${metricsKey.slice(0, 12)}…` : metricsKey;
}
