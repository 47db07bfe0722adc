import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run, Watcher } from '../../../../shared/types.js';
import { DATABASE_FILE } from '../../../../electron/hosts/core/start-core.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { startServer, type TestServer } from '../../hosts/http/helpers.js';
import { fakeOllama, useWatchers, waitFor } from './support.js';

describe('watchers in a running core', () => {
  const make = useWatchers();
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('follows watchers saved through the HTTP API, and ends their runs when the core closes', async () => {
    const { launcher, loaded } = await fakeOllama(make.launcher);
    loaded.add('gemma3');
    server = await startServer();
    const saved = await server.post<Watcher>('/api/v1/watchers', { kind: 'ollama', baseUrl: launcher.url, enabled: true, pollSeconds: 1 });
    const run = await waitFor(async () => (await server!.get<Run[]>('/api/v1/runs')).find((candidate) => candidate.running), 'a run');
    expect(run).toMatchObject({ model: 'gemma3', source: `ollama@${launcher.host}` });
    const [listed] = await server.get<Watcher[]>('/api/v1/watchers');
    expect(listed).toMatchObject({ id: saved.id, status: { state: 'up', models: ['gemma3'] } });

    await server.core.close();
    const polls = launcher.requests.length;
    const ledger = Ledger.open(path.join(server.dataDir, DATABASE_FILE));
    try {
      const [closed] = ledger.runs.list({ limit: 10 });
      expect(closed).toMatchObject({ id: run.id, running: false });
      expect(closed!.end).toBe(closed!.lastSeenAt);
    } finally {
      ledger.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(launcher.requests.length).toBe(polls);
  });
});
