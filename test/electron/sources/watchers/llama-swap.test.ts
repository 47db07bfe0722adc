import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { modelsUp } from '../../../../electron/sources/watchers/llama-swap.js';
import { delay, json, useWatchers, waitFor } from './support.js';

interface SwapModel {
  id: string;
  state: 'ready' | 'starting' | 'stopping' | 'shutdown' | 'stopped' | 'unknown' | '';
  peerID?: string;
}

/**
 * A llama-swap speaking its wire format (proxy/proxymanager_api.go): gin's `c.SSEvent("message",
 * envelope)` frames, `event:message` then `data:{"type":…,"data":"<JSON text>"}`; log data and the
 * model list right after connecting, the model list again on every change.
 */
function llamaSwap(make: ReturnType<typeof useWatchers>, options: { events?: boolean } = {}) {
  const models: SwapModel[] = [];
  const streams = new Set<http.ServerResponse>();
  const frame = (type: string, data: unknown) => `event:message\ndata:${JSON.stringify({ type, data: JSON.stringify(data) })}\n\n`;
  const snapshot = () =>
    frame(
      'modelStatus',
      models.map((model) => ({ id: model.id, name: '', description: '', state: model.state, unlisted: false, peerID: model.peerID ?? '' })),
    );
  const launcher = make.launcher((request, response) => {
    if (request.url === '/api/events' && options.events !== false) {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      response.write(frame('logData', { source: 'proxy', data: 'llama-swap listening\n' }));
      response.write(snapshot());
      streams.add(response);
      response.on('close', () => streams.delete(response));
      return;
    }
    if (request.url === '/running') return json(response, 200, { running: models.filter((m) => m.state === 'ready').map((m) => ({ model: m.id, state: m.state, cmd: 'llama-server', proxy: 'http://127.0.0.1:9999', ttl: 0, name: '', description: '' })) });
    if (request.url === '/health') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      return response.end('OK');
    }
    response.writeHead(404);
    response.end();
  });
  return {
    launcher,
    streams,
    set(next: SwapModel[]) {
      models.splice(0, models.length, ...next);
      for (const stream of streams) stream.write(snapshot());
    },
    /** Ends every event stream from the server side, as a llama-swap restart or a proxy timeout would. */
    cut() {
      for (const stream of streams) stream.end();
    },
  };
}

