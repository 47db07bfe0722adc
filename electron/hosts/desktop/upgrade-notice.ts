import { setTimeout as sleep } from 'node:timers/promises';
import type { Language } from '../../../shared/app.js';
import type { SchemaUpgrade } from '../../ledger/store/database.js';
import type { NotificationFactory, NotificationLike } from './electron-api.js';
import { TRAY_STRINGS } from './tray/strings.js';

/**
 * Ledgers from this size up get a notice: an upgrade takes about 2 s per 100 MB (migration 17: 13.9 s
 * for 714 MB), and the app shows nothing before it, no tray and no window.
 */
export const UPGRADE_NOTICE_BYTES = 128 * 1024 * 1024;

/**
 * How long the event loop turns after the notice before the upgrade holds it: `show()` hands the
 * notification to the system from this (the main) thread's message loop, which the upgrade blocks.
 */
export const UPGRADE_NOTICE_MS = 300;

export interface UpgradeNoticeOptions {
  Notification: NotificationFactory;
  language: () => Language;
  wait?: (ms: number) => Promise<void>;
}

/**
 * Says, in a native notification, that the ledger is being upgraded to this version (once, and what
 * the start waits for), before a big ledger's schema upgrade holds the main process for seconds.
 */
export class UpgradeNotice {
  /** Held until the app quits: a notification the garbage collector takes may vanish from the screen. */
  private shown: NotificationLike | null = null;

  constructor(private readonly options: UpgradeNoticeOptions) {}

  async before(upgrade: SchemaUpgrade): Promise<void> {
    const { Notification } = this.options;
    if (upgrade.bytes < UPGRADE_NOTICE_BYTES || !Notification.isSupported()) return;
    const s = TRAY_STRINGS[this.options.language()];
    this.shown = new Notification({ title: s.upgradeTitle, body: s.upgradeBody(Math.round(upgrade.bytes / 1_000_000)) });
    this.shown.show();
    const wait = this.options.wait ?? ((ms: number) => sleep(ms));
    await wait(UPGRADE_NOTICE_MS);
  }
}
