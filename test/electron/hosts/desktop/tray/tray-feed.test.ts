import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LedgerApi } from '../../../../../shared/api.js';
import type { Budget, LedgerEvent, Run, Summary } from '../../../../../shared/types.js';
import type { HostInfo } from '../../../../../shared/schemas/forwarding.js';
import { LedgerEvents } from '../../../../../electron/ledger/events/bus.js';
import type { RunningModel, TrayBudget } from '../../../../../electron/hosts/desktop/tray/render-tray.js';
import { TrayFeed, machineCount, trayBudget } from '../../../../../electron/hosts/desktop/tray/tray-feed.js';

function summary(cost: Record<string, number>, open: number): Summary {
  const totals = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, requests: 0, failures: 0, unpricedRequests: 0, runtimeSeconds: 0, cost };
  return { from: 0, to: 1, totals, models: [], circuits: { closed: 3, open, half_open: 1 }, converted: null };
}

function budget(name: string, percent: number, enabled = true): Budget {
  const status = { periodStart: 0, periodEnd: 1, spent: percent / 10, percent, projected: 0, forecastMethod: 'pace' as const, reachesAmountAt: null, crossed: [], converted: [], unconverted: [] };
  return { id: name.toLowerCase(), name, amount: 10, currency: 'USD', period: 'month', scope: { kind: 'all' }, thresholds: [80, 100], webhook: null, enabled, createdAt: 0, status };
}

function host(name: string | null): HostInfo {
  return { name, requests: 1, firstSeen: 0, lastSeen: 0 };
}

function run(model: string, start: number, running: boolean): Run {
  return { id: start, model, source: null, start, end: running ? null : start + 1, lastSeenAt: start, running, durationSeconds: 1 };
}

describe('TrayFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const events = new LedgerEvents();
    const calls = { summary: 0, budgets: 0, hosts: 0 };
    let cost: Record<string, number> = { USD: 1 };
    let budgets: Budget[] = [];
    let hosts: HostInfo[] | Error = [host(null)];
    const service: Pick<LedgerApi, 'getSummary' | 'listRuns' | 'listBudgets' | 'listHosts'> & { events: LedgerEvents } = {
      events,
      getSummary: async () => {
        calls.summary += 1;
        return summary(cost, 2);
      },
      listRuns: async () => [run('b', 300, true), run('a', 200, true), run('a', 100, true), run('c', 50, false)],
      listBudgets: async () => {
        calls.budgets += 1;
        return budgets;
      },
      listHosts: async () => {
        calls.hosts += 1;
        if (hosts instanceof Error) throw hosts;
        return hosts;
      },
    };
    const seen: { cost: Record<string, number>[]; circuits: [number, number][]; running: RunningModel[][]; budget: (TrayBudget | null)[]; machines: number[]; ticks: number } = {
      cost: [],
      circuits: [],
      running: [],
      budget: [],
      machines: [],
      ticks: 0,
    };
    const logged: string[] = [];
    const feed = new TrayFeed({
      service,
      log: (message) => logged.push(message),
      throttleMs: 2_000,
      tickMs: 30_000,
      target: {
        setTodayCost: (value) => seen.cost.push(value),
        setCircuits: (open, half) => seen.circuits.push([open, half]),
        setRunningModels: (models) => seen.running.push(models),
        setBudget: (value) => seen.budget.push(value),
        setMachines: (count) => seen.machines.push(count),
        tick: () => (seen.ticks += 1),
      },
    });
    return {
      events,
      calls,
      seen,
      feed,
      logged,
      setCost: (value: Record<string, number>) => (cost = value),
      setBudgets: (value: Budget[]) => (budgets = value),
      setHosts: (value: HostInfo[] | Error) => (hosts = value),
    };
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
    // Budget statuses cost a summary each: a burst of requests does not read them again.
    expect(calls.budgets).toBe(1);
    feed.stop();
    events.emit(event);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.summary).toBe(2);
  });

  it('shows the enabled budget furthest through its amount from 80 %, reloaded on a budget alert and on its own clock', async () => {
    const { feed, events, seen, setBudgets } = setup();
    setBudgets([budget('Team', 79.9)]);
    await feed.start();
    expect(seen.budget).toEqual([null]);
    setBudgets([budget('Team', 85), budget('Solo', 120, false), budget('Cloud', 80)]);
    events.emit({ type: 'budgets' });
    await vi.advanceTimersByTimeAsync(2_100);
    expect(seen.budget.at(-1)).toEqual({ name: 'Team', percent: 85 });
    // Hourly cost grows with no event at all: the budgets are read again within a minute.
    setBudgets([budget('Team', 101)]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(seen.budget.at(-1)).toEqual({ name: 'Team', percent: 101 });
    feed.stop();
  });

  it('picks no budget under 80 %, and none that is switched off', () => {
    expect(trayBudget([budget('A', 50), budget('B', 99, false)])).toBeNull();
    expect(trayBudget([budget('A', 80), budget('B', 90)])).toEqual({ name: 'B', percent: 90 });
  });

  it('counts the machines: this one and each that forwards here, read again on a hosts event', async () => {
    const { feed, events, seen, calls, setHosts } = setup();
    await feed.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.machines).toEqual([1]);
    setHosts([host(null), host('gpu-box'), host('lab-2')]);
    events.emit({ type: 'hosts' });
    await vi.advanceTimersByTimeAsync(2_100);
    expect(seen.machines.at(-1)).toBe(3);
    expect(calls.hosts).toBe(2);
    feed.stop();
  });

  it('lists machines on request bursts no more often than it reads budgets (once a minute)', async () => {
    const { feed, events, calls } = setup();
    await feed.start();
    const burst: LedgerEvent = { type: 'requests', count: 10, models: ['a'] };
    for (let second = 0; second < 50; second += 5) {
      events.emit(burst);
      await vi.advanceTimersByTimeAsync(5_000);
    }
    expect(calls.summary).toBeGreaterThan(5);
    expect(calls.hosts).toBe(1);
    await vi.advanceTimersByTimeAsync(15_000);
    events.emit(burst);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(calls.hosts).toBe(2);
    feed.stop();
  });

  it('still shows today\'s numbers when machines cannot be listed, and says why in the log', async () => {
    const { feed, seen, logged, setHosts } = setup();
    setHosts(new Error('hosts are not built yet'));
    await feed.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.cost).toEqual([{ USD: 1 }]);
    expect(seen.machines).toEqual([]);
    expect(logged.join('\n')).toContain('hosts are not built yet');
    feed.stop();
  });

  it('counts each machine once, this one always', () => {
    expect(machineCount([])).toBe(1);
    expect(machineCount([host(null)])).toBe(1);
    expect(machineCount([host(null), host('a'), host('b'), host('a')])).toBe(3);
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
        listBudgets: async () => [],
        listHosts: async () => [],
      },
      log: () => {},
      throttleMs: 1_000,
      target: { setTodayCost: () => {}, setCircuits: () => {}, setRunningModels: () => {}, setBudget: () => {}, setMachines: () => {}, tick: () => {} },
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
