import path from 'node:path';
import type { AgentRecord, FileParser, JsonlFormat } from '../format.js';
import { attribution, count, envRoots, modelName, obj, parseLine, providerFromModel, stableId, str, time, tokens, type Json } from './shared/fields.js';

/**
 * Qwen Code chat recordings (packages/core/src/services/chatRecordingService.ts):
 * `<runtime dir>/projects/<sanitised cwd>/chats/<sessionId>.jsonl`, the runtime dir being
 * `QWEN_RUNTIME_DIR` (Qwen Code's own override), else `~/.qwen`; `QWEN_DATA_DIR` (the name ccusage
 * and others use) is honoured too. Append-only records `{uuid, parentUuid, sessionId, timestamp,
 * type, cwd, gitBranch, ...}`; each API response is one `type: "assistant"` record with `model` and
 * Gemini-style `usageMetadata`.
 *
 * - `/branch` copies every record verbatim into a new session file, rewriting `sessionId` and adding
 *   `forkedFrom`, but keeping `uuid`: requestId = the uuid, so a branched copy counts once.
 * - `promptTokenCount` includes `cachedContentTokenCount` (both from OpenAI's prompt_tokens /
 *   cached_tokens or Gemini's usage), `toolUsePromptTokenCount` bills as input.
 * - Output: against Gemini `candidatesTokenCount` excludes `thoughtsTokenCount`; through Qwen Code's
 *   OpenAI converter `candidatesTokenCount` is completion_tokens, which already includes reasoning.
 *   `totalTokenCount` tells which: when it stops short of prompt + candidates + thoughts (+ tool), the
 *   thoughts are inside the candidates and are not added again.
 * - `system` records (ui_telemetry api_response events, compression checkpoints) describe the same
 *   calls or carry no usage: never counted.
 */

const FALLBACK_MODEL = 'qwen-unknown';

/** Output tokens, reasoning included exactly once. */
function outputTokens(usage: Json): number {
  const prompt = count(usage, 'promptTokenCount');
  const candidates = count(usage, 'candidatesTokenCount');
  const thoughts = count(usage, 'thoughtsTokenCount');
  const tool = count(usage, 'toolUsePromptTokenCount');
  const total = count(usage, 'totalTokenCount');
  const thoughtsInsideCandidates = total > 0 && total < prompt + candidates + thoughts + tool && total >= prompt + candidates;
  return thoughtsInsideCandidates ? candidates : candidates + thoughts;
}

class QwenFileParser implements FileParser {
  private lastModel: string | undefined;

  line(text: string): AgentRecord[] {
    const record = parseLine(text);
    if (!record || record['type'] !== 'assistant') return [];
    const usage = obj(record, 'usageMetadata');
    const model = modelName(str(record, 'model'));
    if (model !== undefined) this.lastModel = model;
    const uuid = str(obj(record, 'forkedFrom'), 'messageUuid') ?? str(record, 'uuid');
    const ts = time(record['timestamp']);
    if (!usage || uuid === undefined || ts === undefined) return [];

    const prompt = count(usage, 'promptTokenCount');
    const cached = Math.min(count(usage, 'cachedContentTokenCount'), prompt);
    const tool = count(usage, 'toolUsePromptTokenCount');
    const output = outputTokens(usage);
    if (prompt + tool + output === 0) return [];
    const name = model ?? this.lastModel ?? FALLBACK_MODEL;
    return [
      {
        ts,
        model: name,
        inputTokens: tokens(prompt - cached + tool),
        cacheReadTokens: tokens(cached),
        outputTokens: tokens(output),
        source: 'qwen',
        requestId: stableId('qwen', uuid),
        ...attribution({
          project: str(record, 'cwd'),
          branch: str(record, 'gitBranch'),
          sessionId: str(record, 'sessionId'),
          provider: providerFromModel(name) ?? 'qwen',
        }),
      },
    ];
  }

  flush(): AgentRecord[] {
    return []; // each response is written once, complete
  }

  checkpoint(): unknown {
    return { v: 1, lastModel: this.lastModel };
  }

  restore(resume: unknown): this {
    const model = modelName(str(resume, 'lastModel'));
    if (model !== undefined) this.lastModel = model;
    return this;
  }
}

const CHAT_FILE = /^projects\/[^/]+\/chats\/(?:[^/]+\/)*[^/]+\.jsonl$/;

export const qwenFormat: JsonlFormat = {
  kind: 'jsonl',
  id: 'qwen',
  roots(env, home) {
    const fromEnv = envRoots(env, ['QWEN_RUNTIME_DIR', 'QWEN_DATA_DIR']);
    return fromEnv.length > 0 ? [...new Set(fromEnv)] : [path.join(home, '.qwen')];
  },
  isLogFile(relativePath) {
    return CHAT_FILE.test(relativePath);
  },
  openFile(_relativePath, resume) {
    return new QwenFileParser().restore(resume);
  },
};
