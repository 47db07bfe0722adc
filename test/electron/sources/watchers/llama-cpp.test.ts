import { describe, expect, it } from 'vitest';
import { modelNameFromProps } from '../../../../electron/sources/watchers/llama-cpp.js';
import { json, useWatchers, waitFor } from './support.js';

/** A llama-server: `/health` 503 while loading, 200 {"status":"ok"} once loaded; `/props` names the model. */
function llamaServer(make: ReturnType<typeof useWatchers>) {
  const state = { loading: true, props: { model_path: '/models/Qwen3-8B-Q4_K_M.gguf', model_alias: '', total_slots: 1 } as Record<string, unknown> };
  const launcher = make.launcher((request, response) => {
    if (request.url === '/health') {
      if (state.loading) return json(response, 503, { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } });
      return json(response, 200, { status: 'ok' });
    }
    if (request.url === '/props') return json(response, 200, state.props);
    json(response, 404, { error: 'not found' });
  });
  return { state, launcher };
}

describe('llama.cpp watcher (GET /health, /props)', () => {
  const make = useWatchers();

  it('counts no run while the model loads, starts one named after the model file once healthy, and closes it when the server dies', async () => {
    const server = llamaServer(make);
    const launcher = await server.launcher;
    const h = make.harness();
    h.manager.start();
    const { id } = await h.add('llama-cpp', launcher.url);
    const source = `llama-cpp@${launcher.host}`;

    await waitFor(() => launcher.count('/health') >= 2, 'two health checks while loading');
    expect((await h.watcher(id)).status).toMatchObject({ state: 'up', models: [] });
    expect(await h.runs(source)).toEqual([]);

    server.state.loading = false;
    const [run] = await waitFor(async () => {
      const runs = await h.runs(source);
      return runs.length === 1 && runs;
    }, 'a run');
    expect(run).toMatchObject({ model: 'Qwen3-8B-Q4_K_M', running: true });

    await launcher.kill();
    const status = await h.downStatus(id);
    expect(status.lastError).toBe(`connection refused at ${launcher.url}`);
    const [closed] = await h.runs(source);
    expect(closed).toMatchObject({ running: false, end: status.lastOkAt });
  });

  it('uses the model name set on the watcher over what /props says', async () => {
    const server = llamaServer(make);
    server.state.loading = false;
    const launcher = await server.launcher;
    const h = make.harness();
    h.manager.start();
    await h.add('llama-cpp', launcher.url, { model: 'my-qwen' });
    const run = await waitFor(async () => (await h.runs())[0], 'a run');
    expect(run.model).toBe('my-qwen');
    expect(launcher.count('/props')).toBe(0);
  });

  it('names the model by its alias, else by its file without folder and .gguf', () => {
    expect(modelNameFromProps({ model_path: '/m/Qwen3-8B-Q4_K_M.gguf', model_alias: 'unsloth/Qwen3' })).toBe('unsloth/Qwen3');
    expect(modelNameFromProps({ model_path: 'C:\\models\\phi-4.GGUF', model_alias: '' })).toBe('phi-4');
    expect(modelNameFromProps({ model_path: '/m/gemma.gguf', model_alias: '/m/gemma.gguf' })).toBe('gemma');
    expect(modelNameFromProps({ model_path: '' })).toBeNull();
    expect(modelNameFromProps('nope')).toBeNull();
  });
});
