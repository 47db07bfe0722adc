import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentPreview, AgentProgress, AgentSource } from '../../../../shared/schemas/agents.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import AgentSources from '../../../../renderer/src/views/settings/AgentSources.svelte';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';

const OFF: AgentProgress = { state: 'off', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, records: 0, message: null };

function source(id: AgentSource['id'], patch: Partial<AgentSource> = {}): AgentSource {
  return {
    id,
    name: id === 'claude-code' ? 'Claude Code' : 'Codex CLI',
    available: id === 'claude-code',
    enabled: false,
    env: { name: id === 'claude-code' ? 'CLAUDE_CONFIG_DIR' : 'CODEX_HOME', value: null },
    folders: [{ path: `/home/dev/.${id}/projects`, exists: id === 'claude-code' }],
    files: 0,
    bytes: 0,
    status: OFF,
    records: 0,
    lastRecordAt: null,
    ...patch,
  };
}

const PREVIEW: AgentPreview = {
  id: 'claude-code',
  folders: [{ path: '/home/dev/.claude-code/projects', exists: true }],
  files: 412,
  bytes: 157 * 1024 * 1024,
  from: Date.UTC(2026, 9, 3, 12),
  to: Date.UTC(2026, 11, 1, 12),
  estimatedSessions: 230,
};

/** The core's answers: the switch flips `enabled` and the status, as AgentService does. */
function setup() {
  let list = [source('claude-code'), source('codex')];
  const client = makeFakeClient({
    listAgentSources: async () => list,
    previewAgentSource: async ({ id }) => ({ ...PREVIEW, id }),
    setAgentSource: async ({ id, enabled }) => {
      list = list.map((item) => (item.id === id ? { ...item, enabled, status: enabled ? { ...OFF, state: 'importing' } : OFF } : item));
      return list.find((item) => item.id === id)!;
    },
  });
  renderWithClient(client, AgentSources);
  return { client, user: userEvent.setup(), setList: (next: AgentSource[]) => (list = next) };
}

const row = (id: string) => screen.getAllByTestId('agent-row').find((element) => element.dataset['agent'] === id)!;

describe('the coding agents in Settings', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('shows the folder found and what switching on would import, before it is on', async () => {
    const { client } = setup();
    await waitFor(() => expect(within(row('claude-code')).getByTestId('agent-preview').textContent).toContain('412 files'));
    const claude = row('claude-code');
    expect(within(claude).getByTestId('agent-preview').textContent).toContain('157 MB');
    expect(within(claude).getByTestId('agent-preview').textContent).toContain('about 230 sessions');
    expect(within(claude).getByTestId('agent-folders').textContent).toContain('/home/dev/.claude-code/projects');
    expect(within(claude).getByTestId('agent-folders').textContent).toContain('found');
    expect(within(claude).getByTestId('agent-env').textContent).toContain('CLAUDE_CONFIG_DIR');
    expect((within(claude).getByTestId('agent-toggle') as HTMLInputElement).checked).toBe(false);
    // An agent this version cannot read has no switch to flip and no preview asked for.
    expect((within(row('codex')).getByTestId('agent-toggle') as HTMLInputElement).disabled).toBe(true);
    expect(client.callsOf('previewAgentSource')).toEqual([{ id: 'claude-code' }]);
  });

  it('switches on, shows the import progress from the events, then following with its records', async () => {
    const { client, user, setList } = setup();
    const toggle = (await waitFor(() => within(row('claude-code')).getByTestId('agent-toggle'))) as HTMLInputElement;
    await user.click(toggle);
    expect(client.callsOf('setAgentSource')).toEqual([{ id: 'claude-code', enabled: true }]);
    client.emit({ type: 'agents', agent: 'claude-code', progress: { state: 'importing', filesDone: 3, filesTotal: 12, bytesDone: 25 * 1024 * 1024, bytesTotal: 100 * 1024 * 1024, records: 1500, message: null } });
    const bar = (await waitFor(() => within(row('claude-code')).getByTestId('agent-progress'))) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([25 * 1024 * 1024, 100 * 1024 * 1024]);
    expect(within(row('claude-code')).getByTestId('agent-progress-text').textContent).toContain('3 of 12 files');
    expect(within(row('claude-code')).getByTestId('agent-state').dataset['state']).toBe('importing');

    const done: AgentProgress = { state: 'following', filesDone: 12, filesTotal: 12, bytesDone: 100 * 1024 * 1024, bytesTotal: 100 * 1024 * 1024, records: 6400, message: null };
    setList([source('claude-code', { enabled: true, status: done, records: 6400, lastRecordAt: Date.now() - 120_000 }), source('codex')]);
    client.emit({ type: 'agents', agent: 'claude-code', progress: done });
    await waitFor(() => expect(within(row('claude-code')).getByTestId('agent-following').textContent).toContain('6,400 records'), { timeout: 3_000 });
    expect(within(row('claude-code')).queryByTestId('agent-progress')).toBeNull();
  });

  it('shows an import error on an enabled agent', async () => {
    const { client, setList } = setup();
    await waitFor(() => row('claude-code'));
    const failed: AgentProgress = { ...OFF, state: 'error', message: 'EACCES: permission denied, open /home/dev/.claude/projects/x.jsonl' };
    setList([source('claude-code', { enabled: true, status: failed }), source('codex')]);
    client.emit({ type: 'agents', agent: 'claude-code', progress: failed });
    await waitFor(() => expect(within(row('claude-code')).getByTestId('agent-error').textContent).toContain('EACCES'), { timeout: 3_000 });
    expect(within(row('claude-code')).getByTestId('agent-state').className).toContain('bad');
  });

  it('speaks Chinese', async () => {
    i18n.choice = 'zh-CN';
    setup();
    await waitFor(() => expect(within(row('claude-code')).getByTestId('agent-preview').textContent).toContain('开启后将导入 412 个文件'));
    expect(screen.getByText('编程智能体')).toBeTruthy();
  });
});
