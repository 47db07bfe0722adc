import { createHash } from 'node:crypto';
import { parseTime } from '../../../../../shared/schemas/time.js';
import {
  branchSchema,
  MAX_TOKENS,
  modelNameSchema,
  projectSchema,
  providerSchema,
  sessionIdSchema,
} from '../../../../../shared/schemas/request-record.js';

/**
 * Small readers shared by the agent log formats. Agent logs are other programs' files: every field is
 * read defensively (a wrong type reads as absent), so one odd line never stops an import.
 */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One JSONL line as an object, or undefined for blank, broken or non-object lines. */
export function parseLine(text: string): Json | undefined {
  if (text.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function obj(value: unknown, key: string): Json | undefined {
  if (!isObject(value)) return undefined;
  const inner = value[key];
  return isObject(inner) ? inner : undefined;
}

export function str(value: unknown, key: string): string | undefined {
  if (!isObject(value)) return undefined;
  const inner = value[key];
  return typeof inner === 'string' && inner.trim() !== '' ? inner : undefined;
}

/** A token count: a finite number >= 0, truncated; anything else is 0. */
export function count(value: unknown, key: string): number {
  if (!isObject(value)) return 0;
  const inner = value[key];
  if (typeof inner !== 'number' || !Number.isFinite(inner) || inner <= 0) return 0;
  return Math.trunc(inner);
}

/**
 * The ledger rejects a class above MAX_TOKENS (far past any context window); a log holding one is
 * corrupt, and clamping keeps the rest of that line's record instead of stalling the import on it.
 */
export function tokens(n: number): number {
  return Math.min(Math.max(0, Math.trunc(n)), MAX_TOKENS);
}

/** Epoch ms from an ISO string or epoch ms; undefined when absent or out of range. */
export function time(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return parseTime(Math.trunc(value));
  return typeof value === 'string' ? parseTime(value) : undefined;
}

/** A request id that depends only on what identifies the call, never on the file it was read from. */
export function stableId(prefix: string, ...parts: readonly (string | number)[]): string {
  // Short, readable ids stay as they are; long or odd ones (or ones holding the separator) are hashed
  // to fit requestId's 128 characters without two different calls sharing an id.
  const plain = `${prefix}:${parts.join(':')}`;
  if (plain.length <= 128 && parts.every((part) => /^[\x21-\x39\x3b-\x7e]+$/.test(String(part)))) return plain;
  return hashId(prefix, ...parts);
}

export function hashId(prefix: string, ...parts: readonly (string | number)[]): string {
  return `${prefix}:${createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 40)}`;
}

/** The optional record fields, kept only when the record schema would accept them. */
export interface Attribution {
  project?: string;
  branch?: string;
  sessionId?: string;
  provider?: string;
}

export function attribution(fields: { project?: string | undefined; branch?: string | undefined; sessionId?: string | undefined; provider?: string | undefined }): Attribution {
  const out: Attribution = {};
  if (fields.project !== undefined && projectSchema.safeParse(fields.project).success) out.project = fields.project;
  if (fields.branch !== undefined && branchSchema.safeParse(fields.branch).success) out.branch = fields.branch;
  if (fields.sessionId !== undefined && sessionIdSchema.safeParse(fields.sessionId).success) out.sessionId = fields.sessionId;
  if (fields.provider !== undefined) {
    const provider = fields.provider.trim().toLowerCase();
    if (providerSchema.safeParse(provider).success) out.provider = provider;
  }
  return out;
}

/** The model name as logged when the ledger accepts it, else undefined (the caller decides). */
export function modelName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  return modelNameSchema.safeParse(trimmed).success ? trimmed : undefined;
}

// Agents that talk to any OpenAI-compatible endpoint (Qwen Code, opencode) log the model only; its
// family names the catalogue provider that prices it.
const PROVIDER_BY_PREFIX: readonly (readonly [RegExp, string])[] = [
  [/^(gpt-|o[1-9](-|$)|chatgpt-|codex-)/, 'openai'],
  [/^claude-/, 'anthropic'],
  [/^gemini-/, 'google'],
  [/^deepseek-/, 'deepseek'],
  [/^(mistral|codestral|devstral|magistral)/, 'mistral'],
  [/^grok-/, 'x-ai'],
  [/^qwen|^qwq-/, 'qwen'],
];

export function providerFromModel(model: string): string | undefined {
  const name = model.toLowerCase().replace(/^.*\//, '');
  for (const [pattern, provider] of PROVIDER_BY_PREFIX) if (pattern.test(name)) return provider;
  return undefined;
}

/** The folders named by the env vars that are set (in order), each split on commas as ccusage does. */
export function envRoots(env: NodeJS.ProcessEnv, names: readonly string[]): string[] {
  const roots: string[] = [];
  for (const name of names) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    for (const part of value.split(',')) if (part.trim() !== '') roots.push(part.trim());
  }
  return roots;
}
