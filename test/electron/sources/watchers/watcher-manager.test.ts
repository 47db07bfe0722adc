import { describe, expect, it } from 'vitest';
import { delay, fakeOllama, json, useWatchers, waitFor } from './support.js';

describe('WatcherManager', () => {
  const make = useWatchers();

  /** Two Ollama launchers, one model loaded on each, both watched by a started manager. */
  async function twoWatchedOllamas() {
    const a = await fakeOllama(make.launcher);
    const b = await fakeOllama(make.launcher);
    a.loaded.add('model-a');
    b.loaded.add('model-b');
    const h = make.harness();
    h.manager.start();
    const watcherA = await h.add('ollama', a.launcher.url);
    const watcherB = await h.add('ollama', b.launcher.url);
    return { a, b, h, watcherA, watcherB };
  }

  it('watches nothing by default: no watchers, and a saved watcher stays off until enabled', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    loaded.add('gemma3');
    const h = make.harness();
    h.manager.start();
    await delay(1_200);
    expect(launcher.requests).toEqual([]);

    // The schema's default is off.
    const saved = await h.service.saveWatcher({ watcher: { kind: 'ollama', baseUrl: launcher.url, pollSeconds: 1 } });
    expect(saved.enabled).toBe(false);
    await delay(1_200);
    expect(launcher.requests).toEqual([]);
    expect((await h.watcher(saved.id)).status.state).toBe('off');
    expect(await h.runs()).toEqual([]);

    await h.service.saveWatcher({ id: saved.id, watcher: { kind: 'ollama', baseUrl: launcher.url, pollSeconds: 1, enabled: true } });
    const run = await waitFor(async () => (await h.runs())[0], 'a run once enabled');
    expect(run).toMatchObject({ model: 'gemma3', source: `ollama@${launcher.host}`, running: true });
    expect((await h.watcher(saved.id)).status).toMatchObject({ state: 'up', models: ['gemma3'] });
  });

  it('picks up watchers configured before it started', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    loaded.add('gemma3');
    const h = make.harness();
    await h.add('ollama', launcher.url);
    expect(launcher.requests).toEqual([]);
    h.manager.start();
    await waitFor(async () => (await h.runs())[0]?.running, 'a run');
  });

  it('restarts only the watcher whose configuration changed; a label change restarts nothing', async () => {
    const { a, b, h, watcherA, watcherB } = await twoWatchedOllamas();
    const sourceA = `ollama@${a.launcher.host}`;
    const sourceB = `ollama@${b.launcher.host}`;
    const runB = await waitFor(async () => (await h.runs(sourceB))[0], 'a run of b');
    const runA = await waitFor(async () => (await h.runs(sourceA))[0], 'a run of a');

    // Relabelling b touches nothing that watching depends on.
    await h.service.saveWatcher({ id: watcherB.id, watcher: { kind: 'ollama', baseUrl: b.launcher.url, pollSeconds: 1, enabled: true, label: 'GPU box' } });
    // Pointing a at the same launcher under a new poll period restarts a: its run ends, a new one starts.
    await h.service.saveWatcher({ id: watcherA.id, watcher: { kind: 'ollama', baseUrl: a.launcher.url, pollSeconds: 2, enabled: true } });
    const runsA = await waitFor(async () => {
      const runs = await h.runs(sourceA);
      return runs.length === 2 && runs;
    }, 'a restarted');
    expect(runsA[0]).toMatchObject({ id: runA.id, running: false });
    expect(runsA[1]).toMatchObject({ model: 'model-a', running: true });

    await delay(400);
    const runsB = await h.runs(sourceB);
    expect(runsB).toHaveLength(1);
    expect(runsB[0]).toMatchObject({ id: runB.id, running: true });
    expect((await h.watcher(watcherB.id)).label).toBe('GPU box');
    expect(h.logs).toEqual([]);
  });

  it('stops a deleted or disabled watcher and ends its runs', async () => {
    const { a, b, h, watcherA, watcherB } = await twoWatchedOllamas();
    await waitFor(async () => (await h.runs()).filter((run) => run.running).length === 2, 'two runs');

    await h.service.deleteWatcher({ id: watcherA.id });
    await h.service.saveWatcher({ id: watcherB.id, watcher: { kind: 'ollama', baseUrl: b.launcher.url, pollSeconds: 1, enabled: false } });
    await waitFor(async () => (await h.runs()).every((run) => !run.running), 'every run stopped');
    const polls = a.launcher.requests.length + b.launcher.requests.length;
    await delay(1_200);
    expect(a.launcher.requests.length + b.launcher.requests.length).toBe(polls);
    expect((await h.watcher(watcherB.id)).status.state).toBe('off');
  });

  it('announces status changes as watchers events, without looping on its own announcements', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    loaded.add('gemma3');
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('ollama', launcher.url);
    await waitFor(async () => (await h.watcher(id)).status.state === 'up', 'status up');

    // Steady state: polls and heartbeats go on, but nothing a view shows changes, so nothing is announced.
    const steady = h.watcherEvents();
    const polls = launcher.count('/api/ps');
    await delay(1_000);
    expect(launcher.count('/api/ps')).toBeGreaterThan(polls);
    expect(h.watcherEvents()).toBe(steady);

    // A change is announced; the announcement restarts nothing (the run continues).
    const before = (await h.runs())[0]!;
    loaded.add('llama3');
    await waitFor(() => h.watcherEvents() > steady, 'an announcement');
    await delay(500);
    expect(h.watcherEvents()).toBe(steady + 1);
    const runs = await h.runs();
    expect(runs.map((run) => [run.model, run.running])).toEqual([
      ['gemma3', true],
      ['llama3', true],
    ]);
    expect(runs[0]!.id).toBe(before.id);
  });

  it('close() ends every run at its last sighting, stops polling and leaves every watcher off', async () => {
    const ollama = await fakeOllama(make.launcher);
    ollama.loaded.add('gemma3');
    const llama = await make.launcher((request, response) => {
      if (request.url === '/health') return json(response, 200, { status: 'ok' });
      if (request.url === '/props') return json(response, 200, { model_path: '/m/phi-4.gguf' });
      json(response, 404, {});
    });
    const h = make.harness();
    h.manager.start();
    const first = await h.add('ollama', ollama.launcher.url);
    await h.add('llama-cpp', llama.url);
    await waitFor(async () => (await h.runs()).filter((run) => run.running).length === 2, 'two runs');

    await h.manager.close();
    const runs = await h.runs();
    expect(runs.every((run) => !run.running && run.end === run.lastSeenAt)).toBe(true);
    expect((await h.watcher(first.id)).status.state).toBe('off');
    const requests = ollama.launcher.requests.length + llama.requests.length;
    await delay(1_200);
    expect(ollama.launcher.requests.length + llama.requests.length).toBe(requests);
    // A closed manager no longer follows configuration.
    await h.service.saveWatcher({ id: first.id, watcher: { kind: 'ollama', baseUrl: ollama.launcher.url, pollSeconds: 2, enabled: true } });
    await delay(300);
    expect(ollama.launcher.requests.length).toBe(requests - llama.requests.length);
  });
});
