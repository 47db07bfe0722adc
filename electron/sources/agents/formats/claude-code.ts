import { createHash } from 'node:crypto';
import path from 'node:path';
import type { AgentRecord, FileParser, JsonlFormat } from '../format.js';

/*
 * Claude Code's transcripts: projects/<encoded cwd>/<sessionId>.jsonl and, for sub-agents and side
 * questions, projects/<encoded cwd>/<sessionId>/subagents/*.jsonl. Each assistant line carries the
 * Anthropic message it belongs to (message.id, message.model, message.usage) plus the session's
 * context (cwd, gitBranch, sessionId, requestId, isSidechain, timestamp).
 *
 * Identity of a call: the Anthropic message id. It is unique per API response, and it is the one
 * thing every copy of a call shares:
 *  - streaming copies: one line per content block, same message.id and requestId, usage growing;
 *  - resumed / branched sessions: earlier lines copied whole into the new session's file;
 *  - sidechain replays (isSidechain): the parent's message again, same message.id, a NEW requestId.
 * The last is why the requestId field cannot be part of the key (ccusage had to special-case it);
 * message.id alone covers all three. Only a line without message.id falls back to its requestId
 * field, then its uuid. The key is prefixed so it never collides with another source's ids.
 */

const PREFIX = 'claude-code:';
const MAX_REQUEST_ID = 128;

/** Folders holding `projects/`: CLAUDE_CONFIG_DIR (comma-separated) wins, else the XDG and legacy ones. */
function configDirs(env: NodeJS.ProcessEnv, home: string): string[] {
  const configured = (env['CLAUDE_CONFIG_DIR'] ?? '')
    .split(',')
    .map((dir) => dir.trim())
    .filter((dir) => dir.length > 0);
  if (configured.length > 0) return configured.map((dir) => path.resolve(dir));
  const xdg = env['XDG_CONFIG_HOME']?.trim() || path.join(home, '.config');
  return [path.join(xdg, 'claude'), path.join(home, '.claude')];
}

interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number | undefined;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

function readUsage(usage: Record<string, unknown>): Usage {
  const split = usage['cache_creation'];
  const detail = split !== null && typeof split === 'object' ? (split as Record<string, unknown>) : undefined;
  const oneHour = detail ? count(detail['ephemeral_1h_input_tokens']) : undefined;
  const fiveMinutes = detail ? count(detail['ephemeral_5m_input_tokens']) : 0;
  // The total is authoritative; the split is its breakdown (absent in older logs).
  const cacheWrite = 'cache_creation_input_tokens' in usage ? count(usage['cache_creation_input_tokens']) : (oneHour ?? 0) + fiveMinutes;
  return {
    inputTokens: count(usage['input_tokens']),
    outputTokens: count(usage['output_tokens']),
    cacheReadTokens: count(usage['cache_read_input_tokens']),
    cacheWriteTokens: cacheWrite,
    cacheWrite1hTokens: oneHour === undefined ? undefined : Math.min(oneHour, cacheWrite),
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function requestIdFor(key: string): string {
  const id = PREFIX + key;
  return id.length <= MAX_REQUEST_ID ? id : PREFIX + createHash('sha256').update(key).digest('hex');
}

/** The provider the catalogue prices a Claude model under; another model (a gateway's) decides itself. */
function providerOf(model: string): string | undefined {
  return /claude/i.test(model) ? 'anthropic' : undefined;
}

/** One assistant line's call, or null when the line is not a usage line (user turns, summaries, errors). */
export function readClaudeLine(line: string): { key: string; record: AgentRecord } | null {
  // Most lines are user turns and tool results, often large: skip them before parsing.
  if (!line.includes('"usage"')) return null;
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return null;
  }
  if (entry === null || typeof entry !== 'object') return null;
  const row = entry as Record<string, unknown>;
  const message = row['message'];
  if (message === null || typeof message !== 'object') return null;
  const msg = message as Record<string, unknown>;
  const usage = msg['usage'];
  if (usage === null || typeof usage !== 'object') return null;
  const model = text(msg['model']);
  // "<synthetic>" marks messages Claude Code wrote itself (API errors, interruptions): no call.
  if (model === undefined || model === '<synthetic>') return null;
  const ts = typeof row['timestamp'] === 'string' ? Date.parse(row['timestamp']) : NaN;
  if (!Number.isFinite(ts)) return null;
  const messageId = text(msg['id']);
  const key = messageId ?? text(row['requestId']) ?? text(row['uuid']);
  if (key === undefined) return null;
  const record: AgentRecord = {
    ts,
    model,
    source: 'claude-code',
    requestId: requestIdFor(key),
    ...readUsage(usage as Record<string, unknown>),
  };
  if (record.cacheWrite1hTokens === undefined) delete record.cacheWrite1hTokens;
  const provider = providerOf(model);
  if (provider) record.provider = provider;
  if (messageId) record.responseId = messageId;
  const cwd = text(row['cwd']);
  if (cwd) record.project = cwd;
  const branch = text(row['gitBranch']);
  if (branch) record.branch = branch;
  const sessionId = text(row['sessionId']);
  if (sessionId) record.sessionId = sessionId;
  return { key, record };
}

/**
 * Reads one transcript. A message is held back while its streaming copies may still follow: the
 * next line with another message (or flush()) releases it with the LAST copy's usage and the FIRST
 * copy's time and context. Nothing else is remembered, so the checkpoint is empty.
 */
class ClaudeFileParser implements FileParser {
  private held: { key: string; record: AgentRecord } | null = null;

  line(line: string): AgentRecord[] {
    const read = readClaudeLine(line);
    if (!read) return [];
    if (this.held && this.held.key === read.key) {
      const first = this.held.record;
      const last = read.record;
      this.held.record = {
        ...first,
        inputTokens: last.inputTokens ?? 0,
        outputTokens: last.outputTokens ?? 0,
        cacheReadTokens: last.cacheReadTokens ?? 0,
        cacheWriteTokens: last.cacheWriteTokens ?? 0,
      };
      if (last.cacheWrite1hTokens !== undefined) this.held.record.cacheWrite1hTokens = last.cacheWrite1hTokens;
      else delete this.held.record.cacheWrite1hTokens;
      return [];
    }
    const out = this.flush();
    this.held = read;
    return out;
  }

  flush(): AgentRecord[] {
    const held = this.held;
    this.held = null;
    return held ? [held.record] : [];
  }

  checkpoint(): unknown {
    return null;
  }
}

export const claudeCodeFormat: JsonlFormat = {
  kind: 'jsonl',
  id: 'claude-code',
  roots: (env, home) => configDirs(env, home).map((dir) => path.join(dir, 'projects')),
  // <project>/<session>.jsonl and <project>/<session>/subagents/<agent>.jsonl (any depth below a project).
  isLogFile: (relativePath) => relativePath.endsWith('.jsonl') && relativePath.includes('/'),
  openFile: () => new ClaudeFileParser(),
};
