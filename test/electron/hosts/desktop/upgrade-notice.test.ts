import { describe, expect, it } from 'vitest';
import { UPGRADE_NOTICE_BYTES, UPGRADE_NOTICE_MS, UpgradeNotice } from '../../../../electron/hosts/desktop/upgrade-notice.js';
import type { Language } from '../../../../shared/app.js';
import { FakeNotification } from './fakes.js';
import { useFakeNotifications } from './support.js';

describe('UpgradeNotice', () => {
  useFakeNotifications();

  function setup(language: Language = 'en') {
    const waits: number[] = [];
    const notice = new UpgradeNotice({ Notification: FakeNotification, language: () => language, wait: async (ms) => void waits.push(ms) });
    return { notice, waits };
  }

  it('says a big ledger is being upgraded, with its size, and lets the system show it before the upgrade holds the app', async () => {
    const { notice, waits } = setup();
    await notice.before({ from: 16, to: 17, bytes: 714_000_000 });
    expect(FakeNotification.shown.map((n) => n.options)).toEqual([
      {
        title: 'Upgrading the ledger',
        body: 'ModelMeter is bringing your ledger (714 MB) up to this version. This happens once and can take a minute; ModelMeter starts when it is done.',
      },
    ]);
    expect(waits).toEqual([UPGRADE_NOTICE_MS]);
  });

  it('speaks the chosen language', async () => {
    const { notice } = setup('zh-CN');
    await notice.before({ from: 16, to: 17, bytes: 300_000_000 });
    expect(FakeNotification.shown[0]!.options.title).toBe('正在升级账本');
    expect(FakeNotification.shown[0]!.options.body).toContain('300 MB');
  });

  it('says nothing of a small ledger (its upgrade takes a moment), nor where notifications are not supported', async () => {
    const { notice, waits } = setup();
    await notice.before({ from: 16, to: 17, bytes: UPGRADE_NOTICE_BYTES - 1 });
    FakeNotification.supported = false;
    await notice.before({ from: 16, to: 17, bytes: 714_000_000 });
    expect(FakeNotification.shown).toHaveLength(0);
    expect(waits).toEqual([]);
  });
});
