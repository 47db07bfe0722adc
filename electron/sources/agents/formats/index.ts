import type { AgentFormat, AgentId } from '../format.js';
import { claudeCodeFormat } from './claude-code.js';
import { codexFormat } from './codex.js';
import { geminiFormat } from './gemini.js';
import { qwenFormat } from './qwen.js';
import { opencodeFormat } from './opencode.js';

/** The agents whose logs ModelMeter can read, by id: one format each (AgentSources also takes a subset, for tests). */
export const AGENT_FORMATS: Record<AgentId, AgentFormat> = {
  'claude-code': claudeCodeFormat,
  codex: codexFormat,
  gemini: geminiFormat,
  qwen: qwenFormat,
  opencode: opencodeFormat,
};
