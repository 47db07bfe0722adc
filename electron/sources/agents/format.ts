import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';

export const AGENT_IDS = ['claude-code', 'codex', 'gemini', 'qwen', 'opencode'] as const;
export type AgentId = (typeof AGENT_IDS)[number];

/**
 * One usage record read from an agent's log, in ModelMeter's canonical token semantics (inputTokens
 * WITHOUT cache reads, cacheReadTokens, cacheWriteTokens with cacheWrite1hTokens where reported,
 * outputTokens INCLUDING reasoning). `requestId` is deterministic and the same wherever the same
 * call appears (copied lines in resumed/forked sessions, archived copies, restarts): the ledger keeps
 * one row per requestId, which is what makes an import exactly-once. `responseId` is the upstream's
 * response id when the log has it (Claude Code's message.id), so a call also seen by the proxy is
 * counted once. `source` is the AgentId. `project` is the working folder (absolute path), `branch`
 * the git branch, `sessionId` the agent's session id, `provider` when known.
 */
export type AgentRecord = RequestRecordInput & { requestId: string; ts: number; source: AgentId };

/** Where an agent keeps its logs: environment variables first (the tool's own), then defaults. */
export interface AgentLocation {
  /** Folders to scan, in order, existing or not (the caller checks). */
  roots(env: NodeJS.ProcessEnv, home: string): string[];
}

/** A line-oriented log format (JSONL files under the roots). */
export interface JsonlFormat extends AgentLocation {
  kind: 'jsonl';
  id: AgentId;
  /** True for the files under a root that hold usage (path relative to the root, "/"-separated). */
  isLogFile(relativePath: string): boolean;
  /**
   * A reader for one file. `resume` is what checkpoint() returned when the follower last stopped at
   * a byte offset of this file (undefined when reading from the start).
   */
  openFile(relativePath: string, resume: unknown): FileParser;
}

export interface FileParser {
  /** One complete line (without its newline), in file order; returns the records now final. */
  line(text: string): AgentRecord[];
  /**
   * The file is quiet (no growth for a while) or ended: emit what was held back, e.g. the last
   * streaming copy of a message whose usage may still grow.
   */
  flush(): AgentRecord[];
  /** JSON-serialisable state to resume right after the last line fed (held-back records are NOT in it: the follower checkpoints only after flush()). */
  checkpoint(): unknown;
}

/** A database-backed format (opencode's SQLite). */
export interface DatabaseFormat extends AgentLocation {
  kind: 'database';
  id: AgentId;
  /** The database file under a root, relative ("opencode.db"). */
  databaseFile: string;
  /** Reads records changed after `cursor` (undefined = from the start), at most `limit`; returns the new cursor. Opens the file read-only. */
  readSince(databasePath: string, cursor: unknown, limit: number): { records: AgentRecord[]; cursor: unknown; done: boolean };
}

export type AgentFormat = JsonlFormat | DatabaseFormat;
