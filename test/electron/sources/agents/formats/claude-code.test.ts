import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeCodeFormat } from '../../../../../electron/sources/agents/formats/claude-code.js';
import type { AgentRecord } from '../../../../../electron/sources/agents/format.js';
import { CLAUDE_FIXTURE } from '../support.js';

const PROJECT = path.join(CLAUDE_FIXTURE, 'projects');
const S1 = '-home-dev-shop/5d9f1c2e-1111-4a3b-9c1d-0a1b2c3d4e01.jsonl';
const SUB = '-home-dev-shop/5d9f1c2e-1111-4a3b-9c1d-0a1b2c3d4e01/subagents/agent-3f2a9c.jsonl';
const S3 = '-home-dev-api/7e0a2b3c-3333-4d5e-8f90-1a2b3c4d5e03.jsonl';

function lines(relative: string): string[] {
  return fs.readFileSync(path.join(PROJECT, relative), 'utf8').split('\n').filter((line) => line.length > 0);
}

function parseAll(relative: string, flush = true): AgentRecord[] {
  const parser = claudeCodeFormat.openFile(relative, undefined);
  const out = lines(relative).flatMap((line) => parser.line(line));
  return flush ? [...out, ...parser.flush()] : out;
}

describe('Claude Code format', () => {
  it('keeps the final usage and the first timestamp of a message streamed as several lines', () => {
    const records = parseAll(S1);
    const first = records.find((record) => record.responseId === 'msg_01A9fX2mQvJ8sLk3TtY7uPzA')!;
    // Three copies: output 8, 40, 312; the first copy was written at 09:00:03.120.
    expect(first).toMatchObject({ outputTokens: 312, inputTokens: 4, cacheReadTokens: 15000, cacheWriteTokens: 1200, ts: Date.parse('2026-11-20T09:00:03.120Z') });
    expect(records.filter((record) => record.responseId === 'msg_01A9fX2mQvJ8sLk3TtY7uPzA')).toHaveLength(1);
  });

  it('holds the last message back until another message follows or the file is flushed', () => {
    const parser = claudeCodeFormat.openFile(S1, undefined);
    const fed = lines(S1).flatMap((line) => parser.line(line));
    expect(fed.map((record) => record.responseId)).toEqual(['msg_01A9fX2mQvJ8sLk3TtY7uPzA', 'msg_01B7cR4nWdK2pHq6VvM1eSyB']);
    expect(parser.flush().map((record) => record.responseId)).toEqual(['msg_01C3hN8gTfL5zXr2QqB9wDkC']);
    expect(parser.flush()).toEqual([]);
  });

  it('skips <synthetic> messages, user turns, tool results and summaries', () => {
    const records = parseAll(S1);
    expect(records.map((record) => record.model)).toEqual(['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001']);
  });

  it('maps the token classes and splits 1-hour cache writes', () => {
    const [a, , c] = parseAll(S1);
    expect(a).toMatchObject({ cacheWriteTokens: 1200, cacheWrite1hTokens: 1200 });
    // An older line without cache_creation: no split claimed.
    expect(c!.cacheWrite1hTokens).toBeUndefined();
    expect(c).toMatchObject({ inputTokens: 10, cacheReadTokens: 17000, cacheWriteTokens: 300, outputTokens: 77 });
  });

  it('attributes project, branch, session, response id and provider', () => {
    const [a] = parseAll(S1);
    expect(a).toMatchObject({
      source: 'claude-code',
      project: '/home/dev/shop',
      branch: 'main',
      sessionId: '5d9f1c2e-1111-4a3b-9c1d-0a1b2c3d4e01',
      responseId: 'msg_01A9fX2mQvJ8sLk3TtY7uPzA',
      requestId: 'claude-code:msg_01A9fX2mQvJ8sLk3TtY7uPzA',
      provider: 'anthropic',
    });
    const glm = parseAll(S3).find((record) => record.model === 'glm-4.6')!;
    expect(glm.provider).toBeUndefined();
    expect(glm.branch).toBe('feature/auth');
  });

  it('gives a sidechain replay of a parent message (new requestId) the parent\'s requestId', () => {
    const parent = parseAll(S1)[0]!;
    const side = parseAll(SUB);
    expect(side.map((record) => record.requestId)).toContain(parent.requestId);
    expect(new Set(side.map((record) => record.requestId)).size).toBe(2);
  });

  it('reads roots from CLAUDE_CONFIG_DIR (comma-separated), else XDG and ~/.claude', () => {
    expect(claudeCodeFormat.roots({ CLAUDE_CONFIG_DIR: '/a, /b/c' }, '/home/u')).toEqual(['/a/projects', '/b/c/projects']);
    expect(claudeCodeFormat.roots({}, '/home/u')).toEqual(['/home/u/.config/claude/projects', '/home/u/.claude/projects']);
    expect(claudeCodeFormat.roots({ XDG_CONFIG_HOME: '/x' }, '/home/u')).toEqual(['/x/claude/projects', '/home/u/.claude/projects']);
    expect(claudeCodeFormat.isLogFile(S1)).toBe(true);
    expect(claudeCodeFormat.isLogFile(SUB)).toBe(true);
    expect(claudeCodeFormat.isLogFile('stray.jsonl')).toBe(false);
    expect(claudeCodeFormat.isLogFile('-p/notes.txt')).toBe(false);
  });

  it('ignores broken and half-written lines', () => {
    const parser = claudeCodeFormat.openFile(S1, undefined);
    expect(parser.line('{"type":"assistant","message":{"usage":')).toEqual([]);
    expect(parser.line('not json "usage"')).toEqual([]);
    expect(parser.line('')).toEqual([]);
    expect(parser.flush()).toEqual([]);
  });
});
