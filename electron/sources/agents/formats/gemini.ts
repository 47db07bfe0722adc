import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AgentRecord, FileParser, JsonlFormat } from '../format.js';
import { attribution, count, envRoots, isObject, modelName, obj, parseLine, stableId, str, time, tokens, type Json } from './shared/fields.js';

/**
 * Gemini CLI chat recordings (packages/core/src/services/chatRecordingService.ts):
 * `${GEMINI_CLI_HOME:-~}/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl`, sub-agents in
 * `chats/<parentSessionId>/<sessionId>.jsonl`, and the older whole-file `session-*.json`.
 * A JSONL file holds a header `{sessionId, projectHash, startTime, kind?, directories?}`, messages
 * `{id, timestamp, type, content, model?, tokens?}`, `{$set: {...}}` metadata updates (a `messages`
 * array there replaces the list) and `{$rewindTo: id}`.
 *
 * - The CLI re-appends the whole last message whenever it changes (tool-call results, tokens arriving
 *   after the text): last copy per id wins. Only the most recent message can still change, so it is
 *   held back until a record of another message follows, or until flush(); `tokens` is set once per
 *   message (`recordMessageTokens` only fills a message that has none), so an earlier copy never
 *   carries different usage than the final one.
 * - `$rewindTo` removes messages from the conversation the CLI shows, but their API calls were made
 *   and billed (Gemini does not refund a rewound turn): they stay counted.
 * - Resuming a legacy `.json` writes a `.jsonl` beside it with the same sessionId and the same message
 *   ids while the `.json` stays: requestId = sessionId + message id, so both count once.
 * - tokens: `input` (promptTokenCount) includes `cached`; `thoughts` bill as output; `tool`
 *   (toolUsePromptTokenCount) bills as input.
 * - Project: the records do not carry the working folder (only `projectHash`, and `directories` for
 *   sub-agents or after /directory add). The CLI names the folder under tmp/ after the project: a slug
 *   with a `.project_root` file holding the project's path (packages/core/src/config/projectRegistry.ts),
 *   or, before that, `sha256(path)`, which `.gemini/projects.json` (path -> slug) lets us match. Those
 *   two small files are read once per chat file opened; `directories[0]` is the fallback.
 */

const FALLBACK_MODEL = 'gemini-unknown';

function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The roots last listed by roots(): where openFile looks for the project markers. */
let knownRoots: string[] = [];
const projectByFolder = new Map<string, string>();

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The project path of tmp/<folder>, from its .project_root marker or the project registry. */
function projectOfFolder(folder: string): string | undefined {
  for (const root of knownRoots) {
    const key = `${root}\u0000${folder}`;
    const known = projectByFolder.get(key);
    if (known !== undefined) return known;
    let project = readText(path.join(root, 'tmp', folder, '.project_root'))?.trim();
    if (!project) {
      const registry = parseDocument(readText(path.join(root, 'projects.json')) ?? '');
      const projects = isObject(registry) ? obj(registry, 'projects') : undefined;
      for (const [projectPath, slug] of Object.entries(projects ?? {})) {
        if (slug === folder || createHash('sha256').update(projectPath).digest('hex') === folder) project = projectPath;
      }
    }
    if (project) {
      projectByFolder.set(key, project); // a folder never changes owner; misses are looked up again
      return project;
    }
  }
  return undefined;
}

const checkpointSchema = z.object({
  v: z.literal(1),
  sessionId: z.string().optional(),
  project: z.string().optional(),
  lastModel: z.string().optional(),
  legacyText: z.string().optional(),
});
type GeminiState = z.infer<typeof checkpointSchema>;

class GeminiFileParser implements FileParser {
  private state: GeminiState;
  /** The latest message with tokens: the only one the CLI may still re-append. */
  private pending: Json | undefined;
  private readonly emitted = new Set<string>();

  constructor(
    private readonly legacy: boolean,
    /** The project the CLI's own markers name for this chat's folder, when they do. */
    private readonly folderProject: string | undefined,
    resume: unknown,
  ) {
    const parsed = checkpointSchema.safeParse(resume);
    this.state = parsed.success ? parsed.data : { v: 1 };
  }

  line(text: string): AgentRecord[] {
    if (this.legacy) {
      // A legacy session is one pretty-printed JSON document: read whole at flush().
      this.state.legacyText = this.state.legacyText === undefined ? text : `${this.state.legacyText}\n${text}`;
      return [];
    }
    const record = parseLine(text);
    if (!record) return [];
    if (typeof record['$rewindTo'] === 'string') return []; // billed all the same: nothing to take back
    const set = obj(record, '$set');
    if (set) {
      this.metadata(set);
      const messages = set['messages'];
      return Array.isArray(messages) ? messages.flatMap((message) => (isObject(message) ? this.message(message) : [])) : [];
    }
    if (typeof record['id'] === 'string') return this.message(record);
    this.metadata(record); // the header
    return [];
  }

