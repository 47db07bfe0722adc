import os from 'node:os';
import path from 'node:path';
import { stat } from 'node:fs/promises';
import type { AgentFolder, AgentPreview, AgentProgress, AgentSource } from '../../../shared/schemas/agents.js';
import type { AgentSourcePorts } from '../ports.js';
import { AGENT_IDS, type AgentFormat, type AgentId } from './format.js';
import { AGENT_FORMATS } from './formats/index.js';
import { DatabaseFollower } from './follow/database-follower.js';
import { discoverFiles } from './follow/discover.js';
import type { Follower, FollowTiming } from './follow/follower.js';
import { JsonlFollower } from './follow/jsonl-follower.js';

/**
 * Names people know the agents by, and the environment variables each tool reads for its folder, in
 * the formats' order of precedence (the last is the one to suggest when none is set).
 */
export const AGENT_INFO: Record<AgentId, { name: string; env: readonly string[] }> = {
  'claude-code': { name: 'Claude Code', env: ['CLAUDE_CONFIG_DIR'] },
  codex: { name: 'Codex CLI', env: ['CODEX_HOME'] },
  gemini: { name: 'Gemini CLI', env: ['GEMINI_CLI_HOME'] },
  qwen: { name: 'Qwen Code', env: ['QWEN_RUNTIME_DIR', 'QWEN_DATA_DIR'] },
  opencode: { name: 'opencode', env: ['OPENCODE_DATA_DIR'] },
};

export interface AgentSourcesOptions {
  /** Where the agents' environment variables are read (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** The home folder the default locations hang from (default: the user's). */
  home?: string;
  timing?: Partial<FollowTiming>;
  log?: (message: string) => void;
  /** The formats to offer (default: every format written so far). */
  formats?: Partial<Record<AgentId, AgentFormat>>;
  /** Use file-system events besides polling (default true). */
  watch?: boolean;
}

const OFF: AgentProgress = { state: 'off', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, records: 0, message: null };

/**
 * The coding agents' log sources: one follower per agent the user switched on (none by default),
 * started with the core and stopped with it. Switching an agent on imports its backlog, then follows
 * it; switching it off stops following and keeps every record imported.
 */
export class AgentSources {
  private readonly followers = new Map<AgentId, Follower>();
  private readonly starting = new Map<AgentId, Promise<void>>();
  private options: AgentSourcesOptions;
  private started = false;
  private closed = false;

  constructor(
    private readonly ports: AgentSourcePorts,
    options: AgentSourcesOptions = {},
  ) {
    this.options = options;
  }

  /** Changes where agents are looked for (tests, before start). */
  configure(options: AgentSourcesOptions): void {
    this.options = { ...this.options, ...options };
  }

