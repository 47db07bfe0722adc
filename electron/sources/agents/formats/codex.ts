import path from 'node:path';
import { z } from 'zod';
import type { AgentRecord, FileParser, JsonlFormat } from '../format.js';
import { attribution, count, envRoots, hashId, isObject, modelName, obj, parseLine, str, time, tokens, type Json } from './shared/fields.js';

/**
 * Codex CLI rollouts: `${CODEX_HOME:-~/.codex}/sessions/YYYY/MM/DD/rollout-*.jsonl` and
 * `archived_sessions/rollout-*.jsonl`, lines `{timestamp, type, payload}`. Usage is in
 * `event_msg` lines with `payload.type == "token_count"`: `info.last_token_usage` (this call) and
 * `info.total_token_usage` (cumulative for the thread); `input_tokens` includes
 * `cached_input_tokens`, `output_tokens` includes `reasoning_output_tokens`.
 *
 * Exactly once: a token_count row is identified by where its counter started (the origin thread) and
 * its cumulative total (with the per-call usage), never by the file or the line's timestamp.
 * - An archived copy of a session is byte-for-byte the same lines: same ids.
 * - A fork (`session_meta.forked_from_id`) or a sub-agent (`source.subagent.thread_spawn`) first
 *   replays the parent's rollout items, token_count rows included, stamped with the fork's write time
 *   (so timestamps cannot identify them). The replay carries the parent's own session_meta line;
 *   every session_meta line sets the origin to its `forked_from_id` (else the spawning thread, else its
 *   own id), so the replayed rows hash exactly as in the parent's file. The fork's own meta line
 *   already names the parent, so a single-level fork matches even when no parent meta is replayed.
 * - The same row written twice in a row (Codex re-emits token_count with unchanged info when only the
 *   rate limits moved) has an unchanged total: skipped.
 */

const FALLBACK_MODEL = 'gpt-5'; // Codex's default before turn_context carried the model (as ccusage assumes)

interface Usage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

const usageSchema = z.object({ input: z.number(), cached: z.number(), output: z.number(), reasoning: z.number(), total: z.number() });
const checkpointSchema = z.object({
  v: z.literal(1),
  sessionId: z.string().optional(),
  origin: z.string().optional(),
  project: z.string().optional(),
  branch: z.string().optional(),
  provider: z.string().optional(),
  model: z.string().optional(),
  metaModel: z.string().optional(),
  prev: usageSchema.optional(),
  lastTs: z.number().optional(),
});
type CodexState = z.infer<typeof checkpointSchema>;

function readUsage(value: unknown): Usage | undefined {
  if (!isObject(value)) return undefined;
  const usage = {
    input: count(value, 'input_tokens'),
    cached: count(value, 'cached_input_tokens'),
    output: count(value, 'output_tokens'),
    reasoning: count(value, 'reasoning_output_tokens'),
    total: count(value, 'total_tokens'),
  };
  return usage;
}

function sameUsage(a: Usage, b: Usage): boolean {
  return a.input === b.input && a.cached === b.cached && a.output === b.output && a.reasoning === b.reasoning && a.total === b.total;
}

/** Per-class difference; a class that went down (interleaved or restarted counters) contributes 0. */
function difference(current: Usage, previous: Usage | undefined): Usage {
  const minus = (a: number, b: number | undefined): number => Math.max(0, a - (b ?? 0));
  return {
    input: minus(current.input, previous?.input),
    cached: minus(current.cached, previous?.cached),
    output: minus(current.output, previous?.output),
    reasoning: minus(current.reasoning, previous?.reasoning),
    total: minus(current.total, previous?.total),
  };
}

function tuple(usage: Usage | undefined): string {
  return usage ? `${usage.input},${usage.cached},${usage.output},${usage.reasoning},${usage.total}` : '-';
}

/** The thread whose counters a session's rows continue: the fork's parent, the spawning thread, or itself. */
function originOf(meta: Json): string | undefined {
  const spawn = obj(obj(obj(meta, 'source'), 'subagent'), 'thread_spawn');
  return str(meta, 'forked_from_id') ?? str(spawn, 'parent_thread_id') ?? str(meta, 'id');
}

class CodexFileParser implements FileParser {
  private state: CodexState;