  flush(): AgentRecord[] {
    if (this.legacy) return this.flushLegacy();
    const out = this.release();
    return out;
  }

  checkpoint(): unknown {
    return { ...this.state };
  }

  private flushLegacy(): AgentRecord[] {
    if (this.state.legacyText === undefined) return [];
    // JSON.stringify(record, null, 2) ends the file with a "}" and no newline: a line reader never
    // hands over that last line, so a document that is complete but for it is taken as complete.
    // Only a whole conversation counts as complete ("{" alone would close into an empty object).
    const document = [this.state.legacyText, `${this.state.legacyText}\n}`].map(parseDocument).find((value) => isObject(value) && Array.isArray(value['messages']));
    if (document === undefined) return []; // not complete yet: kept (in the checkpoint too) until it parses
    delete this.state.legacyText;
    if (!isObject(document)) return [];
    this.metadata(document);
    const messages = document['messages'];
    const out = Array.isArray(messages) ? messages.flatMap((message) => (isObject(message) ? this.message(message) : [])) : [];
    return [...out, ...this.release()];
  }

  private metadata(fields: Json): void {
    const sessionId = str(fields, 'sessionId');
    if (sessionId !== undefined && this.state.sessionId === undefined) this.state.sessionId = sessionId;
    const directories = fields['directories'];
    if (Array.isArray(directories) && typeof directories[0] === 'string' && directories[0].trim() !== '') this.state.project = directories[0];
  }

  private message(message: Json): AgentRecord[] {
    const id = str(message, 'id');
    if (id === undefined) return [];
    const model = modelName(str(message, 'model'));
    if (model !== undefined) this.state.lastModel = model;
    const out = this.pending !== undefined && this.pending['id'] !== id ? this.release() : [];
    if (message['type'] === 'gemini' && isObject(message['tokens']) && !this.emitted.has(id)) this.pending = message;
    return out;
  }

  private release(): AgentRecord[] {
    const message = this.pending;
    this.pending = undefined;
    if (!message) return [];
    const record = this.toRecord(message);
    if (!record) return [];
    this.emitted.add(String(message['id']));
    return [record];
  }

  private toRecord(message: Json): AgentRecord | undefined {
    const usage = message['tokens'];
    const input = count(usage, 'input');
    const cached = Math.min(count(usage, 'cached'), input);
    const output = count(usage, 'output') + count(usage, 'thoughts');
    const tool = count(usage, 'tool');
    if (input + output + tool === 0) return undefined;
    const ts = time(message['timestamp']);
    if (ts === undefined) return undefined;
    const id = String(message['id']);
    const sessionId = this.state.sessionId;
    return {
      ts,
      model: modelName(str(message, 'model')) ?? this.state.lastModel ?? FALLBACK_MODEL,
      inputTokens: tokens(input - cached + tool),
      cacheReadTokens: tokens(cached),
      outputTokens: tokens(output),
      source: 'gemini',
      requestId: sessionId === undefined ? stableId('gemini', id) : stableId('gemini', sessionId, id),
      ...attribution({ project: this.folderProject ?? this.state.project, sessionId, provider: 'google' }),
    };
  }
}

const CHAT_FILE = /^tmp\/[^/]+\/chats\/(?:session-[^/]+\.jsonl?|[^/]+\/[^/]+\.jsonl)$/;

export const geminiFormat: JsonlFormat = {
  kind: 'jsonl',
  id: 'gemini',
  roots(env, home) {
    // GEMINI_CLI_HOME replaces the home folder the CLI puts `.gemini` in (packages/core/src/utils/paths.ts).
    // The variable itself is listed too, for users who point it at the .gemini folder directly.
    const fromEnv = envRoots(env, ['GEMINI_CLI_HOME']);
    knownRoots = fromEnv.length > 0 ? fromEnv.flatMap((dir) => [path.join(dir, '.gemini'), dir]) : [path.join(home, '.gemini')];
    return [...knownRoots];
  },
  isLogFile(relativePath) {
    return CHAT_FILE.test(relativePath);
  },
  openFile(relativePath, resume) {
    const folder = relativePath.split('/')[1];
    return new GeminiFileParser(relativePath.endsWith('.json'), folder === undefined ? undefined : projectOfFolder(folder), resume);
  },
};