describe('llama-swap watcher (GET /api/events)', () => {
  const make = useWatchers();

  /** A llama-swap with qwen ready, watched by a started manager. */
  async function watchingQwen() {
    const swap = llamaSwap(make);
    const launcher = await swap.launcher;
    swap.set([{ id: 'qwen', state: 'ready' }]);
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('llama-swap', launcher.url);
    return { swap, launcher, h, id, source: `llama-swap@${launcher.host}` };
  }

  it('turns model status events into runs: ready starts, stopped stops at the event', async () => {
    const swap = llamaSwap(make);
    const launcher = await swap.launcher;
    swap.set([
      { id: 'qwen', state: 'starting' },
      { id: 'gemma', state: 'stopped' },
    ]);
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('llama-swap', launcher.url, { pollSeconds: 30 });
    const source = `llama-swap@${launcher.host}`;
    await waitFor(async () => (await h.watcher(id)).status.state === 'up', 'status up');
    expect(await h.runs(source)).toEqual([]);

    swap.set([
      { id: 'qwen', state: 'ready' },
      { id: 'gemma', state: 'stopped' },
    ]);
    const run = await waitFor(async () => (await h.runs(source))[0], 'a run');
    expect(run).toMatchObject({ model: 'qwen', running: true });

    await delay(200);
    const stoppedAt = Date.now();
    swap.set([
      { id: 'qwen', state: 'stopped' },
      { id: 'gemma', state: 'stopped' },
    ]);
    const stopped = await waitFor(async () => {
      const [current] = await h.runs(source);
      return current?.running === false && current;
    }, 'the run to stop');
    // The stream was live all along, so the run lasts until the event that stopped it.
    expect(stopped.end!).toBeGreaterThanOrEqual(stoppedAt);
    expect(stopped.end! - stopped.start).toBeGreaterThanOrEqual(200);
    // Pushed, not polled: one connection, no polls of /running.
    expect(launcher.count('/api/events')).toBe(1);
    expect(launcher.count('/running')).toBe(0);
  });

  it('reconnects after the stream is cut and reconciles what runs', async () => {
    const { swap, launcher, h, id, source } = await watchingQwen();
    await waitFor(async () => (await h.runs(source)).length === 1, 'a run');

    // While the stream is cut, qwen stops and llama starts.
    swap.cut();
    const down = await h.downStatus(id);
    expect(down.lastError).toBe(`the event stream from ${launcher.url} ended`);
    swap.set([
      { id: 'qwen', state: 'stopped' },
      { id: 'llama', state: 'ready' },
    ]);
    await waitFor(async () => (await h.watcher(id)).status.state === 'up', 'status up again');
    expect(launcher.count('/api/events')).toBe(2);
    const runs = await h.runs(source);
    expect(runs.map((run) => [run.model, run.running])).toEqual([
      ['qwen', false],
      ['llama', true],
    ]);
  });

  it('probes a quiet stream, and a killed llama-swap is down with its runs closed at the last sighting', async () => {
    const { launcher, h, id, source } = await watchingQwen();
    const first = await waitFor(async () => (await h.runs(source))[0], 'a run');
    // Nothing happens on the stream; probes of /health every 300 ms (FAST heartbeats) vouch for the run.
    await waitFor(() => launcher.count('/health') >= 2, 'probes');
    await waitFor(async () => (await h.runs(source))[0]!.lastSeenAt > first.lastSeenAt, 'a heartbeat');

    await launcher.kill();
    const down = await waitFor(async () => {
      const status = (await h.watcher(id)).status;
      return status.state === 'down' && status.lastError?.startsWith('connection refused') && status;
    }, 'status down, connection refused');
    expect(down.lastError).toBe(`connection refused at ${launcher.url}`);
    const [closed] = await h.runs(source);
    expect(closed!.running).toBe(false);
    expect(closed!.end).toBe(closed!.lastSeenAt);
    expect(closed!.end).toBeLessThanOrEqual(down.lastOkAt!);
  });

  it('polls GET /running when this llama-swap has no event stream', async () => {
    const swap = llamaSwap(make, { events: false });
    const launcher = await swap.launcher;
    swap.set([{ id: 'qwen', state: 'ready' }]);
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('llama-swap', launcher.url);
    const run = await waitFor(async () => (await h.runs(`llama-swap@${launcher.host}`))[0], 'a run');
    expect(run).toMatchObject({ model: 'qwen', running: true });
    expect((await h.watcher(id)).status).toMatchObject({ state: 'up', models: ['qwen'] });
    await waitFor(() => launcher.count('/running') >= 2, 'polls of /running');
    expect(launcher.count('/api/events')).toBe(1);
  });

  it('gives up on a stream that never lists models, and says so', async () => {
    const launcher = await make.launcher((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(': nothing to see\n\n');
    });
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('llama-swap', launcher.url);
    const status = await h.downStatus(id);
    expect(status.lastError).toBe('no model status from /api/events within 1 s');
  });

  it('counts ready and stopping models of this host, not those of its peers', () => {
    expect(
      modelsUp([
        { id: 'a', state: 'ready', peerID: '' },
        { id: 'b', state: 'stopping' },
        { id: 'c', state: 'starting' },
        { id: 'd', state: 'stopped' },
        { id: 'e', state: 'ready', peerID: 'other-box' },
      ]),
    ).toEqual(['a', 'b']);
    expect(() => modelsUp({})).toThrow(/not a list/);
  });
});