  constructor(
    /** The session id in the file name (the same in sessions/ and archived_sessions/): used only when no session_meta says. */
    private readonly fileSessionId: string | undefined,
    resume: unknown,
  ) {
    const parsed = checkpointSchema.safeParse(resume);
    this.state = parsed.success ? parsed.data : { v: 1 };
  }

  line(text: string): AgentRecord[] {
    // Most of a rollout's bytes are response items (tool output, messages) that carry no usage: they
    // are not parsed. A line that merely mentions these words is parsed and then told apart by type.
    if (!text.includes('token_count') && !text.includes('turn_context') && !text.includes('session_meta')) return [];
    const entry = parseLine(text);
    if (!entry) return [];
    const ts = time(entry['timestamp']);
    if (ts !== undefined) this.state.lastTs = ts;
    const payload = obj(entry, 'payload');
    switch (entry['type']) {
      case 'session_meta':
        if (payload) this.sessionMeta(payload);
        return [];
      case 'turn_context': {
        const model = modelName(str(payload, 'model'));
        if (model !== undefined) this.state.model = model;
        return [];
      }
      case 'event_msg':
        return payload && payload['type'] === 'token_count' ? this.tokenCount(payload) : [];
      default:
        return [];
    }
  }

  flush(): AgentRecord[] {
    return []; // every token_count row is final when written
  }

  checkpoint(): unknown {
    return { ...this.state };
  }

  private sessionMeta(meta: Json): void {
    const origin = originOf(meta);
    if (origin !== undefined) this.state.origin = origin;
    if (this.state.sessionId !== undefined) return; // a replayed parent's meta: the file's own session stays
    this.state.sessionId = str(meta, 'id');
    this.state.project = str(meta, 'cwd');
    this.state.branch = str(obj(meta, 'git'), 'branch');
    this.state.provider = str(meta, 'model_provider');
    const model = modelName(str(meta, 'model'));
    if (model !== undefined) this.state.metaModel = model;
  }

  private tokenCount(payload: Json): AgentRecord[] {
    const info = obj(payload, 'info');
    if (!info) return []; // the first token_count of a turn often has info: null
    const total = readUsage(info['total_token_usage']);
    const last = readUsage(info['last_token_usage']);
    const previous = this.state.prev;
    if (total && previous && sameUsage(total, previous)) return [];
    const usage = last ?? (total ? difference(total, previous) : undefined);
    if (total) this.state.prev = total;
    if (!usage || usage.input + usage.cached + usage.output + usage.reasoning === 0) return [];
    const ts = this.state.lastTs;
    if (ts === undefined) return [];

    const sessionId = this.state.sessionId ?? this.fileSessionId;
    const origin = this.state.origin ?? sessionId ?? '';
    const requestId = total ? hashId('codex', origin, 'total', tuple(total), tuple(last)) : hashId('codex', origin, 'last', ts, tuple(last));
    const cached = Math.min(usage.cached, usage.input);
    const model = modelName(str(payload, 'model')) ?? modelName(str(info, 'model')) ?? this.state.model ?? this.state.metaModel ?? FALLBACK_MODEL;
    const provider = this.state.provider ?? 'openai';
    return [
      {
        ts,
        model,
        inputTokens: tokens(usage.input - cached),
        cacheReadTokens: tokens(cached),
        outputTokens: tokens(Math.max(usage.output, usage.reasoning)),
        source: 'codex',
        requestId,
        ...attribution({ project: this.state.project, branch: this.state.branch, sessionId, provider }),
      },
    ];
  }
}

const SESSION_IN_NAME = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;
const ROLLOUT = /^(sessions\/(?:\d{4}\/\d{2}\/\d{2}\/)?|archived_sessions\/(?:[^/]+\/)*)rollout-[^/]+\.jsonl$/;

export const codexFormat: JsonlFormat = {
  kind: 'jsonl',
  id: 'codex',
  roots(env, home) {
    const fromEnv = envRoots(env, ['CODEX_HOME']);
    return fromEnv.length > 0 ? fromEnv : [path.join(home, '.codex')];
  },
  isLogFile(relativePath) {
    return ROLLOUT.test(relativePath);
  },
  openFile(relativePath, resume) {
    return new CodexFileParser(SESSION_IN_NAME.exec(relativePath)?.[1], resume);
  },
};