  private get formats(): Partial<Record<AgentId, AgentFormat>> {
    return this.options.formats ?? AGENT_FORMATS;
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private get home(): string {
    return this.options.home ?? os.homedir();
  }

  isAvailable(id: AgentId): boolean {
    return this.formats[id] !== undefined;
  }

  rootsOf(id: AgentId): string[] {
    return this.formats[id]?.roots(this.env, this.home) ?? [];
  }

  /** Starts following every enabled agent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const enabled = this.ports.agentCursors.enabled();
    for (const id of AGENT_IDS) if (enabled[id] && this.formats[id]) this.launch(id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.followers.values()].map((follower) => follower.close()));
    this.followers.clear();
  }

  /** The running follower of an agent (tests, benchmark). */
  follower(id: AgentId): Follower | undefined {
    return this.followers.get(id);
  }

  /** Resolves when the agent's backlog import (if running) is done. */
  whenImported(id: AgentId): Promise<void> {
    return this.starting.get(id) ?? Promise.resolve();
  }

  async setEnabled(id: AgentId, enabled: boolean): Promise<void> {
    if (enabled && !this.formats[id]) throw new Error(`${AGENT_INFO[id].name} logs cannot be read by this version yet`);
    this.ports.agentCursors.setEnabled(id, enabled);
    if (!this.started || this.closed) return;
    const running = this.followers.get(id);
    if (enabled && !running) this.launch(id);
    if (!enabled && running) {
      this.followers.delete(id);
      this.starting.delete(id);
      await running.close();
      this.emit(id, OFF);
    }
  }

  async list(): Promise<AgentSource[]> {
    const enabled = this.ports.agentCursors.enabled();
    const out: AgentSource[] = [];
    for (const id of AGENT_IDS) out.push(await this.describe(id, enabled[id] === true));
    return out;
  }

  async describe(id: AgentId, enabled = this.ports.agentCursors.enabled()[id] === true): Promise<AgentSource> {
    const info = AGENT_INFO[id];
    const follower = this.followers.get(id);
    const stats = this.ports.agentCursors.stats(id);
    const envName = info.env.find((name) => (this.env[name] ?? '').trim() !== '') ?? info.env.at(-1);
    let folders: AgentFolder[];
    let files = 0;
    let bytes = 0;
    if (follower && follower.folders.length > 0) {
      folders = follower.folders;
      files = follower.progress.files;
      bytes = follower.progress.bytes;
    } else {
      const look = await this.look(id);
      folders = look.folders;
      files = look.files;
      bytes = look.bytes;
    }
    const status: AgentProgress = follower ? progressOf(follower) : OFF;
    return {
      id,
      name: info.name,
      available: this.formats[id] !== undefined,
      enabled,
      env: envName ? { name: envName, value: this.env[envName]?.trim() || null } : null,
      folders,
      files,
      bytes,
      status,
      records: stats.records,
      lastRecordAt: stats.lastRecordAt,
    };
  }

  /** What switching an agent on would import: files, size, their period, sessions. Reads no file. */
  async preview(id: AgentId): Promise<AgentPreview> {
    const look = await this.look(id);
    return { id, ...look };
  }

  private async look(id: AgentId): Promise<Omit<AgentPreview, 'id'>> {
    const format = this.formats[id];
    const empty = { folders: [] as AgentFolder[], files: 0, bytes: 0, from: null, to: null, estimatedSessions: 0 };
    if (!format) return empty;
    const roots = format.roots(this.env, this.home);
    if (format.kind === 'database') {
      const folders: AgentFolder[] = [];
      let found = null;
      for (const root of roots) {
        folders.push({ path: root, exists: await isDirectory(root) });
        if (!found) found = await statFile(path.join(root, format.databaseFile));
      }
      if (!found) return { ...empty, folders };
      return { folders, files: 1, bytes: found.size, from: found.mtimeMs, to: found.mtimeMs, estimatedSessions: 0 };
    }
    const { roots: folders, files } = await discoverFiles(roots, (relative) => format.isLogFile(relative));
    let from: number | null = null;
    let to: number | null = null;
    let bytes = 0;
    const sessions = new Set<string>();
    for (const file of files) {
      bytes += file.size;
      from = from === null ? file.mtimeMs : Math.min(from, file.mtimeMs);
      to = to === null ? file.mtimeMs : Math.max(to, file.mtimeMs);
      sessions.add(sessionKey(file.relativePath));
    }
    return { folders, files: files.length, bytes, from: from === null ? null : Math.floor(from), to: to === null ? null : Math.floor(to), estimatedSessions: sessions.size };
  }

  private launch(id: AgentId): void {
    const format = this.formats[id];
    if (!format) return;
    const options = {
      ports: this.ports,
      roots: format.roots(this.env, this.home),
      ...(this.options.timing ? { timing: this.options.timing } : {}),
      ...(this.options.log ? { log: this.options.log } : {}),
      ...(this.options.watch !== undefined ? { watch: this.options.watch } : {}),
      onProgress: (progress: AgentProgress) => this.emit(id, progress),
    };
    const follower = format.kind === 'jsonl' ? new JsonlFollower(format, options) : new DatabaseFollower(format, options);
    this.followers.set(id, follower);
    const first = follower.start().finally(() => {
      if (this.starting.get(id) === first) this.starting.delete(id);
    });
    this.starting.set(id, first);
  }

  private emit(id: AgentId, progress: AgentProgress): void {
    this.ports.events.emit({ type: 'agents', agent: id, progress });
  }
}

function progressOf(follower: Follower): AgentProgress {
  const { state, filesDone, filesTotal, bytesDone, bytesTotal, records, message } = follower.progress;
  return { state, filesDone, filesTotal, bytesDone, bytesTotal, records, message };
}

/**
 * The session a file belongs to, from its path: a sub-agent's file (".../<session>/subagents/x.jsonl")
 * belongs to its parent's session; otherwise the file is its own session.
 */
function sessionKey(relativePath: string): string {
  const parts = relativePath.replace(/\.jsonl?$/, '').split('/');
  const sub = parts.lastIndexOf('subagents');
  return sub > 0 ? parts.slice(0, sub).join('/') : parts.join('/');
}

async function isDirectory(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}

async function statFile(file: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const stats = await stat(file);
    return stats.isFile() ? { size: stats.size, mtimeMs: Math.floor(stats.mtimeMs) } : null;
  } catch {
    return null;
  }
}
