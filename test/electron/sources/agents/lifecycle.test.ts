import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCore } from '../../../../electron/hosts/core/start-core.js';
import type { JsonlFollower } from '../../../../electron/sources/agents/follow/jsonl-follower.js';
import { claudeConfigCopy, independentTotals, jsonlFiles, ledgerTotals, removeTempDirs, tempDir } from './support.js';

afterEach(() => {
  vi.unstubAllEnvs();
  removeTempDirs();
});

/** Makes every log file look written a minute ago: quiet, so its cursor is saved at once. */
function settle(config: string): void {
  const past = new Date(Date.now() - 60_000);
  for (const file of jsonlFiles(config)) fs.utimesSync(file, past, past);
}

describe('agent sources with the core', () => {
  it('start with the core when switched on, stop with it, and resume after a restart', async () => {
    const config = claudeConfigCopy();
    settle(config);
    vi.stubEnv('CLAUDE_CONFIG_DIR', config);
    const dataDir = tempDir();
    const token = randomBytes(18).toString('base64url');

    const first = await startCore({ dataDir, port: 0, token, reads: 'inline' });
    const answer = await fetch(`${first.url}/api/v1/agents/claude-code`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true }),
    });
    expect(answer.status).toBe(200);
    await first.service.agents.sources.whenImported('claude-code');
    expect(ledgerTotals(first.service.ledger)).toEqual(independentTotals(jsonlFiles(config)));
    await first.close();

    const line = JSON.stringify({
      cwd: '/home/dev/api',
      sessionId: '7e0a2b3c-3333-4d5e-8f90-1a2b3c4d5e03',
      gitBranch: 'feature/auth',
      isSidechain: false,
      message: { model: 'claude-sonnet-4-5-20250929', id: 'msg_01LIFE', type: 'message', role: 'assistant', usage: { input_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 42 } },
      requestId: 'req_life',
      type: 'assistant',
      uuid: 'life-1',
      timestamp: '2026-11-30T08:00:00.000Z',
    });
    fs.appendFileSync(path.join(config, 'projects/-home-dev-api/7e0a2b3c-3333-4d5e-8f90-1a2b3c4d5e03.jsonl'), `${line}\n`);
    settle(config);

    // The switch was remembered: the second core follows without being asked, reading only what is new.
    const second = await startCore({ dataDir, port: 0, token, reads: 'inline' });
    try {
      await second.service.agents.sources.whenImported('claude-code');
      const follower = second.service.agents.sources.follower('claude-code') as JsonlFollower;
      expect(follower.counters.bytesRead).toBe(Buffer.byteLength(line) + 1);
      expect(ledgerTotals(second.service.ledger)).toEqual(independentTotals(jsonlFiles(config)));
    } finally {
      await second.close();
    }
  });
});
