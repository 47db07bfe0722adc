import { describe, expect, it } from 'vitest';
import { delay, fakeOllama, useWatchers, waitFor } from './support.js';

describe('Ollama watcher (GET /api/ps)', () => {
  const make = useWatchers();

  it('starts a run when a model is loaded, and stops it at the last poll that saw it when unloaded', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    const h = make.harness();
    loaded.add('gemma3:latest');
    h.manager.start();
    const { id } = await h.add('ollama', launcher.url);
    const source = `ollama@${launcher.host}`;

    const [run] = await waitFor(async () => {
      const runs = await h.runs(source);
      return runs.length === 1 && runs;
    }, 'a run');
    expect(run).toMatchObject({ model: 'gemma3:latest', source, running: true });
    expect((await h.watcher(id)).status).toMatchObject({ state: 'up', lastError: null, models: ['gemma3:latest'] });

    const lastUp = await waitFor(async () => (await h.watcher(id)).status.lastOkAt ?? undefined, 'a successful poll');
    const unloadedAt = Date.now();
    loaded.delete('gemma3:latest');
    const [stopped] = await waitFor(async () => {
      const runs = await h.runs(source);
      return runs[0]?.running === false && runs;
    }, 'the run to stop');
    // Ends at the last poll that still saw the model, not when the unload was noticed.
    expect(stopped!.end).toBe(stopped!.lastSeenAt);
    expect(stopped!.end).toBeGreaterThanOrEqual(lastUp);
    expect(stopped!.end!).toBeLessThanOrEqual(unloadedAt);
    expect((await h.watcher(id)).status).toMatchObject({ state: 'up', models: [] });
  });

  it('sends heartbeats while a model stays loaded, so the ledger never closes its run as stale', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    const h = make.harness();
    loaded.add('llama3.2');
    h.manager.start();
    await h.add('ollama', launcher.url);
    const source = `ollama@${launcher.host}`;
    const first = await waitFor(async () => (await h.runs(source))[0], 'a run');
    await delay(1_000);
    const later = (await h.runs(source))[0]!;
    expect(later.id).toBe(first.id);
    expect(later.running).toBe(true);
    // Heartbeats every 300 ms (FAST) move lastSeenAt even though pollSeconds is 1.
    expect(later.lastSeenAt - first.lastSeenAt).toBeGreaterThanOrEqual(500);
    expect(launcher.count('/api/ps')).toBeGreaterThanOrEqual(3);
  });

  it('marks a killed launcher down, closes its runs at the last observation, backs off, and reconciles when it is back', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    const h = make.harness();
    loaded.add('a');
    loaded.add('b');
    h.manager.start();
    const { id } = await h.add('ollama', launcher.url);
    const source = `ollama@${launcher.host}`;
    await waitFor(async () => (await h.runs(source)).length === 2, 'two runs');
    const lastOk = await waitFor(async () => (await h.watcher(id)).status.lastOkAt ?? undefined, 'a successful poll');

    await launcher.kill();
    const down = await h.downStatus(id);
    expect(down.lastError).toBe(`connection refused at ${launcher.url}`);
    expect(down.nextRetryAt).not.toBeNull();
    expect(down.models).toEqual([]);
    const closed = await h.runs(source);
    expect(closed.map((run) => run.running)).toEqual([false, false]);
    for (const run of closed) {
      expect(run.end).toBe(down.lastOkAt);
      expect(run.end!).toBeGreaterThanOrEqual(lastOk);
    }

    // Reconnect attempts back off: 100, 200, 400, 400 ms (FAST), seen as successive retry times.
    const retries = new Set<number>();
    await waitFor(async () => {
      const status = (await h.watcher(id)).status;
      if (status.nextRetryAt !== null) retries.add(status.nextRetryAt);
      return retries.size >= 4;
    }, 'four retries');
    const times = [...retries].sort((x, y) => x - y);
    const gaps = times.slice(1).map((time, index) => time - times[index]!);
    // Each gap is the previous delay plus the request; the delays grow and then stay at the cap.
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(Math.max(...gaps)).toBeLessThan(400 + 300);

    // Back with only b loaded: b runs again as a new run, a stays stopped.
    loaded.delete('a');
    await launcher.revive();
    const status = await waitFor(async () => {
      const current = (await h.watcher(id)).status;
      return current.state === 'up' && current;
    }, 'status up again');
    expect(status).toMatchObject({ lastError: null, nextRetryAt: null, models: ['b'] });
    const runs = await h.runs(source);
    expect(runs.map((run) => [run.model, run.running])).toEqual([
      ['a', false],
      ['b', false],
      ['b', true],
    ]);
    // The gap while nobody could see the launcher is not counted.
    expect(runs[2]!.start).toBeGreaterThan(runs[1]!.end!);
  });

  it('describes an HTTP error from the launcher in words', async () => {
    const { launcher, failWith } = await fakeOllama(make.launcher);
    failWith.status = 500;
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('ollama', launcher.url);
    const status = await h.downStatus(id);
    expect(status.lastError).toBe('HTTP 500 from /api/ps');
  });

  it('gives up on a launcher that does not answer within the request timeout', async () => {
    const launcher = await make.launcher(() => {
      // Accepts the connection and never answers.
    });
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('ollama', launcher.url);
    const status = await h.downStatus(id);
    expect(status.lastError).toBe(`no answer from ${launcher.url}/api/ps within 1 s`);
  });

  it('ends runs a crashed session left open at their last sighting before starting afresh', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    const h = make.harness();
    const source = `ollama@${launcher.host}`;
    const then = Date.now() - 60_000;
    await h.service.reportRun({ model: 'qwen3', event: 'start', ts: then, source });
    await h.service.reportRun({ model: 'qwen3', event: 'heartbeat', ts: then + 10_000, source });
    loaded.add('qwen3');
    h.manager.start();
    await h.add('ollama', launcher.url);
    const runs = await waitFor(async () => {
      const current = await h.runs(source);
      return current.length === 2 && current;
    }, 'a fresh run');
    expect(runs[0]).toMatchObject({ model: 'qwen3', running: false, start: then, end: then + 10_000 });
    expect(runs[1]).toMatchObject({ model: 'qwen3', running: true });
    expect(runs[1]!.start).toBeGreaterThan(then + 50_000);
  });
});
