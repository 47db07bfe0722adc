import { z } from 'zod';

/** The coding agents whose own logs ModelMeter can read (electron/sources/agents/format.ts has the same list). */
export const AGENT_SOURCE_IDS = ['claude-code', 'codex', 'gemini', 'qwen', 'opencode'] as const;
export type AgentSourceId = (typeof AGENT_SOURCE_IDS)[number];

export const agentSourceIdSchema = z.enum(AGENT_SOURCE_IDS, {
  error: () => `id must be one of ${AGENT_SOURCE_IDS.join(', ')}`,
});

export const agentSourceRefSchema = z.strictObject({ id: agentSourceIdSchema });

/** PUT /agents/{id}: switch an agent's log source on (imports the backlog, then follows) or off. */
export const agentSourceUpdateSchema = z.strictObject({
  id: agentSourceIdSchema,
  enabled: z.boolean({ error: 'enabled must be true or false' }),
});

export type AgentSourceRef = z.input<typeof agentSourceRefSchema>;
export type AgentSourceUpdate = z.input<typeof agentSourceUpdateSchema>;

export type AgentSourceState = 'off' | 'importing' | 'following' | 'error';

/** How far an agent's import has got: the backlog while importing, then what following added. */
export interface AgentProgress {
  state: AgentSourceState;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Records this run of the source added to the ledger (duplicates not counted). */
  records: number;
  /** What went wrong, when state is "error". */
  message: string | null;
}

export interface AgentFolder {
  path: string;
  exists: boolean;
}

export interface AgentSource {
  id: AgentSourceId;
  name: string;
  /** False while ModelMeter cannot read this agent's format yet. */
  available: boolean;
  enabled: boolean;
  /** The agent's own environment variable that moves its folder, and its value here (null: not set). */
  env: { name: string; value: string | null } | null;
  folders: AgentFolder[];
  files: number;
  bytes: number;
  status: AgentProgress;
  /** Every record this source has added, over all runs. */
  records: number;
  /** Time of the newest record it added (epoch ms). */
  lastRecordAt: number | null;
}

/** What switching a source on would import, measured without importing anything. */
export interface AgentPreview {
  id: AgentSourceId;
  folders: AgentFolder[];
  files: number;
  bytes: number;
  /** Modification times of the oldest and newest file (epoch ms), null without files. */
  from: number | null;
  to: number | null;
  /** Sessions (top-level transcripts, or the database's) the files hold, estimated from their names. */
  estimatedSessions: number;
}
