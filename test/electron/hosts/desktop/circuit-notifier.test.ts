import { describe, expect, it, vi } from 'vitest';
import type { Language } from '../../../../shared/app.js';
import { LedgerEvents } from '../../../../electron/ledger/events/bus.js';
import { CircuitNotifier } from '../../../../electron/hosts/desktop/circuit-notifier.js';
import { FakeNotification } from './fakes.js';
import { useFakeNotifications } from './support.js';

describe('CircuitNotifier', () => {
  useFakeNotifications();

  function setup(language: Language = 'en') {
    const events = new LedgerEvents();
    const opened: string[] = [];
    const notifier = new CircuitNotifier({ Notification: FakeNotification, events, language: () => language, openChannels: () => opened.push('channels'), quietMs: 60_000 });
    notifier.start();
    const open = (key: string) => events.emit({ type: 'circuits', metricsKey: key, apiType: 'openai', state: 'open' });
    return { events, notifier, opened, open };
  }

  it('notifies when a circuit opens, not when one closes, and a click opens the channels view', () => {
    const { events, open, opened } = setup();
    events.emit({ type: 'circuits', metricsKey: 'k1', apiType: 'openai', state: 'closed' });
    events.emit({ type: 'circuits', metricsKey: 'k1', apiType: 'openai', state: 'half_open' });
    expect(FakeNotification.shown).toHaveLength(0);
    open('k1');
    expect(FakeNotification.shown).toHaveLength(1);
    expect(FakeNotification.shown[0]!.options).toEqual({ title: 'A channel stopped accepting requests', body: 'The circuit of k1 (openai) opened after repeated failures.' });
    FakeNotification.shown[0]!.emit('click');
    expect(opened).toEqual(['channels']);
  });

  it('turns a storm of openings into one notification now and one summary later', () => {
    const { open } = setup('zh-CN');
    for (let i = 0; i < 20; i += 1) open(`key-${i}`);
    expect(FakeNotification.shown).toHaveLength(1);
    expect(FakeNotification.shown[0]!.options.title).toBe('有渠道停止接受请求');
    vi.advanceTimersByTime(60_000);
    expect(FakeNotification.shown).toHaveLength(2);
    expect(FakeNotification.shown[1]!.options.body).toBe('又有 19 个渠道熔断。打开仪表盘查看详情。');
    vi.advanceTimersByTime(10 * 60_000);
    expect(FakeNotification.shown).toHaveLength(2);
  });

  it('stays quiet where the system has no notifications, and after stop', () => {
    FakeNotification.supported = false;
    const { open } = setup();
    open('k');
    expect(FakeNotification.shown).toHaveLength(0);
    FakeNotification.supported = true;
    const second = setup();
    second.notifier.stop();
    second.open('k');
    expect(FakeNotification.shown).toHaveLength(0);
  });
});
