import type { ProxyProtocol } from '../../../../shared/schemas/integrations.js';
import { parseRange, scanTopLevel } from './json-scan.js';
import type { RequestInfo } from './types.js';

export interface RequestInput {
  method: string;
  /** Path and query after `/r/<route>`, e.g. `/v1/chat/completions`. */
  path: string;
  body: Buffer;
  contentType: string | undefined;
  includeUsage: boolean;
}

const GEMINI_PATH = /\/models\/([^/:?]+):(generateContent|streamGenerateContent)(?:\?|$)/;
const COMPLETIONS_PATH = /(?:^|\/)(?:chat\/)?completions\/?$/;
const OLLAMA_STREAMING_PATH = /(?:^|\/)api\/(?:chat|generate)\/?$/;
const WANTED_KEYS = ['model', 'stream', 'stream_options'] as const;

function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}

/** A body worth scanning: JSON by its content type, or untyped and looking like an object. */
function looksLikeJson(body: Buffer, contentType: string | undefined): boolean {
  if (body.length === 0) return false;
  if (contentType !== undefined && contentType !== '') return /\bjson\b|\+json\b/i.test(contentType);
  for (const byte of body) {
    if (byte === 0x7b) return true;
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return false;
}

export function inspectRequest(protocol: ProxyProtocol, input: RequestInput): RequestInfo {
  const path = pathOnly(input.path);
  if (protocol === 'gemini') {
    const match = GEMINI_PATH.exec(path);
    if (match !== null) {
      return { model: safeDecode(match[1] ?? ''), stream: match[2] === 'streamGenerateContent', body: input.body };
    }
  }
  if (!looksLikeJson(input.body, input.contentType)) return { model: null, stream: false, body: input.body };
  const scan = scanTopLevel(input.body, WANTED_KEYS);
  if (scan === null) return { model: null, stream: false, body: input.body };

  const modelRange = scan.values.get('model');
  const modelValue = modelRange === undefined ? undefined : parseRange(input.body, modelRange);
  const model = typeof modelValue === 'string' && modelValue !== '' ? modelValue : null;
  const streamRange = scan.values.get('stream');
  const streamValue = streamRange === undefined ? undefined : parseRange(input.body, streamRange);
  // Ollama's native chat and generate endpoints stream unless told `stream: false`.
  const stream =
    protocol === 'ollama' && OLLAMA_STREAMING_PATH.test(path) ? streamValue !== false : streamValue === true;

  if (!input.includeUsage || protocol !== 'openai' || streamValue !== true || !COMPLETIONS_PATH.test(path)) {
    return { model, stream, body: input.body };
  }
  return { model, stream, body: withIncludeUsage(input.body, scan.objectStart, scan.values.get('stream_options')) };
}

/**
 * Adds `stream_options.include_usage: true`, keeping every other byte where the client put it
 * (other stream_options fields survive). A body that already asks for usage is returned as is.
 */
function withIncludeUsage(body: Buffer, objectStart: number, optionsRange: { start: number; end: number } | undefined): Buffer {
  if (optionsRange === undefined) {
    const insert = Buffer.from('"stream_options":{"include_usage":true},');
    return Buffer.concat([body.subarray(0, objectStart + 1), insert, body.subarray(objectStart + 1)]);
  }
  const current = parseRange(body, optionsRange);
  let replacement: Record<string, unknown>;
  if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
    const options = current as Record<string, unknown>;
    if (options['include_usage'] === true) return body;
    replacement = { ...options, include_usage: true };
  } else {
    replacement = { include_usage: true };
  }
  return Buffer.concat([
    body.subarray(0, optionsRange.start),
    Buffer.from(JSON.stringify(replacement)),
    body.subarray(optionsRange.end),
  ]);
}

function safeDecode(segment: string): string | null {
  if (segment === '') return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
