import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claudeCodeFormat } from '../../../../electron/sources/agents/formats/claude-code.js';
import type { AgentPreview, AgentSource } from '../../../../shared/schemas/agents.js';
import type { ErrorBody } from '../../../../shared/errors.js';
import { startServer, type TestServer } from '../../hosts/http/helpers.js';
import { claudeConfigCopy, independentTotals, jsonlFiles, ledgerTotals, removeTempDirs, TEST_TIMING, tempDir } from './support.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  removeTempDirs();
});

async function serve(config: string): Promise<TestServer> {
  server = await startServer();
  server.core.service.agents.sources.configure({
    env: { CLAUDE_CONFIG_DIR: config },
    home: path.join(tempDir(), 'home'),
    timing: TEST_TIMING,
    watch: false,
    formats: { 'claude-code': claudeCodeFormat },
  });
  return server;
}

describe('agent sources over HTTP', () => {
  it('lists every agent, off by default, with the folder CLAUDE_CONFIG_DIR points at', async () => {
    const config = claudeConfigCopy();
    const api = await serve(config);
    const list = await api.get<AgentSource[]>('/api/v1/agents');
    expect(list.map((agent) => agent.id)).toEqual(['claude-code', 'codex', 'gemini', 'qwen', 'opencode']);
    const claude = list[0]!;
    expect(claude).toMatchObject({
      name: 'Claude Code',
      available: true,
      enabled: false,
      env: { name: 'CLAUDE_CONFIG_DIR', value: config },
      folders: [{ path: path.join(config, 'projects'), exists: true }],
      files: 4,
      status: { state: 'off' },
      records: 0,
      lastRecordAt: null,
    });
    expect(list.find((agent) => agent.id === 'codex')).toMatchObject({ available: false, enabled: false });
  });

  it('previews without importing, then imports on PUT {enabled: true}', async () => {
    const config = claudeConfigCopy();
    const api = await serve(config);
    const preview = await api.get<AgentPreview>('/api/v1/agents/claude-code/preview');
    expect(preview).toMatchObject({ id: 'claude-code', files: 4, estimatedSessions: 3 });
    expect(preview.bytes).toBeGreaterThan(10_000);
    expect(preview.from).toBeLessThanOrEqual(preview.to!);
    expect(ledgerTotals(api.core.service.ledger)).toEqual({});

    const on = await api.put<AgentSource>('/api/v1/agents/claude-code', { enabled: true });
    expect(on.enabled).toBe(true);
    await api.core.service.agents.sources.whenImported('claude-code');
    expect(ledgerTotals(api.core.service.ledger)).toEqual(independentTotals(jsonlFiles(config)));
    const [claude] = await api.get<AgentSource[]>('/api/v1/agents');
    expect(claude).toMatchObject({ enabled: true, records: 7, status: { state: 'following', filesDone: 4, filesTotal: 4, records: 7 } });
    expect(claude!.lastRecordAt).toBe(Date.parse('2026-11-22T14:31:00.000Z'));
  });

  it('refuses bad input with the field named, and agents it cannot read yet', async () => {
    const api = await serve(claudeConfigCopy());
    const cases: [string, unknown, string][] = [
      ['/api/v1/agents/claude-code', { enabled: 'yes' }, 'enabled'],
      ['/api/v1/agents/claude-code', { enabled: true, folder: '/x' }, 'folder'],
      ['/api/v1/agents/claude-code', [true], '(body)'],
      ['/api/v1/agents/cursor', { enabled: true }, 'id'],
    ];
    for (const [route, json, field] of cases) {
      const answer = await api.call<{ error: ErrorBody }>('PUT', route, { json });
      expect(answer.status, JSON.stringify(json)).toBe(400);
      expect(answer.body.error.details?.map((detail) => detail.field)).toContain(field);
    }
    expect((await api.call('GET', '/api/v1/agents/cursor/preview')).status).toBe(400);
    const unreadable = await api.call<{ error: ErrorBody }>('PUT', '/api/v1/agents/codex', { json: { enabled: true } });
    expect([unreadable.status, unreadable.body.error.code]).toEqual([409, 'conflict']);
    expect((await api.get<AgentSource[]>('/api/v1/agents')).every((agent) => !agent.enabled)).toBe(true);
  });
});
