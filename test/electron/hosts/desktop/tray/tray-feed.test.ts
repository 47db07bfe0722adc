import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LedgerApi } from '../../../../../shared/api.js';
import type { LedgerEvent, Run, Summary } from '../../../../../shared/types.js';
import { LedgerEvents } from '../../../../../electron/ledger/events/bus.js';
import type { RunningModel } from '../../../../../electron/hosts/desktop/tray/render-tray.js';
import { TrayFeed } from '../../../../../electron/hosts/desktop/tray/tray-feed.js';

function summary(cost: Record<string, number>, open: number): Summary {
  const totals = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, requests: 0, failures: 0, unpricedRequests: 0, runtimeSeconds: 0, cost };
  return { from: 0, to: 1, totals, models: [], circuits: { closed: 3, open, half_open: 1 }, converted: null };
}

function run(model: string, start: number, running: boolean): Run {
  return { id: start, model, source: null, start, end: running ? null : start + 1, lastSeenAt: start, running, durationSeconds: 1 };
}

describe('TrayFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const events = new LedgerEvents();
    const calls = { summary: 0 };
    let cost: Record<string, number> = { USD: 1 };
    const service: Pick<LedgerApi, 'getSummary' | 'listRuns'> & { events: LedgerEvents } = {
      events,
      getSummary: async () => {
        calls.summary += 1;
        return summary(cost, 2);
      },
      listRuns: async () => [run('b', 300, true), run('a', 200, true), run('a', 100, true), run('c', 50, false)],
    };
    const seen: { cost: Record<string, number>[]; circuits: [number, number][]; running: RunningModel[][]; ticks: number } = { cost: [], circuits: [], running: [], ticks: 0 };
    const feed = new TrayFeed({
      service,
      log: () => {},
      throttleMs: 2_000,
      tickMs: 30_000,
      target: {
        setTodayCost: (value) => seen.cost.push(value),
        setCircuits: (open, half) => seen.circuits.push([open, half]),
        setRunningModels: (models) => seen.running.push(models),
        tick: () => (seen.ticks += 1),
      },
    });
    return { events, calls, seen, feed, setCost: (value: Record<string, number>) => (cost = value) };
  }

  it('loads today\'s cost, circuits and the running models with the start of each one\'s earliest open run', async () => {
    const { feed, seen } = setup();
    await feed.start();
    expect(seen.cost).toEqual([{ USD: 1 }]);
    expect(seen.circuits).toEqual([[2, 1]]);
    expect(seen.running).toEqual([[{ model: 'a', since: 100 }, { model: 'b', since: 300 }]]);
    feed.stop();
  });

  it('reloads once for a burst of ledger events', async () => {
    const { feed, events, calls, seen, setCost } = setup();
    await feed.start();
    setCost({ USD: 2 });
    const event: LedgerEvent = { type: 'requests', count: 1, models: ['a'] };
    for (let i = 0; i < 50; i += 1) events.emit(event);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(calls.summary).toBe(2);
    expect(seen.cost.at(-1)).toEqual({ USD: 2 });
    feed.stop();
    events.emit(event);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.summary).toBe(2);
  });

  it('ticks every 30 seconds so runtimes advance', async () => {
    const { feed, seen } = setup();
    await feed.start();
    await vi.advanceTimersByTimeAsync(90_000);
    expect(seen.ticks).toBe(3);
    feed.stop();
  });
});

describe('TrayFeed under a flood of requests', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lists runs again only when runs change, not for every request burst', async () => {
    const events = new LedgerEvents();
    const calls = { runs: 0 };
    const feed = new TrayFeed({
      service: {
        events,
        getSummary: async () => summary({}, 0),
        listRuns: async () => {
          calls.runs += 1;
          return [run('a', 100, true)];
        },
      },
      log: () => {},
      throttleMs: 1_000,
      target: { setTodayCost: () => {}, setCircuits: () => {}, setRunningModels: () => {}, tick: () => {} },
    });
    await feed.start();
    events.emit({ type: 'requests', count: 5, models: ['a'] });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(calls.runs).toBe(1);
    events.emit({ type: 'runs', model: 'a', run: run('a', 100, false) });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(calls.runs).toBe(2);
    feed.stop();
  });
});
